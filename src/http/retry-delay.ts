import { backoffMs } from '../util/backoff.js';

/** The part of the client configuration that decides retry delays. */
export interface RetryDelayConfig {
  readonly maxRetries: number;
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly retryMultiplier: number;
}

/** Jitter: each computed delay is scaled by a factor drawn uniformly from [0.75, 1.25). */
export const RETRY_JITTER = 0.25;

/**
 * Milliseconds a `Retry-After` header asks for: delay-seconds (`"120"`, `"1.5"`) or an HTTP date (a date in
 * the past gives `0`). `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP date always names its day and month; this keeps `Date.parse` from reading "-1" as a year.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The delay before retry number `attempt + 1` (`attempt` = retries already made, 0 before the first retry),
 * or `undefined` when `config.maxRetries` retries have been made. A readable `Retry-After` is honoured as
 * given, up to `maxRetryDelayMs`; otherwise `initialRetryDelayMs * retryMultiplier ** attempt` with +/-25%
 * jitter, capped at `maxRetryDelayMs`. Pure: the clock and the random source are parameters.
 */
export function retryDelayMs(
  attempt: number,
  config: RetryDelayConfig,
  retryAfterHeader?: string,
  now: number = Date.now(),
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= config.maxRetries) return undefined;
  const retryAfter = parseRetryAfterMs(retryAfterHeader, now);
  if (retryAfter !== undefined) return Math.min(retryAfter, config.maxRetryDelayMs);
  const backoff = { initialMs: config.initialRetryDelayMs, multiplier: config.retryMultiplier, maxMs: config.maxRetryDelayMs, jitter: RETRY_JITTER };
  return Math.round(backoffMs(attempt, backoff, random()));
}
