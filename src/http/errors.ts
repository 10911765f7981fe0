import { defineHidden, ERROR_CODES, PrefactorError, type PrefactorErrorCode } from '../errors.js';

/**
 * The client's errors, mirroring `prefactor_http`. Every error has a stable `code` (`ERR_PREFACTOR_*`). Request and response
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
  readonly code: PrefactorErrorCode;
  readonly cause?: unknown;
  readonly request?: ErrorRequestInfo;
  readonly response?: ErrorResponseInfo;
}

/** Base class of every error the HTTP client throws. */
export class PrefactorHttpError extends PrefactorError {
  /** Method and path of the failed call (non-enumerable). */
  declare readonly request?: ErrorRequestInfo;
  /** Status, headers and a body snippet of the response, when there was one (non-enumerable). */
  declare readonly response?: ErrorResponseInfo;

  constructor(message: string, options: PrefactorHttpErrorOptions) {
    super(message, options);
    defineHidden(this, 'request', options.request);
    defineHidden(this, 'response', options.response);
  }
}

export interface PrefactorApiErrorOptions extends Omit<PrefactorHttpErrorOptions, 'code'> {
  /** The API's own code, such as `validation_error` (becomes `apiCode`). */
  readonly apiCode: string;
  readonly statusCode: number;
  readonly errors?: Record<string, unknown> | undefined;
  readonly retryAfterMs?: number | undefined;
}

/**
 * The API answered with an error (`{"status": "error", code, message, errors?}`). `code` is
 * `ERR_PREFACTOR_API` (or the subclass's); the API's own code is `apiCode`.
 */
export class PrefactorApiError extends PrefactorHttpError {
  /** The code the API sent, such as `invalid_action` or `validation_error`. */
  readonly apiCode: string;
  /** HTTP status of the response. */
  readonly statusCode: number;
  // `declare`: an absent optional field stays absent instead of showing as `undefined`.
  /** Field path -> message, when the API sent them. */
  declare readonly errors?: Record<string, unknown>;
  /** What the response's `Retry-After` asked for, in milliseconds (capped at `maxRetryDelayMs`). */
  declare readonly retryAfterMs?: number;

  constructor(message: string, options: PrefactorApiErrorOptions, code: PrefactorErrorCode = ERROR_CODES.api) {
    super(message, { ...options, code });
    this.apiCode = options.apiCode;
    this.statusCode = options.statusCode;
    if (options.errors !== undefined) (this as { errors?: Record<string, unknown> }).errors = options.errors;
    if (options.retryAfterMs !== undefined) (this as { retryAfterMs?: number }).retryAfterMs = options.retryAfterMs;
  }
}

/** 401 or 403: the token is missing, wrong, or lacks the permission. Code `ERR_PREFACTOR_AUTH`. */
export class PrefactorAuthError extends PrefactorApiError {
  constructor(message: string, options: PrefactorApiErrorOptions) {
    super(message, options, ERROR_CODES.auth);
  }
}

/** 404: the id in the path does not exist (or is not visible to this token). Code `ERR_PREFACTOR_NOT_FOUND`. */
export class PrefactorNotFoundError extends PrefactorApiError {
  constructor(message: string, options: PrefactorApiErrorOptions) {
    super(message, options, ERROR_CODES.notFound);
  }
}

/**
 * 400 or 422: the API rejected the request's fields; `errors` maps field paths to messages. Code
 * `ERR_PREFACTOR_VALIDATION`.
 */
export class PrefactorValidationError extends PrefactorApiError {
  declare readonly errors: Record<string, unknown>;
  constructor(message: string, options: PrefactorApiErrorOptions) {
    super(message, { ...options, errors: options.errors ?? {} }, ERROR_CODES.validation);
  }
}

/** Every attempt failed with a retryable error; `lastError` is the last one. Code `ERR_PREFACTOR_RETRY_EXHAUSTED`. */
export class PrefactorRetryExhaustedError extends PrefactorHttpError {
  /** How many attempts were made. */
  readonly attempts: number;
  /** `lastError.retryAfterMs`, when the last response asked for a pause. */
  declare readonly retryAfterMs?: number;

  constructor(message: string, lastError: PrefactorHttpError, attempts: number) {
    super(message, { code: ERROR_CODES.retryExhausted, cause: lastError, request: lastError.request, response: lastError.response });
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

export interface PrefactorClientErrorOptions extends PrefactorHttpErrorOptions {
  /** The system's code of a network failure or timeout, such as `ECONNREFUSED`. */
  readonly systemCode?: string | undefined;
}

/**
 * Failed on this side: `ERR_PREFACTOR_NETWORK` (the system's code, such as `ECONNREFUSED`, in
 * `systemCode`), `ERR_PREFACTOR_TIMEOUT` (`systemCode` `ETIMEDOUT`), `ERR_PREFACTOR_ABORTED` by the
 * caller's signal, `ERR_PREFACTOR_CLIENT_CLOSED`, or `ERR_PREFACTOR_INVALID_REQUEST`, refused before sending.
 */
export class PrefactorClientError extends PrefactorHttpError {
  /** The system's error code of a network failure or timeout (`ECONNREFUSED`, `ETIMEDOUT`, ...). */
  declare readonly systemCode?: string;

  constructor(message: string, options: PrefactorClientErrorOptions) {
    super(message, options);
    if (options.systemCode !== undefined) (this as { systemCode?: string }).systemCode = options.systemCode;
  }
}

export interface PrefactorResponseContractErrorOptions {
  readonly statusCode?: number | undefined;
  readonly bodySnippet?: string | undefined;
  readonly cause?: unknown;
  readonly request?: ErrorRequestInfo;
  readonly response?: ErrorResponseInfo;
}

/** The response did not fit the API's contract (not JSON, not an object, wrong shape). Code `ERR_PREFACTOR_RESPONSE_CONTRACT`. */
export class PrefactorResponseContractError extends PrefactorHttpError {
  /** HTTP status of the offending response. */
  declare readonly statusCode?: number;
  /** At most 200 characters of the body, whitespace collapsed. */
  declare readonly bodySnippet?: string;

  constructor(message: string, options: PrefactorResponseContractErrorOptions = {}) {
    super(message, { ...options, code: ERROR_CODES.responseContract });
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
  return isTransientClientError(error);
}

/** A network failure or timeout whose system code is one of `TRANSIENT_NETWORK_CODES`. */
export function isTransientClientError(error: unknown): boolean {
  return error instanceof PrefactorClientError && error.systemCode !== undefined && TRANSIENT_NETWORK_CODES.includes(error.systemCode);
}

/** At most 200 characters of `text`, whitespace runs collapsed to one space. */
export function bodySnippet(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 200 ? `${collapsed.slice(0, 197)}...` : collapsed;
}
