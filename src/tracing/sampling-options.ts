import { check, invalidOption } from '../util/option-checks.js';
import type { Sampler } from './sampling.js';

/** Options of the tracer that decide which agent instances are recorded. */
export interface SamplingOptions {
  /**
   * The share of agent instances recorded, from 0 (none) to 1 (all). Decided once per instance when
   * it starts, from its id (the same id gets the same answer in every process); an unsampled
   * instance sends nothing and its spans cost about what a disabled tracer's do.
   * @default 1
   */
  readonly sampleRate?: number;
  /**
   * Decides per instance instead of `sampleRate`: called once when an instance starts with its id and
   * purpose; `true` records it. A sampler that throws is counted (`telemetryErrors`) and
   * `sampleRate` decides.
   * @default undefined (`sampleRate` decides)
   */
  readonly sampler?: Sampler;
  /**
   * Records unsampled instances too, but holds their events in memory (at most 1000 per instance)
   * and sends them only when one of their spans fails (or the instance fails); then the rest of the
   * instance is sent as it happens. Costs the memory of the held events (about their payload size
   * plus 200 bytes each) and the full hot-path cost for every instance.
   * @default false
   */
  readonly sampleErrors?: boolean;
}

export const SAMPLING_OPTION_KEYS = ['sampleRate', 'sampler', 'sampleErrors'] as const;

/** `SamplingOptions` resolved. */
export interface ResolvedSamplingOptions {
  readonly sampleRate: number;
  readonly sampler: Sampler | undefined;
  readonly sampleErrors: boolean;
}

/** Validates the sampling options (throws a `PrefactorConfigError` naming the option) and fills the defaults. */
export function resolveSamplingOptions(options: SamplingOptions): ResolvedSamplingOptions {
  const sampleRate = options.sampleRate ?? 1;
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) invalidOption('sampleRate', 'a number from 0 to 1', sampleRate);
  if (options.sampler !== undefined && typeof options.sampler !== 'function') invalidOption('sampler', 'a function', options.sampler);
  return {
    sampleRate,
    sampler: options.sampler,
    sampleErrors: options.sampleErrors === undefined ? false : check.boolean('sampleErrors', options.sampleErrors),
  };
}
