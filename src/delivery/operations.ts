/**
 * The five operations the engine delivers, held in an `OperationTable`, and how each becomes a bulk
 * item or a single request. Bodies are written as UTF-8 bytes around the JSON text the tracer
 * serialised once, copied from where the operation holds it: a payload is never parsed, serialised
 * or encoded again on the send path.
 */

import { BULK_TYPE, PATHS } from '../models/routes.js';
import { TextArena, transfer } from './text-arena.js';

export const REGISTER = 0;
export const START = 1;
export const INSTANCE_FINISH = 2;
export const CREATE = 3;
export const SPAN_FINISH = 4;
export type OperationKind = typeof REGISTER | typeof START | typeof INSTANCE_FINISH | typeof CREATE | typeof SPAN_FINISH;

/** The bulk `_type` of each kind. */
export const BULK_TYPES = [
  BULK_TYPE.registerAgentInstance,
  BULK_TYPE.startAgentInstance,
  BULK_TYPE.finishAgentInstance,
  BULK_TYPE.createAgentSpan,
  BULK_TYPE.finishAgentSpan,
] as const;

export const QUEUED = 0;
export const IN_FLIGHT = 1;
export const DONE = 2;
export const DROPPED = 3;
/** A slot that holds no operation. */
const FREE = 4;

// Flags.
const HAS_PARENT = 1;
/** A span finish with a result; a create carrying its finish, whose finish has a result. */
const HAS_RESULT = 2;
/** A create carrying its span's finish (coalesced): status, finished_at and maybe a result. */
const FINISHED = 4;
const REMOTE = 8;
const ISOLATE = 16;
/** The instance id is its instance's (`instance`), not written in the operation's texts. */
const INSTANCE_TEXT = 32;

/** What the outbox knows of an agent instance while it has operations held. */
export class InstanceState {
  readonly id: string;
  /** The id as UTF-8: the instance id of its spans' operations, written once per instance. */
  readonly idBytes: Buffer;
  /** The instance's register or start, whichever came last, until it is confirmed (-1: none). */
  head = -1;
  headSeq = 0;
  /** Operations of this instance held now, its own finish excepted. */
  held = 0;
  /** Its register was dropped: everything of the instance is dropped as a dependant. */
  dropped = false;
  /** Batch assembly: `inBatch` counts this instance's operations in batch number `stamp`. */
  stamp = 0;
  inBatch = 0;

  constructor(id: string) {
    this.id = id;
    this.idBytes = Buffer.from(id, 'utf8');
  }
}

/**
 * An operation: the index of its slot in the `OperationTable`. A slot is reused once its operation
 * is resolved (see `OperationTable.free`).
 */
export type Operation = number;

const INITIAL_CAPACITY = 256;

/**
 * The held operations, as columns of typed arrays indexed by slot, their texts in a `TextArena`:
 * no object and no string per operation, so that held operations cost the garbage collector
 * nothing (see `text-arena.ts`). Slots are reused; the columns double when full.
 *
 * An operation's texts are one region of the arena: its id, instance id, parent id, schema name,
 * timestamp, then its JSON body (payload of a create, result of a span finish, fields of a
 * register), with their byte lengths in columns. A create that takes in its span's finish gets a
 * second region: finished_at, then the result.
 */
export class OperationTable {
  readonly arena = new TextArena();
  /** Prefix of every idempotency key given here (see `key`). */
  readonly keyPrefix: string;
  capacity = 0;
  kind = new Uint8Array(0);
  state = new Uint8Array(0);
  flags = new Uint8Array(0);
  /** Operations this one stands for: 2 for a create carrying its span's finish. */
  weight = new Uint8Array(0);
  /** Index in `#statuses` (0: none). */
  status = new Uint8Array(0);
  attempts = new Int32Array(0);
  /** Enqueue order; flush waiters compare against it; tells a slot's operations apart. */
  seq = new Float64Array(0);
  /** The idempotency key's number (0: none yet). */
  keyNumber = new Float64Array(0);
  /** The batch number it was last taken into. */
  stamp = new Float64Array(0);
  /** Not taken before this time (ms since the epoch): a remote create whose parent is not there yet. */
  notBefore = new Float64Array(0);
  /** When the API first answered that the parent of this remote create is not there yet (0: never). */
  firstMissingAt = new Float64Array(0);
  /** The operation that must be confirmed (or earlier in the same batch) before this one leaves (-1: none). */
  dep = new Int32Array(0);
  depSeq = new Float64Array(0);
  /** Outbox list links, in enqueue order (-1: none); `next` also links free slots. */
  prev = new Int32Array(0);
  next = new Int32Array(0);
  /** Payload and result bytes counted against `maxQueueBytes`. */
  bytes = new Int32Array(0);
  /** A create's span id fingerprint (`fingerprint.ts`): its key in the outbox's span index. */
  spanHigh = new Uint32Array(0);
  spanLow = new Uint32Array(0);
  /** The instance whose `held` count includes this operation. */
  instance: Array<InstanceState | undefined> = [];
  // Texts: region A (see the class comment) and region B (a coalesced finish).
  #aChunk = new Int32Array(0);
  #aStart = new Int32Array(0);
  #idLength = new Int32Array(0);
  #instanceLength = new Int32Array(0);
  #parentLength = new Int32Array(0);
  #schemaLength = new Int32Array(0);
  #timeLength = new Int32Array(0);
  #bodyLength = new Int32Array(0);
  #bChunk = new Int32Array(0);
  #bStart = new Int32Array(0);
  #finishedLength = new Int32Array(0);
  #resultLength = new Int32Array(0);
  /** Free slots, linked through `next` (-1: none). */
  #free = -1;
  /** Statuses seen, by index (0: none), and each as JSON bytes. */
  readonly #statuses: string[] = [''];
  readonly #statusJson: Buffer[] = [Buffer.alloc(0)];
  readonly #statusIndex = new Map<string, number>();

  constructor(keyPrefix: string) {
    this.keyPrefix = keyPrefix;
    this.#grow();
  }

  #grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.capacity * 2);
    const grow = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: T): T => {
      const type = old.constructor as new (buffer: ArrayBuffer | number) => T;
      // Node 22+: the old column's memory is released now (realloc'd in place where it can be),
      // not when the collector gets to its wrapper. Which branch runs depends on the Node version
      // alone, so a test run covers one of them.
      /* c8 ignore start */
      if (transfer !== undefined) return new type(transfer.call(old.buffer, capacity * old.BYTES_PER_ELEMENT));
      const array = new type(capacity);
      array.set(old);
      return array;
      /* c8 ignore stop */
    };
    this.kind = grow(this.kind);
    this.state = grow(this.state);
    this.flags = grow(this.flags);
    this.weight = grow(this.weight);
    this.status = grow(this.status);
    this.attempts = grow(this.attempts);
    this.seq = grow(this.seq);
    this.keyNumber = grow(this.keyNumber);
    this.stamp = grow(this.stamp);
    this.notBefore = grow(this.notBefore);
    this.firstMissingAt = grow(this.firstMissingAt);
    this.dep = grow(this.dep);
    this.depSeq = grow(this.depSeq);
    this.prev = grow(this.prev);
    this.next = grow(this.next);
    this.bytes = grow(this.bytes);
    this.spanHigh = grow(this.spanHigh);
    this.spanLow = grow(this.spanLow);
    this.#aChunk = grow(this.#aChunk);
    this.#aStart = grow(this.#aStart);
    this.#idLength = grow(this.#idLength);
    this.#instanceLength = grow(this.#instanceLength);
    this.#parentLength = grow(this.#parentLength);
    this.#schemaLength = grow(this.#schemaLength);
    this.#timeLength = grow(this.#timeLength);
    this.#bodyLength = grow(this.#bodyLength);
    this.#bChunk = grow(this.#bChunk);
    this.#bStart = grow(this.#bStart);
    this.#finishedLength = grow(this.#finishedLength);
    this.#resultLength = grow(this.#resultLength);
    // The new slots, free, linked in order.
    for (let slot = capacity - 1; slot >= this.capacity; slot--) {
      this.state[slot] = FREE;
      this.next[slot] = this.#free;
      this.#free = slot;
    }
    this.capacity = capacity;
  }

  /**
   * A new operation of `kind` with sequence number `seq`; its texts: `id`, `instanceId`,
   * `parentId`, `schemaName`, `timestamp` and the JSON `body` ('' where the kind has none).
   */
  add(kind: OperationKind, seq: number, id: string, instanceId: string, parentId: string | undefined, schemaName: string, timestamp: string, body: string): Operation {
    if (this.#free < 0) this.#grow();
    const op = this.#free;
    this.#free = this.next[op]!;
    this.kind[op] = kind;
    this.state[op] = QUEUED;
    this.flags[op] = parentId === undefined ? 0 : HAS_PARENT;
    this.weight[op] = 1;
    this.status[op] = 0;
    this.attempts[op] = 0;
    this.seq[op] = seq;
    this.keyNumber[op] = 0;
    this.stamp[op] = 0;
    this.notBefore[op] = 0;
    this.firstMissingAt[op] = 0;
    this.dep[op] = -1;
    this.bytes[op] = 0;
    this.#bChunk[op] = -1;
    const parent = parentId ?? '';
    // One write in the common case: all texts ASCII, so each text's bytes are its length.
    const text = id + instanceId + parent + schemaName + timestamp + body;
    const arena = this.arena;
    arena.begin(text.length * 3);
    const start = arena.start;
    let bytes = arena.put(text, start);
    this.#aChunk[op] = arena.chunk;
    this.#aStart[op] = start;
    if (bytes === text.length) {
      this.#idLength[op] = id.length;
      this.#instanceLength[op] = instanceId.length;
      this.#parentLength[op] = parent.length;
      this.#schemaLength[op] = schemaName.length;
      this.#timeLength[op] = timestamp.length;
      this.#bodyLength[op] = body.length;
    } else {
      // Some text is not ASCII: write them one by one, to know each one's bytes.
      bytes = 0;
      bytes += this.#idLength[op] = arena.put(id, start);
      bytes += this.#instanceLength[op] = arena.put(instanceId, start + bytes);
      bytes += this.#parentLength[op] = arena.put(parent, start + bytes);
      bytes += this.#schemaLength[op] = arena.put(schemaName, start + bytes);
      bytes += this.#timeLength[op] = arena.put(timestamp, start + bytes);
      bytes += this.#bodyLength[op] = arena.put(body, start + bytes);
    }
    arena.end(bytes);
    return op;
  }

  /** The UTF-8 bytes of `op`'s JSON body (payload, result or register fields). */
  bodyBytes(op: Operation): number {
    return this.#bodyLength[op]!;
  }

  /** Sets the status of `op` (an instance or span finish, or a create carrying its finish). */
  setStatus(op: Operation, status: string): void {
    let index = this.#statusIndex.get(status);
    if (index === undefined) {
      index = this.#statuses.push(status) - 1;
      this.#statusJson.push(Buffer.from(JSON.stringify(status)));
      this.#statusIndex.set(status, index);
    }
    this.status[op] = index;
  }

  /**
   * Makes `instance` (that of `op`, set later by the outbox) hold `op`'s instance id: added with
   * `instanceId` '', it was not written in its texts.
   */
  useInstanceText(op: Operation): void {
    this.flags[op]! |= INSTANCE_TEXT;
  }

  /** Marks a span finish as carrying a result (its body). */
  setHasResult(op: Operation): void {
    this.flags[op]! |= HAS_RESULT;
  }

  /** Folds a span's finish into its create `op`: status, `finishedAt` and `result` (JSON). */
  finish(op: Operation, status: string, finishedAt: string, result: string | undefined): void {
    this.setStatus(op, status);
    this.flags[op]! |= result === undefined ? FINISHED : FINISHED | HAS_RESULT;
    const resultText = result ?? '';
    const text = finishedAt + resultText;
    const arena = this.arena;
    arena.begin(text.length * 3);
    const start = arena.start;
    let bytes = arena.put(text, start);
    this.#bChunk[op] = arena.chunk;
    this.#bStart[op] = start;
    if (bytes === text.length) {
      this.#finishedLength[op] = finishedAt.length;
      this.#resultLength[op] = resultText.length;
    } else {
      bytes = this.#finishedLength[op] = arena.put(finishedAt, start);
      bytes += this.#resultLength[op] = arena.put(resultText, start + bytes);
    }
    arena.end(bytes);
  }

  isRemote(op: Operation): boolean {
    return (this.flags[op]! & REMOTE) !== 0;
  }

  setRemote(op: Operation): void {
    this.flags[op]! |= REMOTE;
  }

  isIsolated(op: Operation): boolean {
    return (this.flags[op]! & ISOLATE) !== 0;
  }

  /** Sends `op` on its own from now on (its bulk request was refused as a whole). */
  isolate(op: Operation): void {
    this.flags[op]! |= ISOLATE;
  }

  /** The state of `op`'s dependency: DONE when it has none or it was confirmed (its slot reused since). */
  depState(op: Operation): number {
    const dep = this.dep[op]!;
    return dep < 0 || this.seq[dep] !== this.depSeq[op] ? DONE : this.state[dep]!;
  }

  /** Makes `dep` the dependency of `op`. */
  setDep(op: Operation, dep: Operation): void {
    this.dep[op] = dep;
    this.depSeq[op] = this.seq[dep]!;
  }

  /** The idempotency key of `op` (given by the outbox before it is first written or sent). */
  key(op: Operation): string {
    return this.keyPrefix + this.keyNumber[op]!.toString(36);
  }

  /** The id of `op`: its span, or its instance (for logs and paths). */
  id(op: Operation): string {
    return this.arena.text(this.#aChunk[op]!, this.#aStart[op]!, this.#idLength[op]!);
  }

  /** The instance id of `op` (an instance operation's own id). */
  instanceId(op: Operation): string {
    const kind = this.kind[op];
    if (kind !== CREATE && kind !== SPAN_FINISH) return this.id(op);
    if ((this.flags[op]! & INSTANCE_TEXT) !== 0) return this.instance[op]!.id;
    return this.arena.text(this.#aChunk[op]!, this.#aStart[op]! + this.#idLength[op]!, this.#instanceLength[op]!);
  }

  /** Releases the texts and the slot of a resolved operation. */
  free(op: Operation): void {
    const arena = this.arena;
    // The finish's texts first: written after the create's, both may be the last ones written.
    if (this.#bChunk[op]! >= 0) arena.free(this.#bChunk[op]!, this.#finishedLength[op]! + this.#resultLength[op]!, this.#bStart[op]!);
    arena.free(
      this.#aChunk[op]!,
      this.#idLength[op]! + this.#instanceLength[op]! + this.#parentLength[op]! + this.#schemaLength[op]! + this.#timeLength[op]! + this.#bodyLength[op]!,
      this.#aStart[op]!,
    );
    this.state[op] = FREE;
    // A dependant that asks finds the slot changed: its dependency was confirmed.
    this.seq[op] = -1;
    this.instance[op] = undefined;
    this.next[op] = this.#free;
    this.#free = op;
  }

  /** Frees every slot at once (everything held was dropped). */
  clear(): void {
    this.arena.clear();
    this.#free = -1;
    this.instance = [];
    for (let slot = this.capacity - 1; slot >= 0; slot--) {
      this.state[slot] = FREE;
      this.seq[slot] = -1;
      this.next[slot] = this.#free;
      this.#free = slot;
    }
  }

  /**
   * Writes `op` as a bulk item (`head` is `"_type":"<type>","idempotency_key":"<key>"`) or a single
   * request's body (`head` is `"idempotency_key":"<key>"`) into `out` at `at`, and returns where it
   * ends; with `out` undefined, only measures.
   */
  write(op: Operation, head: string, bulk: boolean, out: Buffer | undefined, at: number): number {
    const kind = this.kind[op]!;
    const chunk = this.arena.buffer(this.#aChunk[op]!);
    const start = this.#aStart[op]!;
    const idLength = this.#idLength[op]!;
    const bodyStart = start + idLength + this.#instanceLength[op]! + this.#parentLength[op]! + this.#schemaLength[op]! + this.#timeLength[op]!;
    const bodyLength = this.#bodyLength[op]!;
    let p = at;
    if (kind === REGISTER) {
      // The register's fields after the head: `{` + head + `,` + the members of its JSON object.
      p = ascii(out, p, '{');
      p = ascii(out, p, head);
      if (bodyLength > 2) {
        p = ascii(out, p, ',');
        return copy(out, p, chunk, bodyStart + 1, bodyLength - 1);
      }
      return ascii(out, p, '}');
    }
    p = ascii(out, p, '{');
    p = ascii(out, p, head);
    if (bulk && kind !== CREATE) {
      p = ascii(out, p, kind === SPAN_FINISH ? ',"agent_span_id":' : ',"agent_instance_id":');
      p = quoted(out, p, chunk, start, idLength);
    }
    const timeStart = bodyStart - this.#timeLength[op]!;
    if (kind === CREATE) {
      p = ascii(out, p, ',"details":{"id":');
      p = quoted(out, p, chunk, start, idLength);
      p = ascii(out, p, ',"agent_instance_id":');
      let at2 = start + idLength;
      const flags = this.flags[op]!;
      if ((flags & INSTANCE_TEXT) === 0) p = quoted(out, p, chunk, at2, this.#instanceLength[op]!);
      else {
        const idBytes = this.instance[op]!.idBytes;
        p = quoted(out, p, idBytes, 0, idBytes.length);
      }
      at2 += this.#instanceLength[op]!;
      if ((flags & HAS_PARENT) !== 0) {
        p = ascii(out, p, ',"parent_span_id":');
        p = quoted(out, p, chunk, at2, this.#parentLength[op]!);
      }
      at2 += this.#parentLength[op]!;
      p = ascii(out, p, ',"schema_name":');
      p = quoted(out, p, chunk, at2, this.#schemaLength[op]!);
      p = ascii(out, p, ',"status":');
      p = (flags & FINISHED) === 0 ? ascii(out, p, '"active"') : copyAll(out, p, this.#statusJson[this.status[op]!]!);
      p = ascii(out, p, ',"payload":');
      p = copy(out, p, chunk, bodyStart, bodyLength);
      p = ascii(out, p, ',"started_at":');
      p = quoted(out, p, chunk, timeStart, this.#timeLength[op]!);
      if ((flags & FINISHED) !== 0) {
        const finish = this.arena.buffer(this.#bChunk[op]!);
        const finishStart = this.#bStart[op]!;
        p = ascii(out, p, ',"finished_at":');
        p = quoted(out, p, finish, finishStart, this.#finishedLength[op]!);
        if ((flags & HAS_RESULT) !== 0) {
          p = ascii(out, p, ',"result_payload":');
          p = copy(out, p, finish, finishStart + this.#finishedLength[op]!, this.#resultLength[op]!);
        }
      }
      return ascii(out, p, '}}');
    }
    if (kind !== START) {
      p = ascii(out, p, ',"status":');
      p = copyAll(out, p, this.#statusJson[this.status[op]!]!);
    }
    if (kind === SPAN_FINISH && (this.flags[op]! & HAS_RESULT) !== 0) {
      p = ascii(out, p, ',"result_payload":');
      p = copy(out, p, chunk, bodyStart, bodyLength);
    }
    p = ascii(out, p, ',"timestamp":');
    p = quoted(out, p, chunk, timeStart, this.#timeLength[op]!);
    return ascii(out, p, '}');
  }

  /** At most the bytes `write()` takes for `op` (escaping may take 6 bytes per byte of a quoted text). */
  bound(op: Operation, head: string): number {
    const instance = (this.flags[op]! & INSTANCE_TEXT) === 0 ? this.#instanceLength[op]! : this.instance[op]!.idBytes.length;
    const quoted = this.#idLength[op]! * 2 + instance + this.#parentLength[op]! + this.#schemaLength[op]! + this.#timeLength[op]!;
    const finish = this.#bChunk[op]! >= 0 ? this.#finishedLength[op]! * 6 + this.#resultLength[op]! : 0;
    return head.length + 200 + quoted * 6 + this.#bodyLength[op]! + finish + this.#statusJson[this.status[op]!]!.length;
  }
}

/** Writes ASCII `text` (when `out` is given); returns the position after it. */
function ascii(out: Buffer | undefined, at: number, text: string): number {
  if (out !== undefined) out.write(text, at, 'latin1');
  return at + text.length;
}

function copy(out: Buffer | undefined, at: number, source: Buffer, start: number, length: number): number {
  if (out !== undefined) source.copy(out, at, start, start + length);
  return at + length;
}

function copyAll(out: Buffer | undefined, at: number, source: Buffer): number {
  return copy(out, at, source, 0, source.length);
}

/** Whether the UTF-8 text at `start` needs escaping in JSON: a quote, backslash or control character. */
function needsEscape(source: Buffer, start: number, length: number): boolean {
  for (let index = start; index < start + length; index++) {
    const byte = source[index]!;
    if (byte === 0x22 || byte === 0x5c || byte < 0x20) return true;
  }
  return false;
}

/** Writes the UTF-8 text at `start` as a JSON string: between quotes as is when plain (ids, timestamps), else escaped. */
function quoted(out: Buffer | undefined, at: number, source: Buffer, start: number, length: number): number {
  if (!needsEscape(source, start, length)) {
    if (out !== undefined) {
      out[at] = 0x22;
      source.copy(out, at + 1, start, start + length);
      out[at + 1 + length] = 0x22;
    }
    return at + length + 2;
  }
  const text = JSON.stringify(source.toString('utf8', start, start + length));
  return out === undefined ? at + Buffer.byteLength(text) : at + out.write(text, at, 'utf8');
}

/** The head of `op`'s bulk item: `"_type":"<type>","idempotency_key":"<key>"`. */
export function bulkHead(table: OperationTable, op: Operation): string {
  return `"_type":"${BULK_TYPES[table.kind[op]!]}","idempotency_key":"${table.key(op)}"`;
}

/** The operation as a bulk item (JSON text): `{_type, idempotency_key, ...params}`. */
export function bulkItem(table: OperationTable, op: Operation): string {
  const head = bulkHead(table, op);
  const out = Buffer.allocUnsafe(table.write(op, head, true, undefined, 0));
  table.write(op, head, true, out, 0);
  return out.toString('utf8');
}

/** Length of a bulk body around its items: `{"items":[` + `],"idempotency_key":"<21>"}`. */
export const BULK_ENVELOPE_LENGTH = '{"items":[],"idempotency_key":""}'.length + 21;

/** The operation as a single request: its path under `/api/v1` and its body (UTF-8). */
export function singleRequest(table: OperationTable, op: Operation): { path: string; body: Buffer } {
  const head = `"idempotency_key":"${table.key(op)}"`;
  const body = Buffer.allocUnsafe(table.write(op, head, false, undefined, 0));
  table.write(op, head, false, body, 0);
  const kind = table.kind[op]!;
  if (kind === REGISTER) return { path: PATHS.registerAgentInstance, body };
  if (kind === CREATE) return { path: PATHS.agentSpans, body };
  const id = encodeURIComponent(table.id(op));
  if (kind === START) return { path: PATHS.startAgentInstance(id), body };
  if (kind === INSTANCE_FINISH) return { path: PATHS.finishAgentInstance(id), body };
  return { path: PATHS.finishAgentSpan(id), body };
}
