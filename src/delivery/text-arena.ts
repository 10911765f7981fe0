/**
 * Where held operations keep their texts (ids, timestamps, payload and result JSON): written once as
 * UTF-8 into large Buffers (chunks), outside the V8 heap, and addressed by chunk and offset.
 *
 * Held as strings, 30,000 operations' texts survive several young-generation collections, and V8
 * grows its young generation once the bytes surviving them pass its capacity (Node 24: from 16 MB
 * to 64 MB during a burst). Bytes in a Buffer are not objects: the collector neither copies nor
 * counts them. A chunk's bytes are counted live until every region written in it is released; then
 * the chunk is reused (a few are kept) or left to the collector. Until then, its released regions
 * are memory held for nothing: `deadBytes` counts them, so that the queue's bound includes them (a
 * region held long, such as a create waiting for its remote parent, keeps its whole chunk).
 */

/** Bytes of a chunk. A region larger than a quarter of it gets a chunk of its own. */
export const CHUNK_BYTES = 64 * 1024;
/** Empty chunks kept for reuse. */
const SPARE_CHUNKS = 4;

/** `ArrayBuffer.prototype.transfer` (ES2024: Node 22 and later), or undefined. */
export const transfer = (ArrayBuffer.prototype as { transfer?: (this: ArrayBufferLike, length: number) => ArrayBuffer }).transfer;

export class TextArena {
  /** The chunks, by index; `undefined` once released (its index is reused). */
  readonly #chunks: Array<Buffer | undefined> = [];
  /** Bytes of live regions in each chunk. */
  #live: number[] = [];
  /** Whether each chunk is a shared one of `CHUNK_BYTES` (not a large region's own). */
  #shared: boolean[] = [];
  /** Bytes of the shared chunks held, and of the live regions in them. */
  #sharedBytes = 0;
  #sharedLive = 0;
  readonly #freeIndexes: number[] = [];
  readonly #spare: Buffer[] = [];
  /** The chunk written into (-1: none yet), and where its free room starts. */
  #current = -1;
  #position = 0;
  /** The region being written: its chunk and its start. */
  chunk = -1;
  start = 0;

  /** Chunks held now (for tests and measurements). */
  get chunks(): number {
    return this.#chunks.length - this.#freeIndexes.length;
  }

  /**
   * Bytes of the shared chunks held that no live region uses and no new one will: released regions
   * in chunks kept for another region's sake. Room not yet written in the current chunk is not dead.
   */
  get deadBytes(): number {
    return this.#sharedBytes - this.#sharedLive - (this.#current < 0 ? 0 : CHUNK_BYTES - this.#position);
  }

  /** The Buffer of chunk `index`. */
  buffer(index: number): Buffer {
    return this.#chunks[index]!;
  }

  /**
   * Starts a region of at most `maxBytes`: `chunk` and `start` say where; write it with `put()`,
   * then close it with `end()`.
   */
  begin(maxBytes: number): void {
    if (maxBytes > CHUNK_BYTES / 4) {
      // Alone in a chunk of its own size: released with the region.
      this.chunk = this.#add(Buffer.allocUnsafeSlow(maxBytes), false);
      this.start = 0;
      return;
    }
    if (this.#current < 0 || this.#position + maxBytes > CHUNK_BYTES) {
      // The chunk left behind holds a live region (one holding none is written over from its
      // start, see `free`): it goes once its last region is released.
      this.#current = this.#add(this.#spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES), true);
      this.#position = 0;
    }
    this.chunk = this.#current;
    this.start = this.#position;
  }

  /** Writes `text` as UTF-8 at `at` in the region's chunk; returns its bytes. */
  put(text: string, at: number): number {
    return this.#chunks[this.chunk]!.write(text, at, 'utf8');
  }

  /** Closes the region begun last, of `bytes` bytes. */
  end(bytes: number): void {
    this.#live[this.chunk]! += bytes;
    if (this.#shared[this.chunk]) this.#sharedLive += bytes;
    if (this.chunk === this.#current) this.#position = this.start + bytes;
  }

  /**
   * The region of `bytes` at `start` in `chunk` is no longer read. The last region written is
   * taken back at once (its room is written over next), as is the whole chunk written into when it
   * holds no live region.
   */
  free(chunk: number, bytes: number, start: number): void {
    const live = (this.#live[chunk]! -= bytes);
    if (this.#shared[chunk]) this.#sharedLive -= bytes;
    if (chunk === this.#current) {
      if (live === 0) this.#position = 0;
      else if (start + bytes === this.#position) this.#position = start;
    } else if (live === 0) this.#release(chunk);
  }

  /** The text of `length` bytes at `start` in `chunk` (rare paths: logs, single requests). */
  text(chunk: number, start: number, length: number): string {
    return this.#chunks[chunk]!.toString('utf8', start, start + length);
  }

  #add(buffer: Buffer, shared: boolean): number {
    const index = this.#freeIndexes.pop() ?? this.#chunks.length;
    this.#chunks[index] = buffer;
    this.#live[index] = 0;
    this.#shared[index] = shared;
    if (shared) this.#sharedBytes += CHUNK_BYTES;
    return index;
  }

  #release(index: number): void {
    const buffer = this.#chunks[index]!;
    if (this.#shared[index]) this.#sharedBytes -= CHUNK_BYTES;
    if (buffer.length === CHUNK_BYTES && this.#spare.length < SPARE_CHUNKS) this.#spare.push(buffer);
    // Node 22+: its memory goes back to the allocator now, not when the collector gets to the
    // Buffer (after a burst, megabytes of chunks would wait for a full collection). Whether
    // `transfer` exists depends on the Node version alone: a test run covers one case.
    /* c8 ignore next */
    else transfer?.call(buffer.buffer, 0);
    this.#chunks[index] = undefined;
    this.#freeIndexes.push(index);
  }

  /** Forgets every region (everything held was dropped). */
  clear(): void {
    for (let index = 0; index < this.#chunks.length; index++) if (this.#chunks[index] !== undefined) this.#release(index);
    this.#current = -1;
    this.#position = 0;
    this.#sharedLive = 0;
  }
}
