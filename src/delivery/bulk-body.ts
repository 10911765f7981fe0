/**
 * Bulk request bodies, written item by item straight into Buffers that are reused from one request
 * to the next.
 *
 * Building a body as one string (a rope of every item, flattened when it is encoded) leaves, per
 * request, a flat copy of the body in V8's large-object space and a Buffer of the same size outside
 * the heap, both freed only when the garbage collector gets to them: during a burst, tens of
 * megabytes of dead bodies. Written into a reused Buffer, a body costs nothing after its request.
 */
import { BULK_ENVELOPE_LENGTH, bulkHead } from './operations.js';
import type { Operation, OperationTable } from './operations.js';

const HEAD = '{"items":[';
/** Bytes of `],"idempotency_key":"<21>"}`: what follows the items. */
const TAIL_LENGTH = BULK_ENVELOPE_LENGTH - HEAD.length;

/**
 * A bulk body being written: `{"items":[` + items (UTF-8) + `],"idempotency_key":"<key>"}`. Its
 * items fit in `maxBatchBytes` counted in UTF-8 bytes, the envelope included; a first item larger
 * than that gets a Buffer of its own.
 */
export class BulkBody {
  #buffer: Buffer;
  #length = HEAD.length;
  /** Items written. */
  count = 0;

  constructor(buffer: Buffer) {
    this.#buffer = buffer;
    buffer.write(HEAD, 0, 'latin1');
  }

  /** The Buffer written into (to give back to its pool once the request is answered). */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /**
   * Appends `item` (a JSON object text) when it fits; the first item always fits (in a larger
   * Buffer if it must). Returns whether it was written.
   */
  add(item: string): boolean {
    const bytes = Buffer.byteLength(item, 'utf8');
    const separator = this.count === 0 ? 0 : 1;
    const needed = this.#length + separator + bytes + TAIL_LENGTH;
    if (needed > this.#buffer.length) {
      if (this.count > 0) return false;
      // One item larger than a batch goes alone, in a Buffer of its own size (not kept afterwards).
      const larger = Buffer.allocUnsafeSlow(needed);
      this.#buffer.copy(larger, 0, 0, this.#length);
      this.#buffer = larger;
    }
    if (separator === 1) this.#buffer[this.#length++] = 0x2c; // ','
    this.#length += this.#buffer.write(item, this.#length, 'utf8');
    this.count++;
    return true;
  }

  /**
   * Appends operation `op` of `table` as a bulk item when it fits, its texts copied as bytes from
   * where the table holds them; the first item always fits (in a larger Buffer if it must). Returns
   * whether it was written.
   */
  addOperation(table: OperationTable, op: Operation): boolean {
    const head = bulkHead(table, op);
    const separator = this.count === 0 ? 0 : 1;
    const at = this.#length + separator;
    // Most items fit by their upper bound; near the end of the Buffer, measure exactly.
    if (at + table.bound(op, head) + TAIL_LENGTH > this.#buffer.length) {
      const needed = table.write(op, head, true, undefined, at) + TAIL_LENGTH;
      if (needed > this.#buffer.length) {
        if (this.count > 0) return false;
        // One item larger than a batch goes alone, in a Buffer of its own size (not kept afterwards).
        const larger = Buffer.allocUnsafeSlow(needed);
        this.#buffer.copy(larger, 0, 0, this.#length);
        this.#buffer = larger;
      }
    }
    if (separator === 1) this.#buffer[this.#length] = 0x2c; // ','
    this.#length = table.write(op, head, true, this.#buffer, at);
    this.count++;
    return true;
  }

  /** Closes the body with the request's idempotency key (21 URL-safe characters) and returns it. */
  finish(key: string): Buffer {
    this.#length += this.#buffer.write(`],"idempotency_key":"${key}"}`, this.#length, 'latin1');
    return this.#buffer.subarray(0, this.#length);
  }
}

/**
 * The Buffers bulk bodies are written into: at most `keep` of them (one per request in flight) are
 * kept for reuse, each `maxBatchBytes` long; larger ones (a single oversized item) are not kept.
 */
export class BodyPool {
  readonly #free: Buffer[] = [];
  readonly #size: number;
  readonly #keep: number;

  constructor(maxBatchBytes: number, keep: number) {
    this.#size = Math.max(maxBatchBytes, BULK_ENVELOPE_LENGTH);
    this.#keep = keep;
  }

  /** Buffers waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }

  /** A new body, in a free Buffer or a new one. */
  body(): BulkBody {
    return new BulkBody(this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size));
  }

  /**
   * Takes back the Buffer of a body whose request is over: its bytes are no longer read (the API
   * answered it, so it read the whole body). Give back nothing else: a request that failed may
   * still be writing.
   */
  giveBack(buffer: Buffer): void {
    if (buffer.length === this.#size && this.#free.length < this.#keep) this.#free.push(buffer);
  }
}
