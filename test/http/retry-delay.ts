import t from 'tap';
import { parseRetryAfterMs, retryDelayMs, type RetryDelayConfig } from '../../src/http/retry-delay.js';

const config: RetryDelayConfig = { maxRetries: 5, initialRetryDelayMs: 1000, maxRetryDelayMs: 60_000, retryMultiplier: 2 };
const now = Date.parse('2026-01-01T00:00:00Z');

t.test('retryDelayMs() follows the table', async (t) => {
  const cases: Array<[string, number, Partial<RetryDelayConfig>, string | undefined, number, number | undefined]> = [
    // name, attempt, config overrides, Retry-After, random, expected
    ['first retry, no jitter', 0, {}, undefined, 0.5, 1000],
    ['first retry, lowest jitter (-25%)', 0, {}, undefined, 0, 750],
    ['first retry, highest jitter (+25%)', 0, {}, undefined, 1, 1250],
    ['third retry grows by multiplier^2', 2, {}, undefined, 0.5, 4000],
    ['multiplier 3', 2, { retryMultiplier: 3 }, undefined, 0.5, 9000],
    ['capped at maxRetryDelayMs', 4, { maxRetryDelayMs: 10_000 }, undefined, 1, 10_000],
    ['jitter cannot exceed the cap', 3, { maxRetryDelayMs: 8000 }, undefined, 1, 8000],
    ['no retry left', 5, {}, undefined, 0.5, undefined],
    ['maxRetries 0 never retries', 0, { maxRetries: 0 }, undefined, 0.5, undefined],
    ['Retry-After seconds, no jitter', 0, {}, '3', 0, 3000],
    ['Retry-After fractional seconds', 0, {}, '1.5', 0, 1500],
    ['Retry-After capped', 0, { maxRetryDelayMs: 2000 }, '120', 0, 2000],
    ['Retry-After 0', 0, {}, '0', 0.5, 0],
    ['Retry-After HTTP date', 0, {}, new Date(now + 7000).toUTCString(), 0.5, 7000],
    ['Retry-After date in the past', 0, {}, new Date(now - 7000).toUTCString(), 0.5, 0],
    ['Retry-After unreadable falls back to backoff', 1, {}, 'soon', 0.5, 2000],
    ['Retry-After empty falls back to backoff', 0, {}, '  ', 0.5, 1000],
    ['Retry-After does not override the limit', 5, {}, '1', 0.5, undefined],
    ['initial delay 0', 0, { initialRetryDelayMs: 0 }, undefined, 0.9, 0],
  ];
  for (const [name, attempt, overrides, retryAfter, random, expected] of cases) {
    t.equal(retryDelayMs(attempt, { ...config, ...overrides }, retryAfter, now, () => random), expected, name);
  }
});

t.test('retryDelayMs() stays within +/-25% with the real random source and clock', async (t) => {
  for (let i = 0; i < 200; i++) {
    const delay = retryDelayMs(1, config)!;
    t.ok(delay >= 1500 && delay <= 2500, `${delay} within [1500, 2500]`);
  }
});

t.test('parseRetryAfterMs() reads seconds and dates, and ignores the rest', async (t) => {
  t.equal(parseRetryAfterMs(undefined), undefined);
  t.equal(parseRetryAfterMs('2'), 2000);
  t.equal(parseRetryAfterMs('-1'), undefined);
  t.equal(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', Date.parse('2025-01-01T00:00:00Z')), 10_000);
  const fromClock = parseRetryAfterMs(new Date(Date.now() + 60_000).toUTCString())!;
  t.ok(fromClock > 58_000 && fromClock <= 60_000);
});
