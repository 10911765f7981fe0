/**
 * 64-bit fingerprints of ids, as two unsigned 32-bit halves: what the engine keys its tables of span
 * ids by (`SpanIndex`, `DroppedSpans`), in typed arrays, instead of keeping the id strings alive.
 * Two different ids share a fingerprint with a probability of about 2^-64 per pair.
 */

/** The halves of the fingerprint `fingerprint()` computed last (read them before the next call). */
export let fingerprintHigh = 0;
export let fingerprintLow = 0;

// The id fingerprinted last: a span's end, and its first child's start, ask for the fingerprint
// of the id its start computed.
let lastId: string | undefined;
let lastHigh = 0;
let lastLow = 0;

/** Two independent 32-bit hashes of `id` (FNV-1a and a multiplicative one, each finalised), into `fingerprintHigh`, `fingerprintLow`. */
export function fingerprint(id: string): void {
  if (id === lastId) {
    fingerprintHigh = lastHigh;
    fingerprintLow = lastLow;
    return;
  }
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  fingerprintHigh = lastHigh = mix(a);
  fingerprintLow = lastLow = mix(b ^ a);
  lastId = id;
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
