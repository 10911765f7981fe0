import { randomFillSync } from 'node:crypto';

/**
 * Ids in the Prefactor API's own format: 32 characters of lower-case Crockford base32 holding a
 * 48-bit millisecond timestamp (10 characters, the first one 0-7), a 30-bit partition (6 characters)
 * and 80 random bits (16 characters). Ids sort by creation time, and ids made with the same
 * partition land together in the API's storage.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_PATTERN = /^[0-7][0-9abcdefghjkmnpqrstvwxyz]{31}$/;
const MAX_PARTITION = 0x3fffffff;

// Every pair of base32 characters, indexed by 10 random bits: one lookup gives two characters.
const PAIRS: readonly string[] = Array.from({ length: 1024 }, (_, bits) => ALPHABET[bits >> 5]! + ALPHABET[bits & 31]!);
// Random bits are drawn in blocks: one `randomFillSync` per 1024 ids instead of one per id keeps id
// generation off the hot path's profile. 65536 is a multiple of 1024, so `& 1023` keeps every pair
// uniform.
const POOL_SIZE = 8192;
const pool = new Uint16Array(POOL_SIZE);
let poolOffset = POOL_SIZE;
// The timestamp-and-partition prefix changes at most once a millisecond: it is kept for the last
// (timestamp, partition) pair asked for, which is the common case on a hot path.
let prefixMs = -1;
let prefixPartition = -1;
let prefix = '';

function encodeBase32(value: number, length: number): string {
  let text = '';
  for (let index = length - 1; index >= 0; index--) {
    // Division rather than `>>`: the timestamp is wider than 32 bits.
    text += ALPHABET[Math.floor(value / 2 ** (5 * index)) % 32];
  }
  return text;
}

/** Whether `value` is an id in the API's format. */
export function isPrefactorId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** A random 30-bit partition. */
export function randomPartition(): number {
  return randomFillSync(Buffer.allocUnsafe(4)).readUInt32BE(0) & MAX_PARTITION;
}

/** The partition of an id in the API's format. Throws a `TypeError` for anything else. */
export function partitionOf(id: string): number {
  if (!isPrefactorId(id)) {
    throw new TypeError(`Expected an id of 32 Crockford base32 characters, got ${JSON.stringify(id)}`);
  }
  let partition = 0;
  for (let index = 10; index < 16; index++) partition = partition * 32 + ALPHABET.indexOf(id[index]!);
  return partition;
}

/**
 * A new id. `partition` defaults to a random one; pass `partitionOf(agentId)` so that an agent's
 * instances and spans share its partition.
 */
export function generateId(partition: number = randomPartition(), timestampMs: number = Date.now()): string {
  if (timestampMs !== prefixMs || partition !== prefixPartition) {
    prefixMs = timestampMs;
    prefixPartition = partition;
    prefix = encodeBase32(timestampMs, 10) + encodeBase32(partition & MAX_PARTITION, 6);
  }
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset = at + 8;
  return (
    prefix +
    PAIRS[pool[at]! & 1023] + PAIRS[pool[at + 1]! & 1023] + PAIRS[pool[at + 2]! & 1023] + PAIRS[pool[at + 3]! & 1023] +
    PAIRS[pool[at + 4]! & 1023] + PAIRS[pool[at + 5]! & 1023] + PAIRS[pool[at + 6]! & 1023] + PAIRS[pool[at + 7]! & 1023]
  );
}
