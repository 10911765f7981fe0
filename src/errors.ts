/**
 * The root of every error prefactor-trace throws or exposes. Each subclass sets its `name` and a stable
 * `code` in one style, `ERR_PREFACTOR_*` (the README's Errors table lists them); a code the Prefactor API
 * itself sent (`invalid_action`, `validation_error`, ...) is kept apart, in `PrefactorApiError.apiCode`.
 * Details that could be large or sensitive hang off non-enumerable properties, and no message ever holds
 * the API token.
 */

/** Every `code` of the SDK's own errors. */
export const ERROR_CODES = {
  /** Bad configuration (`PrefactorConfigError`), thrown at construction. */
  config: 'ERR_PREFACTOR_CONFIG',
  /** A span payload that does not match its span type's schema (`PayloadValidationError`). */
  payload: 'ERR_PREFACTOR_PAYLOAD',
  /** The API terminated the agent instance (`InstanceTerminatedError`). */
  terminated: 'ERR_PREFACTOR_TERMINATED',
  /** The API answered with an error other than those below (`PrefactorApiError`). */
  api: 'ERR_PREFACTOR_API',
  /** 401 or 403 (`PrefactorAuthError`). */
  auth: 'ERR_PREFACTOR_AUTH',
  /** 404 (`PrefactorNotFoundError`). */
  notFound: 'ERR_PREFACTOR_NOT_FOUND',
  /** 400 or 422 (`PrefactorValidationError`). */
  validation: 'ERR_PREFACTOR_VALIDATION',
  /** Every attempt of a call failed (`PrefactorRetryExhaustedError`). */
  retryExhausted: 'ERR_PREFACTOR_RETRY_EXHAUSTED',
  /** The response did not fit the API's contract (`PrefactorResponseContractError`). */
  responseContract: 'ERR_PREFACTOR_RESPONSE_CONTRACT',
  /** The connection failed; `systemCode` holds the system's code, e.g. `ECONNREFUSED` (`PrefactorClientError`). */
  network: 'ERR_PREFACTOR_NETWORK',
  /** No connection or no response in time (`PrefactorClientError`, `systemCode` `ETIMEDOUT`). */
  timeout: 'ERR_PREFACTOR_TIMEOUT',
  /** The caller's signal aborted the call (`PrefactorClientError`). */
  aborted: 'ERR_PREFACTOR_ABORTED',
  /** The client was closed (`PrefactorClientError`). */
  clientClosed: 'ERR_PREFACTOR_CLIENT_CLOSED',
  /** A call refused before sending: a bad argument or idempotency key (`PrefactorClientError`). */
  invalidRequest: 'ERR_PREFACTOR_INVALID_REQUEST',
} as const;

/** One of `ERROR_CODES`. */
export type PrefactorErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface PrefactorErrorOptions {
  readonly code: PrefactorErrorCode;
  readonly cause?: unknown;
}

/** Defines `key` as a non-enumerable property: kept off `JSON.stringify`, spreads and most loggers. */
export function defineHidden(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: false, writable: true, configurable: true });
}

/** Base class of every error of the package. */
export class PrefactorError extends Error {
  /** Stable machine-readable code, `ERR_PREFACTOR_*`. */
  readonly code: PrefactorErrorCode;

  constructor(message: string, options: PrefactorErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    defineHidden(this, 'name', new.target.name);
    this.code = options.code;
  }

  /** A plain object for `JSON.stringify`: name, code, message and the subclass's own enumerable fields. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), name: this.name, code: this.code, message: this.message };
  }
}

/** Thrown for bad configuration, at construction: the one place the SDK throws on purpose. */
export class PrefactorConfigError extends PrefactorError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: ERROR_CODES.config, cause: options.cause });
  }
}
