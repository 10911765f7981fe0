import type { IncomingHttpHeaders } from 'node:http';
import { HTTPError, TimeoutError } from 'got';
import { ERROR_CODES } from '../errors.js';
import { isNonArrayObject } from '../util/objects.js';
import { ApiErrorBody } from '../models/api-response.js';
import {
  bodySnippet,
  PrefactorApiError,
  PrefactorAuthError,
  PrefactorClientError,
  type PrefactorHttpError,
  PrefactorNotFoundError,
  PrefactorResponseContractError,
  PrefactorValidationError,
  type ErrorRequestInfo,
  type ErrorResponseInfo,
} from './errors.js';
import { parseRetryAfterMs } from './retry-delay.js';

/** What the mapping needs to know about the call it explains. */
export interface CallContext {
  readonly request: ErrorRequestInfo;
  /** Origin of `apiUrl`, for network messages (never holds credentials). */
  readonly origin: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxRetryDelayMs: number;
  /** Removes the API token from any text that may end up in a message. */
  readonly redact: (text: string) => string;
  /** Why the call's own abort signal fired, when it did. */
  readonly abortedBy?: () => 'caller' | 'close' | undefined;
}

type Headers = IncomingHttpHeaders;


const label = ({ request }: CallContext): string => `${request.method} ${request.path}`;

function responseInfo(statusCode: number, headers: Headers, text: string, ctx: CallContext): ErrorResponseInfo {
  return { statusCode, headers, bodySnippet: bodySnippet(ctx.redact(text)) };
}

/** A contract error for a response that is not what the API promises. */
export function contractError(
  problem: string,
  statusCode: number,
  headers: Headers,
  text: string,
  ctx: CallContext,
  cause?: unknown,
): PrefactorResponseContractError {
  const response = responseInfo(statusCode, headers, text, ctx);
  return new PrefactorResponseContractError(
    ctx.redact(
      `${label(ctx)} returned ${statusCode} with ${problem}: "${response.bodySnippet}". ` +
        'Check that `apiUrl` points at the Prefactor API (a proxy or load balancer may have answered) and that the SDK is up to date.',
    ),
    { statusCode, bodySnippet: response.bodySnippet, cause, request: ctx.request, response },
  );
}

/** Parses a body that must be a JSON object; anything else is a `PrefactorResponseContractError`. */
export function parseJsonObject(statusCode: number, headers: Headers, text: string, ctx: CallContext): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw contractError('a body that is not JSON', statusCode, headers, text, ctx, error);
  }
  if (!isNonArrayObject(parsed)) {
    throw contractError('JSON that is not an object', statusCode, headers, text, ctx);
  }
  return parsed as Record<string, unknown>;
}

function hint(statusCode: number): string {
  if (statusCode === 401 || statusCode === 403) {
    return 'Check the API token (`apiToken` or PREFACTOR_API_TOKEN) and that it may access this resource.';
  }
  if (statusCode === 404) return 'Check the id in the path: the resource does not exist or this token cannot see it.';
  if (statusCode === 400 || statusCode === 422) {
    return 'Fix the fields named in `errors`; sending the same request again will fail the same way.';
  }
  if (statusCode === 409) {
    return 'The request conflicts with the resource (or reuses an idempotency key with another body); do not resend it unchanged.';
  }
  if (statusCode === 429) return 'The API is rate limiting: slow down (`retryAfterMs` says for how long when the API said).';
  if (statusCode >= 500) return 'The API failed: trying again later may succeed.';
  return 'See the API message.';
}

/** The error for a non-2xx response: an API error subclass, or a contract error when the body is not an API error. */
export function errorFromResponse(statusCode: number, headers: Headers, text: string, ctx: CallContext): PrefactorHttpError {
  let json: Record<string, unknown>;
  try {
    json = parseJsonObject(statusCode, headers, text, ctx);
  } catch (error) {
    return error as PrefactorResponseContractError;
  }
  const parsed = ApiErrorBody.safeParse(json);
  if (!parsed.success) {
    return contractError('an error body that is not {"status": "error", "code", "message"}', statusCode, headers, text, ctx, parsed.error);
  }
  const { code: apiCode, message, errors } = parsed.data;
  // The API may echo the token back in a field's message: the map is cut like every other text.
  const fieldErrors = errors ? (redactDeep(errors, ctx.redact) as Record<string, unknown>) : undefined;
  const summary = fieldErrors
    ? ` (${Object.entries(fieldErrors)
        .slice(0, 5)
        .map(([field, problem]) => `${field}: ${typeof problem === 'string' ? problem : JSON.stringify(problem)}`)
        .join('; ')})`
    : '';
  const retryAfter = parseRetryAfterMs(headers['retry-after']);
  const options = {
    apiCode,
    statusCode,
    errors: fieldErrors,
    retryAfterMs: retryAfter === undefined ? undefined : Math.min(retryAfter, ctx.maxRetryDelayMs),
    request: ctx.request,
    response: responseInfo(statusCode, headers, text, ctx),
  };
  const text_ = ctx.redact(`${label(ctx)} failed with ${statusCode} ${apiCode}: ${message}${summary}. ${hint(statusCode)}`);
  if (statusCode === 401 || statusCode === 403) return new PrefactorAuthError(text_, options);
  if (statusCode === 404) return new PrefactorNotFoundError(text_, options);
  if (statusCode === 400 || statusCode === 422) return new PrefactorValidationError(text_, options);
  return new PrefactorApiError(text_, options);
}

/** `value` (JSON data) with `redact` applied to every string in it, keys included. */
function redactDeep(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact));
  if (isNonArrayObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), redactDeep(item, redact)]));
  return value;
}

/** A plain system error to keep as `cause`: got's own errors hold the request options, headers (the token) included. */
function systemCause(error: Error): unknown {
  return error.cause instanceof Error ? error.cause : undefined;
}

/** Maps whatever got threw to the client's error classes. */
export function errorFromGot(error: unknown, ctx: CallContext): PrefactorHttpError {
  const abortedBy = ctx.abortedBy?.();
  if (abortedBy === 'close') {
    return new PrefactorClientError(
      `${label(ctx)} was cancelled because the client was closed. Create a new PrefactorHttpClient to send more requests.`,
      { code: ERROR_CODES.clientClosed, request: ctx.request },
    );
  }
  if (abortedBy === 'caller') {
    return new PrefactorClientError(`${label(ctx)} was aborted by the caller's signal; nothing more will be sent for it.`, {
      code: ERROR_CODES.aborted,
      request: ctx.request,
    });
  }
  if (error instanceof HTTPError) {
    const { statusCode, headers, body } = error.response;
    return errorFromResponse(statusCode, headers, String(body), ctx);
  }
  if (error instanceof TimeoutError) {
    const connect = error.event === 'connect' || error.event === 'lookup' || error.event === 'secureConnect';
    const [option, ms] = connect ? ['connectTimeoutMs', ctx.connectTimeoutMs] : ['requestTimeoutMs', ctx.requestTimeoutMs];
    return new PrefactorClientError(
      `${label(ctx)} timed out: no ${connect ? 'connection' : 'response'} within ${ms} ms (\`${option}\`). ` +
        `Check that ${ctx.origin} is reachable and healthy, or raise \`${option}\`.`,
      { code: ERROR_CODES.timeout, systemCode: 'ETIMEDOUT', request: ctx.request, cause: systemCause(error) },
    );
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const rawCode: unknown = (err as Error & { code?: unknown }).code;
  const systemCode = typeof rawCode === 'string' ? rawCode : 'ERR_REQUEST';
  return new PrefactorClientError(
    ctx.redact(`${label(ctx)} could not complete against ${ctx.origin} (${systemCode}: ${err.message}). Check \`apiUrl\` and that the API is reachable.`),
    { code: ERROR_CODES.network, systemCode, request: ctx.request, cause: systemCause(err) },
  );
}
