/**
 * The creates held, by span id: for coalescing a finish into its create and for the dependants of a
 * create. Keyed by the ids' 64-bit fingerprints (`fingerprint.ts`) in typed arrays, an
 * open-addressing table with linear probing: a Map keyed by the id strings kept every held span's id
 * alive on the V8 heap, where they survived young-generation collections (see `text-arena.ts`).
 * `DroppedSpans` keeps its fingerprints in one too.
 */
export class SpanIndex {
  #mask: number;
  #count = 0;
  // A slot is used when `#used[slot]` is 1: fingerprint (`#high`, `#low`), value `#value`.
  #used: Uint8Array;
  #high: Uint32Array;
  #low: Uint32Array;
  #value: Int32Array;

  constructor(capacity = 1024) {
    this.#mask = capacity - 1;
    this.#used = new Uint8Array(capacity);
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#value = new Int32Array(capacity);
  }

  /** Entries held. */
  get size(): number {
    return this.#count;
  }

  /** The value of fingerprint (`h`, `l`), or -1. */
  get(h: number, l: number): number {
    if (this.#count === 0) return -1;
    const slot = this.#find(h, l);
    return slot < 0 ? -1 : this.#value[slot]!;
  }

  /** Sets the value of fingerprint (`h`, `l`). */
  set(h: number, l: number, value: number): void {
    // At most half full: short probe runs.
    if ((this.#count + 1) * 2 > this.#used.length) this.#resize(this.#used.length * 2);
    let slot = h & this.#mask;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === h && this.#low[slot] === l) {
        this.#value[slot] = value;
        return;
      }
      slot = (slot + 1) & this.#mask;
    }
    this.#used[slot] = 1;
    this.#high[slot] = h;
    this.#low[slot] = l;
    this.#value[slot] = value;
    this.#count++;
  }

  /** Forgets fingerprint (`h`, `l`) when its value is `value`. */
  delete(h: number, l: number, value: number): void {
    const slot = this.#find(h, l);
    if (slot >= 0 && this.#value[slot] === value) this.#delete(slot);
  }

  clear(): void {
    this.#used.fill(0);
    this.#count = 0;
  }

  #find(h: number, l: number): number {
    let slot = h & this.#mask;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === h && this.#low[slot] === l) return slot;
      slot = (slot + 1) & this.#mask;
    }
    return -1;
  }

  #resize(capacity: number): void {
    const used = this.#used;
    const high = this.#high;
    const low = this.#low;
    const value = this.#value;
    this.#mask = capacity - 1;
    this.#used = new Uint8Array(capacity);
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#value = new Int32Array(capacity);
    this.#count = 0;
    for (let slot = 0; slot < used.length; slot++) if (used[slot] === 1) this.set(high[slot]!, low[slot]!, value[slot]!);
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
        this.#value[hole] = this.#value[next]!;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    this.#used[hole] = 0;
    this.#count--;
  }
}
