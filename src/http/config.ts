import { assertOptionsObject, check, invalidOption, PrefactorConfigError, rejectUnknownKeys } from '../util/option-checks.js';
import { MAX_KEY_PREFIX_LENGTH } from './idempotency.js';

/** Options of `PrefactorHttpClient`. Every option is optional; `apiUrl` and `apiToken` fall back to the environment. */
export interface HttpClientConfig {
  /**
   * Base URL of the Prefactor API, e.g. `https://api.prefactor.ai`.
   * @default process.env.PREFACTOR_API_URL
   */
  readonly apiUrl?: string;
  /**
   * Bearer token for the API. Never written to any message, log line or `toString()`.
   * @default process.env.PREFACTOR_API_TOKEN
   */
  readonly apiToken?: string;
  /**
   * Time allowed for one attempt, from start to the end of the response, in milliseconds.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Time allowed to open the TCP connection, in milliseconds.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Retries after the first attempt (so at most `maxRetries + 1` attempts). `0` disables retries.
   * @default 3
   */
  readonly maxRetries?: number;
  /**
   * Delay before the first retry, in milliseconds; multiplied by `retryMultiplier` for each further retry,
   * with +/-25% jitter.
   * @default 1000
   */
  readonly initialRetryDelayMs?: number;
  /**
   * Upper bound of any retry delay, `Retry-After` included, in milliseconds.
   * @default 60000
   */
  readonly maxRetryDelayMs?: number;
  /**
   * Factor of the exponential backoff (>= 1).
   * @default 2
   */
  readonly retryMultiplier?: number;
  /**
   * HTTP status codes that are retried. Other 4xx never are.
   * @default [429, 500, 502, 503, 504]
   */
  readonly retryOnStatusCodes?: readonly number[];
  /**
   * Prefix of the idempotency keys the client generates (`<prefix>-<nanoid>`), at most 42 characters.
   * @default undefined (keys are a bare nanoid)
   */
  readonly defaultIdempotencyKey?: string;
  /**
   * An upstream entry put in front of the `X-Prefactor-SDK` header, such as `my-adapter@1.2.0`.
   * @default undefined
   */
  readonly sdkHeader?: string;
}

/** `HttpClientConfig` with every field resolved. */
export interface ResolvedHttpClientConfig {
  readonly apiUrl: string;
  readonly apiToken: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxRetries: number;
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly retryMultiplier: number;
  readonly retryOnStatusCodes: readonly number[];
  readonly defaultIdempotencyKey: string | undefined;
  readonly sdkHeader: string | undefined;
}

/** Every key `HttpClientConfig` accepts. */
export const HTTP_CLIENT_CONFIG_KEYS = [
  'apiUrl',
  'apiToken',
  'requestTimeoutMs',
  'connectTimeoutMs',
  'maxRetries',
  'initialRetryDelayMs',
  'maxRetryDelayMs',
  'retryMultiplier',
  'retryOnStatusCodes',
  'defaultIdempotencyKey',
  'sdkHeader',
] as const;

/** The keys of the client's tuning: every key of `HttpClientConfig` but `apiUrl` and `apiToken`. */
export const HTTP_TUNING_KEYS = HTTP_CLIENT_CONFIG_KEYS.filter(
  (key): key is Exclude<(typeof HTTP_CLIENT_CONFIG_KEYS)[number], 'apiUrl' | 'apiToken'> => key !== 'apiUrl' && key !== 'apiToken',
);

/** The client's tuning: `HttpClientConfig` without `apiUrl` and `apiToken`. */
export type HttpTuningOptions = Omit<HttpClientConfig, 'apiUrl' | 'apiToken'>;

/** `HttpTuningOptions` with every field resolved. */
export type ResolvedHttpTuning = Omit<ResolvedHttpClientConfig, 'apiUrl' | 'apiToken'>;

export const HTTP_CLIENT_DEFAULTS = {
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxRetries: 3,
  initialRetryDelayMs: 1000,
  maxRetryDelayMs: 60_000,
  retryMultiplier: 2,
  retryOnStatusCodes: [429, 500, 502, 503, 504],
} as const;

// Header values may not hold control characters; a token with spaces is a copy-paste accident.
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const HEADER_TEXT = /^[\x20-\x7e]+$/;

/**
 * Validates `options` (falling back to `PREFACTOR_API_URL` / `PREFACTOR_API_TOKEN` in `env`) and fills in
 * the defaults. Throws a `PrefactorConfigError` naming the option and the value received (never the token).
 */
export function resolveHttpClientConfig(
  options: HttpClientConfig = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedHttpClientConfig {
  assertOptionsObject('PrefactorHttpClient', options);
  rejectUnknownKeys('PrefactorHttpClient', options, HTTP_CLIENT_CONFIG_KEYS);
  const given = (key: keyof HttpClientConfig): unknown => options[key];
  const or = <T>(key: keyof HttpClientConfig, fallback: T): unknown => given(key) ?? fallback;

  const rawUrl = or('apiUrl', env.PREFACTOR_API_URL);
  if (rawUrl === undefined) {
    throw new PrefactorConfigError('Missing `apiUrl`: pass it to PrefactorHttpClient or set PREFACTOR_API_URL');
  }
  const apiUrl = check.httpUrl('apiUrl', rawUrl);
  const rawToken = or('apiToken', env.PREFACTOR_API_TOKEN);
  if (rawToken === undefined) {
    throw new PrefactorConfigError('Missing `apiToken`: pass it to PrefactorHttpClient or set PREFACTOR_API_TOKEN');
  }
  const apiToken = checkToken(rawToken);
  return { apiUrl, apiToken, ...resolveHttpTuning(options) };
}

/**
 * Validates the tuning keys of `options` (every key but `apiUrl` and `apiToken`, which it ignores) and
 * fills in the defaults. Throws a `PrefactorConfigError` naming the option and the value received.
 */
export function resolveHttpTuning(options: HttpTuningOptions): ResolvedHttpTuning {
  const given = (key: keyof HttpTuningOptions): unknown => options[key];
  const or = <T>(key: keyof HttpTuningOptions, fallback: T): unknown => given(key) ?? fallback;
  const requestTimeoutMs = check.positiveNumber('requestTimeoutMs', or('requestTimeoutMs', HTTP_CLIENT_DEFAULTS.requestTimeoutMs));
  const connectTimeoutMs = check.positiveNumber('connectTimeoutMs', or('connectTimeoutMs', HTTP_CLIENT_DEFAULTS.connectTimeoutMs));
  const maxRetries = check.nonNegativeInteger('maxRetries', or('maxRetries', HTTP_CLIENT_DEFAULTS.maxRetries));
  const initialRetryDelayMs = check.nonNegativeNumber(
    'initialRetryDelayMs',
    or('initialRetryDelayMs', HTTP_CLIENT_DEFAULTS.initialRetryDelayMs),
  );
  const maxRetryDelayMs = check.nonNegativeNumber('maxRetryDelayMs', or('maxRetryDelayMs', HTTP_CLIENT_DEFAULTS.maxRetryDelayMs));
  if (initialRetryDelayMs > maxRetryDelayMs) {
    invalidOption('initialRetryDelayMs', `at most \`maxRetryDelayMs\` (${maxRetryDelayMs})`, initialRetryDelayMs);
  }
  const retryMultiplier = or('retryMultiplier', HTTP_CLIENT_DEFAULTS.retryMultiplier);
  if (typeof retryMultiplier !== 'number' || !Number.isFinite(retryMultiplier) || retryMultiplier < 1) {
    invalidOption('retryMultiplier', 'a number >= 1', retryMultiplier);
  }
  const statusCodes = or('retryOnStatusCodes', HTTP_CLIENT_DEFAULTS.retryOnStatusCodes);
  if (!Array.isArray(statusCodes) || !statusCodes.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)) {
    invalidOption('retryOnStatusCodes', 'an array of HTTP status codes (integers 100-599)', statusCodes);
  }
  const prefix = given('defaultIdempotencyKey');
  if (prefix !== undefined && (typeof prefix !== 'string' || !HEADER_SAFE.test(prefix) || prefix.length > MAX_KEY_PREFIX_LENGTH)) {
    invalidOption('defaultIdempotencyKey', `a string of 1-${MAX_KEY_PREFIX_LENGTH} printable characters without spaces`, prefix);
  }
  const sdkHeader = given('sdkHeader');
  if (sdkHeader !== undefined && (typeof sdkHeader !== 'string' || !HEADER_TEXT.test(sdkHeader))) {
    invalidOption('sdkHeader', 'a non-empty string of printable characters, such as "my-adapter@1.2.0"', sdkHeader);
  }
  return {
    requestTimeoutMs,
    connectTimeoutMs,
    maxRetries,
    initialRetryDelayMs,
    maxRetryDelayMs,
    retryMultiplier,
    retryOnStatusCodes: [...(statusCodes as number[])],
    defaultIdempotencyKey: prefix as string | undefined,
    sdkHeader: sdkHeader as string | undefined,
  };
}

/** Checks a token without ever showing it: the message names only its type or its defect. */
export function checkToken(value: unknown): string {
  if (typeof value !== 'string') {
    throw new PrefactorConfigError(
      `Expected \`apiToken\` to be a non-empty string, got a value of type ${typeof value}`,
    );
  }
  if (!HEADER_SAFE.test(value)) {
    throw new PrefactorConfigError(
      'Expected `apiToken` to be a non-empty string of printable characters without spaces; check for stray whitespace or newlines',
    );
  }
  return value;
}
