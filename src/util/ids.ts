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

// The character code of each base32 digit.
const CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
// Random bytes are drawn in blocks: one `randomFillSync` per 1024 ids instead of one per id keeps id
// generation off the hot path's profile. 256 is a multiple of 32, so `& 31` keeps every digit uniform.
const POOL_SIZE = 16_384;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;
// The timestamp-and-partition prefix changes at most once a millisecond: its 16 character codes are
// kept for the last (timestamp, partition) pair asked for, which is the common case on a hot path.
let prefixMs = -1;
let prefixPartition = -1;
const prefix = new Uint8Array(16);

/** Writes `value` as `length` base32 digits into `prefix` from `at`. */
function encodePrefix(value: number, at: number, length: number): void {
  for (let index = length - 1; index >= 0; index--) {
    // Division rather than `>>`: the timestamp is wider than 32 bits.
    prefix[at + length - 1 - index] = CODES[Math.floor(value / 2 ** (5 * index)) % 32]!;
  }
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
    encodePrefix(timestampMs, 0, 10);
    encodePrefix(partition & MAX_PARTITION, 10, 6);
  }
  if (poolOffset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset = at + 16;
  const p = prefix;
  const r = pool;
  // One flat string from 32 character codes: concatenating pieces would leave a rope of 9 strings
  // per id that lives as long as the queued span and is flattened again on every use.
  return String.fromCharCode(
    p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, p[8]!, p[9]!, p[10]!, p[11]!, p[12]!, p[13]!, p[14]!, p[15]!,
    CODES[r[at]! & 31]!, CODES[r[at + 1]! & 31]!, CODES[r[at + 2]! & 31]!, CODES[r[at + 3]! & 31]!,
    CODES[r[at + 4]! & 31]!, CODES[r[at + 5]! & 31]!, CODES[r[at + 6]! & 31]!, CODES[r[at + 7]! & 31]!,
    CODES[r[at + 8]! & 31]!, CODES[r[at + 9]! & 31]!, CODES[r[at + 10]! & 31]!, CODES[r[at + 11]! & 31]!,
    CODES[r[at + 12]! & 31]!, CODES[r[at + 13]! & 31]!, CODES[r[at + 14]! & 31]!, CODES[r[at + 15]! & 31]!,
  );
}
