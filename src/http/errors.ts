/**
 * The client's errors, mirroring `prefactor_http`. Every error has a stable `code`. Request and response
 * details hang off non-enumerable properties (`request`, `response`), so logging or serialising an error
 * shows its message and code, never a socket or a header; no message ever holds the API token.
 */

/** What was sent: for messages and debugging. Never holds headers (the token is one). */
export interface ErrorRequestInfo {
  readonly method: string;
  readonly path: string;
}

/** What came back, when something did. */
export interface ErrorResponseInfo {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bodySnippet: string;
}

export interface PrefactorHttpErrorOptions {
  readonly code: string;
  readonly cause?: unknown;
  readonly request?: ErrorRequestInfo;
  readonly response?: ErrorResponseInfo;
}

function hide(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}

/** Base class of every error the HTTP client throws. */
export class PrefactorHttpError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** Method and path of the failed call (non-enumerable). */
  declare readonly request?: ErrorRequestInfo;
  /** Status, headers and a body snippet of the response, when there was one (non-enumerable). */
  declare readonly response?: ErrorResponseInfo;

  constructor(message: string, options: PrefactorHttpErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    hide(this, 'name', new.target.name);
    this.code = options.code;
    hide(this, 'request', options.request);
    hide(this, 'response', options.response);
  }

  /** A plain object for `JSON.stringify`: name, code, message and the subclass's own fields. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), name: this.name, code: this.code, message: this.message };
  }
}

export interface PrefactorApiErrorOptions extends PrefactorHttpErrorOptions {
  readonly statusCode: number;
  readonly errors?: Record<string, unknown> | undefined;
  readonly retryAfterMs?: number | undefined;
}

/** The API answered with an error (`{"status": "error", code, message, errors?}`). `code` is the API's. */
export class PrefactorApiError extends PrefactorHttpError {
  /** HTTP status of the response. */
  readonly statusCode: number;
  // `declare`: an absent optional field stays absent instead of showing as `undefined`.
  /** Field path -> message, when the API sent them. */
  declare readonly errors?: Record<string, unknown>;
  /** What the response's `Retry-After` asked for, in milliseconds (capped at `maxRetryDelayMs`). */
  declare readonly retryAfterMs?: number;

  constructor(message: string, options: PrefactorApiErrorOptions) {
    super(message, options);
    this.statusCode = options.statusCode;
    if (options.errors !== undefined) (this as { errors?: Record<string, unknown> }).errors = options.errors;
    if (options.retryAfterMs !== undefined) (this as { retryAfterMs?: number }).retryAfterMs = options.retryAfterMs;
  }
}

/** 401 or 403: the token is missing, wrong, or lacks the permission. */
export class PrefactorAuthError extends PrefactorApiError {}

/** 404: the id in the path does not exist (or is not visible to this token). */
export class PrefactorNotFoundError extends PrefactorApiError {}

/** 400 or 422: the API rejected the request's fields; `errors` maps field paths to messages. */
export class PrefactorValidationError extends PrefactorApiError {
  declare readonly errors: Record<string, unknown>;
  constructor(message: string, options: PrefactorApiErrorOptions) {
    super(message, { ...options, errors: options.errors ?? {} });
  }
}

/** Every attempt failed with a retryable error; `lastError` is the last one. Code `retry_exhausted`. */
export class PrefactorRetryExhaustedError extends PrefactorHttpError {
  /** How many attempts were made. */
  readonly attempts: number;
  /** `lastError.retryAfterMs`, when the last response asked for a pause. */
  declare readonly retryAfterMs?: number;

  constructor(message: string, lastError: PrefactorHttpError, attempts: number) {
    super(message, { code: 'retry_exhausted', cause: lastError, request: lastError.request, response: lastError.response });
    this.attempts = attempts;
    if (lastError instanceof PrefactorApiError && lastError.retryAfterMs !== undefined) {
      (this as { retryAfterMs?: number }).retryAfterMs = lastError.retryAfterMs;
    }
  }

  /** The error of the last attempt (also `cause`). */
  get lastError(): PrefactorHttpError {
    return this.cause as PrefactorHttpError;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), lastError: this.lastError.toJSON() };
  }
}

/**
 * Failed on this side: network (`ECONNREFUSED`, `ECONNRESET`...), timeout (`ETIMEDOUT`), `ABORTED` by the
 * caller's signal, `CLIENT_CLOSED`, or an `invalid_request` refused before sending.
 */
export class PrefactorClientError extends PrefactorHttpError {}

export interface PrefactorResponseContractErrorOptions {
  readonly statusCode?: number | undefined;
  readonly bodySnippet?: string | undefined;
  readonly cause?: unknown;
  readonly request?: ErrorRequestInfo;
  readonly response?: ErrorResponseInfo;
}

/** The response did not fit the API's contract (not JSON, not an object, wrong shape). Code `response_contract`. */
export class PrefactorResponseContractError extends PrefactorHttpError {
  /** HTTP status of the offending response. */
  declare readonly statusCode?: number;
  /** At most 200 characters of the body, whitespace collapsed. */
  declare readonly bodySnippet?: string;

  constructor(message: string, options: PrefactorResponseContractErrorOptions = {}) {
    super(message, { ...options, code: 'response_contract' });
    if (options.statusCode !== undefined) (this as { statusCode?: number }).statusCode = options.statusCode;
    if (options.bodySnippet !== undefined) (this as { bodySnippet?: string }).bodySnippet = options.bodySnippet;
  }
}

/**
 * Network error codes that are worth another attempt. Node 24's http agent reports a refused or
 * failed connection attempt as `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` (or, with `autoSelectFamily`,
 * `ERR_SOCKET_CONNECTION_TIMEOUT`) instead of the system error of Node 20.
 */
export const TRANSIENT_NETWORK_CODES: readonly string[] = [
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'EADDRINUSE',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_SOCKET_CLOSED',
];

const isTransientStatus = (status: number | undefined): boolean => status !== undefined && (status === 429 || status >= 500);

/**
 * Whether trying the same operation later may succeed: network errors and timeouts, 429 and 5xx answers,
 * contract errors on a 429/5xx response, and a `PrefactorRetryExhaustedError` whose last error is one of those.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof PrefactorRetryExhaustedError) return isTransientError(error.lastError);
  if (error instanceof PrefactorApiError) return isTransientStatus(error.statusCode);
  if (error instanceof PrefactorResponseContractError) return isTransientStatus(error.statusCode);
  if (error instanceof PrefactorClientError) return TRANSIENT_NETWORK_CODES.includes(error.code);
  return false;
}

/** At most 200 characters of `text`, whitespace runs collapsed to one space. */
export function bodySnippet(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 200 ? `${collapsed.slice(0, 197)}...` : collapsed;
}
