/**
 * The local server's limits: what one request may cost it. A client over a limit gets a 4xx that
 * names the limit (never a 500, which clients retry), and the server keeps answering others.
 */

/** Items a bulk request may hold (413 `too_many_items` above). */
export const MAX_BULK_ITEMS = 5_000;
/** Entries of a 422 `errors` map; the body's `error_count` says how many issues there were. */
export const MAX_REPORTED_ISSUES = 100;
/** Fields named in a 422 message (the rest are in `errors`). */
export const MAX_ISSUES_IN_MESSAGE = 5;
/** Nesting of objects and arrays in a request body (400 `json_too_deep` above). */
export const MAX_JSON_DEPTH = 512;
/** Default of `maxBodyBytes`: one request body (413 `payload_too_large` above). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Default of `maxBufferedBytes`: request bodies held at once (503 `server_busy` above). */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/**
 * How long the server works on one bulk request before it lets others in (a `setImmediate` turn), in
 * milliseconds: a bulk request of `MAX_BULK_ITEMS` items never keeps `/ping` waiting longer.
 */
export const BULK_SLICE_MS = 10;
