import { fingerprint, fingerprintHigh, fingerprintLow } from './fingerprint.js';
import { SpanIndex } from './span-index.js';

/**
 * The ids of the most recent dropped spans, so that their finishes and children are dropped too.
 *
 * Kept as 64-bit fingerprints in typed arrays (a `SpanIndex`, the table of held creates, and a
 * ring of the same fingerprints in the order remembered, whose next slot holds the oldest once
 * full), not as the id strings: during an outage every refused span is remembered, and a Set of
 * strings kept each id alive through several young-generation collections, so that V8 counted them
 * as survivors and grew its young generation to the maximum (measured: 20-30 MB more RSS in the
 * outage benchmark). A typed array holds no object for the collector to copy. Remembering and
 * looking up are O(1); a lookup while nothing was ever remembered costs nothing (see
 * `fingerprint.ts`).
 */
export class DroppedSpans {
  readonly #capacity: number;
  /** The fingerprints remembered now (each with the value 0). */
  readonly #table: SpanIndex;
  // The ring, in the order remembered.
  readonly #ringHigh: Uint32Array;
  readonly #ringLow: Uint32Array;
  #ringLength = 0;
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    // At most half full, so the table never grows: once full, the oldest leaves before a new one enters.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#table = new SpanIndex(size);
    this.#ringHigh = new Uint32Array(capacity);
    this.#ringLow = new Uint32Array(capacity);
  }

  has(id: string): boolean {
    if (this.#ringLength === 0) return false;
    fingerprint(id);
    return this.#table.get(fingerprintHigh, fingerprintLow) >= 0;
  }

  /** Remembers `id`, forgetting the oldest id once `capacity` are remembered. */
  remember(id: string): void {
    fingerprint(id);
    this.rememberFingerprint(fingerprintHigh, fingerprintLow);
  }

  /** Remembers the id of fingerprint (`h`, `l`). */
  rememberFingerprint(h: number, l: number): void {
    if (this.#ringLength < this.#capacity) {
      this.#ringHigh[this.#ringLength] = h;
      this.#ringLow[this.#ringLength] = l;
      this.#ringLength++;
    } else {
      this.#table.delete(this.#ringHigh[this.#next]!, this.#ringLow[this.#next]!, 0);
      this.#ringHigh[this.#next] = h;
      this.#ringLow[this.#next] = l;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    this.#table.set(h, l, 0);
  }
}
