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
  .union([z.date(), IsoTimestamp])
  .transform((value) => (typeof value === 'string' ? value : value.toISOString()));
export type TimestampInput = z.input<typeof TimestampInput>;

/** An idempotency key: 8 to 64 characters (the bulk endpoint's rule, applied everywhere). */
export const IdempotencyKey = z.string().min(8).max(64);

/** A JSON object (payloads, JSON schemas). */
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObject>;
