/**
 * The ids of the most recent dropped spans, so that their finishes and children are dropped too:
 * a Set for lookups and a ring of the same ids in the order remembered, whose next slot holds the
 * oldest once full. Remembering is O(1). (Evicting through `Set#values().next()` instead costs ~13
 * us per call once the Set is full: V8 walks the holes that earlier deletes left at its front.)
 */
export class DroppedSpans {
  readonly #ids = new Set<string>();
  readonly #ring: string[] = [];
  #next = 0;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id`, forgetting the oldest id once `capacity` are remembered. */
  remember(id: string): void {
    const ring = this.#ring;
    if (ring.length < this.#capacity) ring.push(id);
    else {
      this.#ids.delete(ring[this.#next]!);
      ring[this.#next] = id;
      this.#next = (this.#next + 1) % this.#capacity;
    }
    this.#ids.add(id);
  }
}
