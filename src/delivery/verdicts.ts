import { ERROR_CODES } from '../errors.js';
import { backoffMs } from '../util/backoff.js';
import {
  isTransientError,
  PrefactorApiError,
  PrefactorClientError,
  PrefactorNotFoundError,
  PrefactorResponseContractError,
  PrefactorRetryExhaustedError,
} from '../http/errors.js';
import { CREATE, INSTANCE_FINISH, REGISTER, SPAN_FINISH, START } from './operations.js';
import type { OperationKind } from './operations.js';

/**
 * What to do with an operation or a request the API did not accept: pure functions of the answer,
 * kept apart from the worker that acts on them.
 */

/** Item error codes worth another attempt (a real API may answer them per item). */
const TRANSIENT_ITEM_CODES = new Set(['internal_error', 'server_error', 'service_unavailable', 'rate_limited', 'timeout']);

/**
 * An operation answered with error `code` (a bulk item's output, or a single request's 4xx):
 * - `unsupported`: the bulk endpoint does not know its type; send such operations on their own;
 * - `delivered`: an earlier attempt got through (409 `invalid_action` on a start or finish,
 *   `already_exists` on a register or create);
 * - `transient`: try again later;
 * - `rejected`: permanent; drop it and its dependants.
 */
export function itemVerdict(kind: OperationKind, code: unknown): 'unsupported' | 'delivered' | 'transient' | 'rejected' {
  if (code === 'unknown_action') return 'unsupported';
  if (code === 'invalid_action' && (kind === START || kind === INSTANCE_FINISH || kind === SPAN_FINISH)) return 'delivered';
  if (code === 'already_exists' && (kind === REGISTER || kind === CREATE)) return 'delivered';
  if (typeof code === 'string' && TRANSIENT_ITEM_CODES.has(code)) return 'transient';
  return 'rejected';
}

/** Fields whose refusal means that a create's instance or parent span is not (yet) known. */
const REFERENCE_FIELD = /(^|\.)(agent_instance_id|parent_span_id)$/;

/**
 * Whether a create was refused because the API does not know its instance or parent span (yet): a
 * 404 `not_found`, or a `validation_error` on `agent_instance_id` / `parent_span_id` (what the local
 * server answers). For the create of a span continued from another process, whose caller may not
 * have sent them yet, this is worth waiting for.
 */
export function isMissingReference(code: unknown, errors: unknown): boolean {
  if (code === 'not_found') return true;
  if (code !== 'validation_error' || typeof errors !== 'object' || errors === null) return false;
  const fields = Object.keys(errors);
  return fields.length > 0 && fields.every((field) => REFERENCE_FIELD.test(field));
}

/** Client-side failures that are final: the caller aborted, the client was closed, or the request was refused before sending. */
const FINAL_CLIENT_CODES = new Set<string>([ERROR_CODES.aborted, ERROR_CODES.clientClosed, ERROR_CODES.invalidRequest]);

/**
 * Whether `error` failed on this side without an answer from the server (a network error of any
 * code, known or not, or retries exhausted on one): never a rejection by the server, so the
 * operations stay queued. A new Node version may report an outage under a new code (Node 24:
 * `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`); dropping everything as rejected would be the wrong bet.
 */
export function isUnanswered(error: unknown): boolean {
  const last = error instanceof PrefactorRetryExhaustedError ? error.lastError : error;
  return last instanceof PrefactorClientError && !FINAL_CLIENT_CODES.has(last.code);
}

/**
 * A whole request failed with `error`, carrying `count` operations:
 * - `no_bulk`: 404 on the bulk endpoint; send single requests from now on;
 * - `too_large`: 413 on a bulk of several; send smaller batches;
 * - `transient`: network (any client-side failure but an abort, see `isUnanswered`), timeout,
 *   429, 5xx or a malformed answer; retry later (safe: every operation keeps its idempotency key);
 * - `isolate`: a bulk of several refused as a whole; send them one by one, so only a bad one fails;
 * - `rejected`: permanent; so is a bulk refused with 401: the token is refused, and every request
 *   carries it (sent one by one, each operation would only be refused again, a request each).
 */
export function requestVerdict(error: unknown, bulk: boolean, count: number): 'no_bulk' | 'too_large' | 'transient' | 'isolate' | 'rejected' {
  if (bulk && error instanceof PrefactorNotFoundError) return 'no_bulk';
  if (bulk && count > 1 && error instanceof PrefactorApiError && error.statusCode === 413) return 'too_large';
  if (isTransientError(error) || isUnanswered(error) || error instanceof PrefactorResponseContractError) return 'transient';
  if (error instanceof PrefactorApiError && error.statusCode === 401) return 'rejected';
  return bulk && count > 1 ? 'isolate' : 'rejected';
}

/**
 * The engine's pause after its `failures`-th consecutive transient failure, in milliseconds:
 * `baseMs * 2^(failures - 1)` with +/-20% jitter (`random` in [0, 1)), capped at `maxMs` (`backoffMs`).
 */
export function redeliveryDelayMs(failures: number, baseMs: number, maxMs: number, random: number = Math.random()): number {
  return backoffMs(Math.max(failures - 1, 0), { initialMs: baseMs, multiplier: 2, maxMs, jitter: 0.2 }, random);
}
