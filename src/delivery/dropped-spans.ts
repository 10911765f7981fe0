/**
 * The ids of the most recent dropped spans, so that their finishes and children are dropped too.
 *
 * Kept as 64-bit fingerprints in typed arrays (an open-addressing table with linear probing, and a
 * ring of the same fingerprints in the order remembered, whose next slot holds the oldest once
 * full), not as the id strings: during an outage every refused span is remembered, and a Set of
 * strings kept each id alive through several young-generation collections, so that V8 counted them
 * as survivors and grew its young generation to the maximum (measured: 20-30 MB more RSS in the
 * outage benchmark). A typed array holds no object for the collector to copy. Remembering and
 * looking up are O(1); a lookup while nothing was ever remembered costs nothing. Two different ids
 * share a fingerprint with a probability of about 2^-64 per pair.
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
  // The fingerprint `#fingerprint()` computed last.
  #h = 0;
  #l = 0;

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
    this.#fingerprint(id);
    return this.#find(this.#h, this.#l) >= 0;
  }

  /** Remembers `id`, forgetting the oldest id once `capacity` are remembered. */
  remember(id: string): void {
    this.#fingerprint(id);
    const h = this.#h;
    const l = this.#l;
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

  /** Two independent 32-bit hashes of `id` (FNV-1a and a multiplicative one, each finalised), into `#h`, `#l`. */
  #fingerprint(id: string): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c ^ id.length;
    for (let index = 0; index < id.length; index++) {
      const code = id.charCodeAt(index);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.#h = mix(a);
    this.#l = mix(b ^ a);
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

/** murmur3's 32-bit finaliser, as an unsigned 32-bit integer. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
