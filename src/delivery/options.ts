import { check, invalidOption } from '../util/option-checks.js';

/** Options of the delivery engine. All optional; each resolves once, at construction. */
export interface DeliveryOptions {
  /**
   * Most operations in one `POST /api/v1/bulk` request. Large batches keep requests per span low
   * (a burst of 30,000 short spans costs about 30 requests at the default).
   * @default 1000
   */
  readonly maxBatchSize?: number;
  /**
   * Most bytes in the body of one `POST /api/v1/bulk` request (UTF-8, as sent): a batch
   * closes early when its next item would go beyond it (an item larger than this goes alone). Keeps
   * each request's synchronous work (building, writing, parsing the answer) short, so large payloads
   * do not stall the event loop.
   * @default 1048576 (1 MiB)
   */
  readonly maxBatchBytes?: number;
  /**
   * How long the first operation of a batch waits for company before the batch leaves, in
   * milliseconds. Bounds how late a span's create reaches the API (dashboards and the killswitch).
   * @default 200
   */
  readonly flushIntervalMs?: number;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /**
   * Most operations held (queued and in flight). Beyond it a new operation is dropped
   * (`queue_overflow`) and the user's code runs on untouched.
   * @default 100000
   */
  readonly maxQueueSize?: number;
  /**
   * Most memory the queue may take, in bytes: each held operation (queued or in flight) counts its
   * payload's UTF-8 bytes (as on the wire) plus a measured per-operation overhead of 512 bytes, and
   * the texts already delivered that an operation held longer keeps in memory count too (they share
   * 64 KiB buffers). Beyond it a new operation is dropped (`queue_overflow`); finishes may use a
   * reserve of a tenth beyond it, so that what started can end.
   * @default 33554432 (32 MiB)
   */
  readonly maxQueueBytes?: number;
  /**
   * Time `shutdown()` allows (when not given one) before in-flight requests are aborted and what is
   * left is counted as `shutdown_timeout`, in milliseconds.
   * @default 5000
   */
  readonly shutdownTimeoutMs?: number;
  /** `false` sends every operation as its own request instead of through the bulk endpoint. @default true */
  readonly batching?: boolean;
  /**
   * First delay before the engine re-sends operations whose request failed transiently (after the
   * HTTP client's own retries), in milliseconds; doubles on each consecutive failure.
   * @default 1000
   */
  readonly redeliveryDelayMs?: number;
  /** Upper bound of that delay, in milliseconds. @default 30000 */
  readonly maxRedeliveryDelayMs?: number;
  /**
   * How long the create of a span continued from another process (`continueFrom`) is retried while
   * the API does not know its instance or parent span yet (the caller sends them from its own
   * process, maybe later), in milliseconds. Then it is dropped as `parent_not_found`.
   * @default 60000
   */
  readonly remoteParentWaitMs?: number;
}

/** The keys of `DeliveryOptions`, for unknown-key rejection by the tracer. */
export const DELIVERY_OPTION_KEYS = [
  'maxBatchSize',
  'maxBatchBytes',
  'flushIntervalMs',
  'concurrency',
  'maxQueueSize',
  'maxQueueBytes',
  'shutdownTimeoutMs',
  'batching',
  'redeliveryDelayMs',
  'maxRedeliveryDelayMs',
  'remoteParentWaitMs',
] as const;

export const DELIVERY_DEFAULTS = {
  maxBatchSize: 1000,
  maxBatchBytes: 1024 * 1024,
  flushIntervalMs: 200,
  concurrency: 4,
  maxQueueSize: 100_000,
  maxQueueBytes: 32 * 1024 * 1024,
  shutdownTimeoutMs: 5000,
  batching: true,
  redeliveryDelayMs: 1000,
  maxRedeliveryDelayMs: 30_000,
  remoteParentWaitMs: 60_000,
} as const;

export type ResolvedDeliveryOptions = { -readonly [K in keyof DeliveryOptions]-?: NonNullable<DeliveryOptions[K]> };

/** Validates `options` (throws `PrefactorConfigError` naming the key and value) and fills in the defaults. */
export function resolveDeliveryOptions(options: DeliveryOptions): ResolvedDeliveryOptions {
  const d = DELIVERY_DEFAULTS;
  const resolved: ResolvedDeliveryOptions = {
    maxBatchSize: check.positiveInteger('maxBatchSize', options.maxBatchSize ?? d.maxBatchSize),
    maxBatchBytes: check.positiveInteger('maxBatchBytes', options.maxBatchBytes ?? d.maxBatchBytes),
    flushIntervalMs: check.nonNegativeNumber('flushIntervalMs', options.flushIntervalMs ?? d.flushIntervalMs),
    concurrency: check.positiveInteger('concurrency', options.concurrency ?? d.concurrency),
    maxQueueSize: check.positiveInteger('maxQueueSize', options.maxQueueSize ?? d.maxQueueSize),
    maxQueueBytes: check.positiveInteger('maxQueueBytes', options.maxQueueBytes ?? d.maxQueueBytes),
    shutdownTimeoutMs: check.nonNegativeNumber('shutdownTimeoutMs', options.shutdownTimeoutMs ?? d.shutdownTimeoutMs),
    batching: check.boolean('batching', options.batching ?? d.batching),
    redeliveryDelayMs: check.nonNegativeNumber('redeliveryDelayMs', options.redeliveryDelayMs ?? d.redeliveryDelayMs),
    maxRedeliveryDelayMs: check.nonNegativeNumber(
      'maxRedeliveryDelayMs',
      options.maxRedeliveryDelayMs ?? d.maxRedeliveryDelayMs,
    ),
    remoteParentWaitMs: check.nonNegativeNumber('remoteParentWaitMs', options.remoteParentWaitMs ?? d.remoteParentWaitMs),
  };
  if (resolved.redeliveryDelayMs > resolved.maxRedeliveryDelayMs) {
    invalidOption('redeliveryDelayMs', `at most \`maxRedeliveryDelayMs\` (${resolved.maxRedeliveryDelayMs})`, resolved.redeliveryDelayMs);
  }
  return resolved;
}
