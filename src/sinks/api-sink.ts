/**
 * The default sink: the delivery engine sending to the Prefactor API through a `PrefactorHttpClient`.
 * The tracer knows it only as a `SpanSink`; this module owns its options (flat, see `ApiSinkOptions`)
 * and its wiring.
 */
import { PrefactorHttpClient } from '../api/client.js';
import { createDeliverySink } from '../delivery/index.js';
import { DELIVERY_OPTION_KEYS, resolveDeliveryOptions, type DeliveryOptions, type ResolvedDeliveryOptions } from '../delivery/options.js';
import { HTTP_TUNING_KEYS, resolveHttpTuning, type HttpTuningOptions, type ResolvedHttpTuning } from '../http/config.js';
import type { Logger } from '../util/logger.js';
import type { SpanSink } from './span-sink.js';

/** The default sink's options: the HTTP client's tuning and the delivery engine's, side by side. */
export interface ApiSinkOptions extends HttpTuningOptions, DeliveryOptions {}

/** Every key of `ApiSinkOptions`. */
export const API_SINK_OPTION_KEYS: readonly (keyof ApiSinkOptions)[] = [...HTTP_TUNING_KEYS, ...DELIVERY_OPTION_KEYS];

/** `ApiSinkOptions` validated, every field set. */
export interface ResolvedApiSinkOptions {
  readonly http: ResolvedHttpTuning;
  readonly delivery: ResolvedDeliveryOptions;
}

/** Where the API is and who calls it. */
export interface ApiTarget {
  readonly apiUrl: string;
  readonly apiToken: string;
}

/**
 * Validates the default sink's keys of `options` (other keys are ignored: the caller rejects unknown
 * ones) and fills the defaults. Throws a `PrefactorConfigError` naming the option and the value.
 */
export function resolveApiSinkOptions(options: ApiSinkOptions): ResolvedApiSinkOptions {
  const delivery: Record<string, unknown> = {};
  for (const key of DELIVERY_OPTION_KEYS) if (options[key] !== undefined) delivery[key] = options[key];
  return { http: resolveHttpTuning(options), delivery: resolveDeliveryOptions(delivery) };
}

/** A delivery engine sending to `target` with `options`, logging to `logger`. */
export function createApiSink(target: ApiTarget, options: ResolvedApiSinkOptions, logger: Logger): SpanSink {
  const client = new PrefactorHttpClient({ ...options.http, apiUrl: target.apiUrl, apiToken: target.apiToken });
  return createDeliverySink({ client, logger, apiUrl: target.apiUrl, ...options.delivery });
}
