import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentSpan } from '../models/index.js';
import type { InstanceRecord, StoredResponse } from './records.js';

/**
 * The local server's persistence: an NDJSON journal with one line per applied change. A line holds
 * the whole new state of what changed, so replay is last-write-wins per id:
 * `{"k":"i","v":instance}`, `{"k":"s","v":span}`, `{"k":"r","id":"<route> <key>","input":{...},"res":{...}}`
 * (an idempotency record).
 */
export type JournalEntry =
  | { k: 'i'; v: InstanceRecord }
  | { k: 's'; v: AgentSpan }
  | { k: 'r'; id: string; input: unknown; res: StoredResponse };

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

/**
 * The entries of a journal file, in order. A missing file is an empty journal; a line that does not
 * parse (a write cut short by a crash) is skipped and counted.
 */
export function readJournal(file: string): { entries: JournalEntry[]; skipped: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
    throw error;
  }
  const entries: JournalEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (entry.k === 'i' || entry.k === 's' || entry.k === 'r') entries.push(entry);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}
