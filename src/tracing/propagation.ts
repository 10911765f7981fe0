/**
 * The propagation headers: what one process sends so that another continues its trace. Pure
 * functions of ids and header values; the tracer decides when to use them.
 *
 * - `traceparent` (W3C Trace Context, version `00`): `00-<trace id>-<parent id>-<flags>`, so that
 *   proxies and services that speak OpenTelemetry keep the trace. The trace id is derived from the
 *   agent instance id, the parent id from the span id (see `traceIdOf` / `parentIdOf`); flags `01`
 *   when the instance is sampled, `00` when not.
 * - `prefactor-context`: `v1;instance=<instance id>;span=<span id>;sampled=1`, the ids in this
 *   SDK's own format (percent-encoded), so that the receiver's spans carry the real parent. `span`
 *   is left out when the sender has no span (an unsampled instance); unknown keys are ignored.
 */
import { createHash } from 'node:crypto';
import { isPrefactorId } from '../util/ids.js';

export const TRACEPARENT = 'traceparent';
export const PREFACTOR_CONTEXT = 'prefactor-context';
/** Longest `prefactor-context` value accepted, in characters: longer is ignored (`oversized`). */
export const MAX_CONTEXT_LENGTH = 1024;

/** The remote context read from a `prefactor-context` header. */
export interface RemoteContext {
  readonly instanceId: string;
  /** The caller's span: the parent of the receiver's root spans. `undefined` when not sampled. */
  readonly spanId: string | undefined;
  readonly sampled: boolean;
}

/** Why headers were not continued. `absent` is not counted; the others are. */
export type IgnoredReason = 'absent' | 'malformed' | 'oversized' | 'foreign';

/** Headers as a plain object (`IncomingMessage.headers`, a literal) or a Fetch `Headers`. */
export type HeadersLike =
  | { readonly get: (name: string) => string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** What `continueFrom` reads: headers, or a message that has them (`IncomingMessage`, `Request`). */
export type PropagationSource = HeadersLike | { readonly headers: HeadersLike } | undefined | null;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Ids in a context: printable ASCII without separators once decoded, 1 to 256 characters. */
const ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

/** 4 base32 digits (20 bits) of `id` from `at`, as 5 hex digits. */
function hex20(id: string, at: number): string {
  let value = 0;
  for (let index = at; index < at + 4; index++) value = value * 32 + ALPHABET.indexOf(id[index]!);
  return value.toString(16).padStart(5, '0');
}

/** The 80 random bits of a Prefactor id (its last 16 digits) as 20 hex digits. */
function randomHex(id: string): string {
  return hex20(id, 16) + hex20(id, 20) + hex20(id, 24) + hex20(id, 28);
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** `hex`, unless it is all zeros (W3C forbids them): then a digest of `id`. */
function nonZero(hex: string, id: string): string {
  return /[1-9a-f]/.test(hex) ? hex : digest(id, hex.length);
}

/**
 * The W3C trace id (32 hex digits) of an agent instance. A Prefactor id gives its 48-bit
 * millisecond timestamp (12 hex digits) followed by its 80 random bits (20 hex digits): the
 * partition is left out, the trace id still sorts by time and is unique like the id. Any other id
 * gives the first 32 hex digits of its SHA-256.
 */
export function traceIdOf(instanceId: string): string {
  if (!isPrefactorId(instanceId)) return nonZero(digest(instanceId, 32), instanceId);
  let timestamp = 0;
  for (let index = 0; index < 10; index++) timestamp = timestamp * 32 + ALPHABET.indexOf(instanceId[index]!);
  return nonZero(timestamp.toString(16).padStart(12, '0') + randomHex(instanceId), instanceId);
}

/**
 * The W3C parent id (16 hex digits) of a span: the last 64 of its 80 random bits for a Prefactor
 * id, else the first 16 hex digits of its SHA-256.
 */
export function parentIdOf(spanId: string): string {
  if (!isPrefactorId(spanId)) return nonZero(digest(spanId, 16), spanId);
  return nonZero(randomHex(spanId).slice(4), spanId);
}

/** The headers that carry `context`. */
export function contextHeaders(context: RemoteContext): Record<string, string> {
  const flags = context.sampled ? '01' : '00';
  const parentId = parentIdOf(context.spanId ?? context.instanceId);
  let value = `v1;instance=${encodeURIComponent(context.instanceId)}`;
  if (context.spanId !== undefined) value += `;span=${encodeURIComponent(context.spanId)}`;
  value += `;sampled=${context.sampled ? 1 : 0}`;
  return { [TRACEPARENT]: `00-${traceIdOf(context.instanceId)}-${parentId}-${flags}`, [PREFACTOR_CONTEXT]: value };
}

/** The value of header `name` (lower case) in `headers`, `undefined` when absent; an array when repeated. */
function headerValue(headers: HeadersLike, name: string): unknown {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get: (name: string) => string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, unknown>>;
  if (Object.hasOwn(record, name)) return record[name];
  for (const key of Object.keys(record)) if (key.toLowerCase() === name) return record[key];
  return undefined;
}

function decodeId(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const id = decodeURIComponent(text);
    return ID_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The remote context in `headers`, or why there is none: `absent` (no `prefactor-context`; a lone
 * `traceparent` from another tracer is `foreign`), `oversized`, `malformed`, or `foreign` (another
 * version). Never throws.
 */
export function readContext(source: unknown): RemoteContext | IgnoredReason {
  if (typeof source !== 'object' || source === null) return 'absent';
  let value: unknown;
  try {
    const inner = (source as { headers?: unknown }).headers;
    const hasGet = typeof (source as { get?: unknown }).get === 'function';
    const headers = !hasGet && typeof inner === 'object' && inner !== null ? inner : source;
    value = headerValue(headers as HeadersLike, PREFACTOR_CONTEXT);
    if (value === undefined) {
      const parent = headerValue(headers as HeadersLike, TRACEPARENT);
      return typeof parent === 'string' && TRACEPARENT_PATTERN.test(parent) ? 'foreign' : parent === undefined ? 'absent' : 'malformed';
    }
  } catch {
    return 'malformed';
  }
  if (typeof value !== 'string') return 'malformed';
  if (value.length > MAX_CONTEXT_LENGTH) return 'oversized';
  const parts = value.split(';').map((part) => part.trim());
  if (parts[0] !== 'v1') return /^v\d+$/.test(parts[0]!) ? 'foreign' : 'malformed';
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const at = part.indexOf('=');
    if (at <= 0 || fields.has(part.slice(0, at))) return 'malformed';
    fields.set(part.slice(0, at), part.slice(at + 1));
  }
  const instanceId = decodeId(fields.get('instance'));
  const sampled = fields.get('sampled');
  const spanText = fields.get('span');
  const spanId = decodeId(spanText);
  if (instanceId === undefined || (sampled !== '1' && sampled !== '0') || (spanText !== undefined && spanId === undefined)) return 'malformed';
  // A sampled context continues under a span; an unsampled one needs none.
  if (sampled === '1' && spanId === undefined) return 'malformed';
  return { instanceId, spanId, sampled: sampled === '1' };
}
