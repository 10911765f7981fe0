import { randomFillSync } from 'node:crypto';
import { generateId } from './ids.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
// Every pair of base32 characters, indexed by 10 random bits: one lookup gives two characters.
const PAIRS: readonly string[] = Array.from({ length: 1024 }, (_, bits) => ALPHABET[bits >> 5]! + ALPHABET[bits & 31]!);
const POOL_SIZE = 8192;

/**
 * Span and instance ids for one partition, in the format of `generateId` (src/ids.ts), made for the
 * hot path: the timestamp-and-partition prefix (16 characters) is made by `generateId` once per
 * millisecond, and the 80 random bits come from a pooled `randomFillSync` two characters at a time.
 */
export class IdSource {
  readonly #partition: number;
  #prefixMs = -1;
  #prefix = '';
  readonly #pool = new Uint16Array(POOL_SIZE);
  #offset = POOL_SIZE;

  constructor(partition: number) {
    this.#partition = partition;
  }

  /** A new id stamped `nowMs` (an integer, `Date.now()`). */
  next(nowMs: number): string {
    if (nowMs !== this.#prefixMs) {
      this.#prefixMs = nowMs;
      this.#prefix = generateId(this.#partition, nowMs).slice(0, 16);
    }
    if (this.#offset + 8 > POOL_SIZE) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const pool = this.#pool;
    const at = this.#offset;
    this.#offset = at + 8;
    // 65536 is a multiple of 1024, so `& 1023` keeps every pair uniform.
    return (
      this.#prefix +
      PAIRS[pool[at]! & 1023] + PAIRS[pool[at + 1]! & 1023] + PAIRS[pool[at + 2]! & 1023] + PAIRS[pool[at + 3]! & 1023] +
      PAIRS[pool[at + 4]! & 1023] + PAIRS[pool[at + 5]! & 1023] + PAIRS[pool[at + 6]! & 1023] + PAIRS[pool[at + 7]! & 1023]
    );
  }
}
