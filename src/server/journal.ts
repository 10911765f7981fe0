import { appendFileSync, closeSync, createReadStream, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentSpan } from '../models/index.js';
import type { InstanceRecord, StoredResponse } from './records.js';

/**
 * The local server's persistence: an NDJSON journal with one line per applied change, holding what
 * rebuilds the state and nothing else. A line holds the whole new state of what changed, so replay is
 * last-write-wins per id:
 *
 * - `{"k":"i","v":instance}` an agent instance;
 * - `{"k":"s","v":span}` an agent span.
 *
 * A line written by a request with an idempotency key also carries the key's record:
 * `"r":"<route> <key>"`, `"h":"<SHA-256 of the input>"` (to tell a retry from a conflicting reuse),
 * and `"c":"<reason>"` when the answer carried the killswitch; the answer replayed for the key is the
 * line's own state. So a payload is written once.
 *
 * Older journals also hold `{"k":"r","id","input","res"}` records; they are still read.
 */
export type JournalEntry =
  | ({ k: 'i'; v: InstanceRecord } & KeyRecord)
  | ({ k: 's'; v: AgentSpan } & KeyRecord)
  | { k: 'r'; id: string; input: unknown; res: StoredResponse };

/** The idempotency record a state line may carry. */
export interface KeyRecord {
  /** `<route> <key>`. */
  r?: string;
  /** The SHA-256 (base64) of the canonical input. */
  h?: string;
  /** The killswitch reason the answer carried. */
  c?: string;
}

/** Buffers the lines of one request and appends them in one synchronous write. */
export class Journal {
  readonly file: string;
  #pending: string[] = [];

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    // A write cut short by a crash leaves a torn last line: start on a fresh line after it.
    if (!endsWithNewline(file)) this.#pending.push('');
  }

  /** Buffers one line: a `JournalEntry` as JSON text (built by splicing stored JSON texts). */
  add(line: string): void {
    this.#pending.push(line);
  }

  /** Adds `fields` (JSON members, `"a":1,"b":2`) to the last buffered line. */
  amendLast(fields: string): void {
    const last = this.#pending.length - 1;
    const line = this.#pending[last]!;
    this.#pending[last] = `${line.slice(0, -1)},${fields}}`;
  }

  /** Appends the buffered lines to the file. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const text = `${this.#pending.join('\n')}\n`;
    this.#pending = [];
    appendFileSync(this.file, text);
  }
}

/** Whether `file` is missing, empty, or ends with a newline. */
function endsWithNewline(file: string): boolean {
  const fd = openSync(file, 'a+');
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** What a replay read. */
export interface ReplaySummary {
  /** Entries applied. */
  applied: number;
  /** Whole lines that did not parse, or of an unknown kind (a damaged file). */
  skipped: number;
  /** `1` when the last line was cut short (a write interrupted by a crash) and skipped, else `0`. */
  torn: number;
}

const NEWLINE = 0x0a;

/**
 * Streams the entries of a journal file to `apply`, line by line: memory holds one chunk and one
 * line at a time, whatever the file's size. A missing file is an empty journal. A line that does not
 * parse is skipped and counted: as `torn` when it is the last line and has no newline (a write cut
 * short), else as `skipped`.
 */
export async function replayJournal(file: string, apply: (entry: JournalEntry) => void, chunkBytes = 1024 * 1024): Promise<ReplaySummary> {
  const summary: ReplaySummary = { applied: 0, skipped: 0, torn: 0 };
  const handle = (line: string): boolean => {
    if (line.trim() === '') return true;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      return false;
    }
    if (entry?.k !== 'i' && entry?.k !== 's' && entry?.k !== 'r') {
      summary.skipped++;
      return true;
    }
    apply(entry);
    summary.applied++;
    return true;
  };
  let partial: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, end);
        const line = partial.length === 0 ? piece.toString('utf8') : Buffer.concat([...partial, piece]).toString('utf8');
        partial = [];
        if (!handle(line)) summary.skipped++;
        start = end + 1;
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return summary;
    throw error;
  }
  if (partial.length > 0 && !handle(Buffer.concat(partial).toString('utf8'))) summary.torn = 1;
  return summary;
}

/** The entries of a journal file, in order, with the replay summary (`replayJournal`, collected). */
export async function readJournal(file: string): Promise<ReplaySummary & { entries: JournalEntry[] }> {
  const entries: JournalEntry[] = [];
  const summary = await replayJournal(file, (entry) => entries.push(entry));
  return { ...summary, entries };
}
