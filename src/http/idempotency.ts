import { nanoid } from 'nanoid';
import { MAX_IDEMPOTENCY_KEY_LENGTH, MIN_IDEMPOTENCY_KEY_LENGTH } from '../models/common.js';
const RANDOM_LENGTH = 21;
/** Longest `defaultIdempotencyKey` prefix: `<prefix>-<21 random characters>` must fit in 64. */
export const MAX_KEY_PREFIX_LENGTH = MAX_IDEMPOTENCY_KEY_LENGTH - RANDOM_LENGTH - 1;

/**
 * A new idempotency key: 21 url-safe random characters (nanoid, 126 bits), after `<prefix>-` when a prefix is
 * given. Generated once per call and reused by every retry of that call.
 */
export function generateIdempotencyKey(prefix?: string): string {
  const random = nanoid(RANDOM_LENGTH);
  return prefix ? `${prefix}-${random}` : random;
}

/**
 * Why `key` is not a valid idempotency key (`undefined` when it is). The message shows the length, never
 * the key itself, which may be long.
 */
export function idempotencyKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string, got ${key === null ? 'null' : typeof key}`;
  if (key.length < MIN_IDEMPOTENCY_KEY_LENGTH || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `must be ${MIN_IDEMPOTENCY_KEY_LENGTH}-${MAX_IDEMPOTENCY_KEY_LENGTH} characters long, got ${key.length}`;
  }
  return undefined;
}
