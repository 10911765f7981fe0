import t from 'tap';
import { backoffMs } from '../../src/util/backoff.js';

t.test('backoffMs() grows by the multiplier, jitters, then caps', async (t) => {
  const backoff = { initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0.25 };
  const cases: Array<[number, number, number]> = [
    // step, random, expected
    [0, 0.5, 100],
    [1, 0.5, 200],
    [3, 0.5, 800],
    [4, 0.5, 1000],
    [0, 0, 75],
    [0, 0.999_999, 124.99995],
    [3, 0.999_999, 999.9996],
    [2000, 0.5, 1000],
  ];
  for (const [step, random, expected] of cases) t.ok(Math.abs(backoffMs(step, backoff, random) - expected) < 1e-6, `step ${step}, random ${random} -> ${expected}`);
  t.equal(backoffMs(5000, { ...backoff, initialMs: 0 }, 0.5), 0, 'a zero base stays zero (no NaN from 0 * Infinity)');
  const unseeded = backoffMs(0, backoff);
  t.ok(unseeded >= 75 && unseeded < 125);
});
