/** The shape of an exponential backoff. */
export interface Backoff {
  /** Delay of step 0, in milliseconds. */
  readonly initialMs: number;
  /** Factor between two steps (>= 1). */
  readonly multiplier: number;
  /** Upper bound of any delay, jitter included, in milliseconds. */
  readonly maxMs: number;
  /** Relative jitter: the delay is scaled by a factor drawn from [1 - jitter, 1 + jitter). */
  readonly jitter: number;
}

/**
 * The delay of backoff step `step` (0 for the first): `initialMs * multiplier ** step`, scaled by the
 * jitter factor from `random` (in [0, 1)), capped at `maxMs`. Pure: the random draw is a parameter.
 * The one backoff of the package: the HTTP client's retry delays and the delivery engine's
 * redelivery pauses are both this function with their own parameters.
 */
export function backoffMs(step: number, backoff: Backoff, random: number = Math.random()): number {
  const exponential = backoff.initialMs === 0 ? 0 : backoff.initialMs * backoff.multiplier ** step;
  return Math.min(backoff.maxMs, exponential * (1 - backoff.jitter + 2 * backoff.jitter * random));
}
