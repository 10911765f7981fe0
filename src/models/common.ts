import { isNonArrayObject } from '../util/objects.js';
import { z } from 'zod';

/** Every status an agent instance or span can be in, as on the wire. */
export const AgentStatus = z.enum(['pending', 'active', 'complete', 'failed', 'cancelled']);
export type AgentStatus = z.infer<typeof AgentStatus>;

/** The statuses a finish call may set. */
export const FinishStatus = z.enum(['complete', 'failed', 'cancelled']);
export type FinishStatus = z.infer<typeof FinishStatus>;

/** An ISO 8601 timestamp with a time zone, as the API sends and accepts it. */
export const IsoTimestamp = z.iso.datetime({ offset: true, local: false });

/**
 * A timestamp given by a caller: a `Date` or an ISO 8601 string. Always leaves as an ISO 8601 string
 * (`Date#toISOString()`, milliseconds and `Z`).
 */
export const TimestampInput = z
  // The string first: it is what arrives on the wire, and a failed union branch costs an issue.
  .union([IsoTimestamp, z.date()])
  .transform((value) => (typeof value === 'string' ? value : value.toISOString()));
export type TimestampInput = z.input<typeof TimestampInput>;

/** Shortest idempotency key the API accepts. */
export const MIN_IDEMPOTENCY_KEY_LENGTH = 8;
/** Longest idempotency key the API accepts. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 64;

/** An idempotency key: 8 to 64 characters (the bulk endpoint's rule, applied everywhere). */
export const IdempotencyKey = z.string().min(MIN_IDEMPOTENCY_KEY_LENGTH).max(MAX_IDEMPOTENCY_KEY_LENGTH);

/**
 * A JSON object (payloads, JSON schemas): checked to be a plain object, not walked or copied (a
 * payload's contents are the agent's own; walking them on every request would cost more than the
 * rest of the validation together).
 */
export const JsonObject = z.custom<Record<string, unknown>>(
  isNonArrayObject,
  { message: 'Invalid input: expected a JSON object' },
);
export type JsonObject = Record<string, unknown>;
