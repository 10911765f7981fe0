import { fingerprint, fingerprintHigh, fingerprintLow } from './fingerprint.js';

/**
 * The ids of the most recent dropped spans, so that their finishes and children are dropped too.
 *
 * Kept as 64-bit fingerprints in typed arrays (an open-addressing table with linear probing, and a
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
  readonly #mask: number;
  // The table: a slot is used when `#used[slot]` is 1; its fingerprint is (`#high`, `#low`).
  readonly #used: Uint8Array;
  readonly #high: Uint32Array;
  readonly #low: Uint32Array;
  // The ring, in the order remembered.
  readonly #ringHigh: Uint32Array;
  readonly #ringLow: Uint32Array;
  #ringLength = 0;
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    // At most half full: short probe runs.
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#mask = size - 1;
    this.#used = new Uint8Array(size);
    this.#high = new Uint32Array(size);
    this.#low = new Uint32Array(size);
    this.#ringHigh = new Uint32Array(capacity);
    this.#ringLow = new Uint32Array(capacity);
  }

  has(id: string): boolean {
    if (this.#ringLength === 0) return false;
    fingerprint(id);
    return this.#find(fingerprintHigh, fingerprintLow) >= 0;
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
      const oldest = this.#find(this.#ringHigh[this.#next]!, this.#ringLow[this.#next]!);
      if (oldest >= 0) this.#delete(oldest);
      this.#ringHigh[this.#next] = h;
      this.#ringLow[this.#next] = l;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    let slot = h & this.#mask;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === h && this.#low[slot] === l) return;
      slot = (slot + 1) & this.#mask;
    }
    this.#used[slot] = 1;
    this.#high[slot] = h;
    this.#low[slot] = l;
  }

  #find(h: number, l: number): number {
    let slot = h & this.#mask;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === h && this.#low[slot] === l) return slot;
      slot = (slot + 1) & this.#mask;
    }
    return -1;
  }

  /** Empties `slot`, moving back the entries after it that would no longer be found (linear probing). */
  #delete(slot: number): void {
    const mask = this.#mask;
    let hole = slot;
    let next = (hole + 1) & mask;
    while (this.#used[next] === 1) {
      const home = this.#high[next]! & mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!stays) {
        this.#high[hole] = this.#high[next]!;
        this.#low[hole] = this.#low[next]!;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    this.#used[hole] = 0;
  }
}
