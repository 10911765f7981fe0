/**
 * The delivery engine: fire-and-forget, ordered, batched, retried, bounded, and never silent.
 *
 * - The tracer's calls (`spanStarted`...) enqueue in O(1) and return; nothing waits on the network
 *   and nothing throws. A span that ends before its create left is sent as one create carrying its
 *   finish.
 * - Operations leave through `POST /api/v1/bulk` in batches of `maxBatchSize`, at most
 *   `flushIntervalMs` after the first one queued, at most `concurrency` requests at once, each
 *   operation after the ones it depends on (see `outbox.ts`). A missing bulk endpoint or an unknown
 *   bulk item type switches those operations to single requests.
 * - Retried: network errors, timeouts, 429 (the whole worker pauses for `Retry-After`), 5xx,
 *   malformed answers, and transient item errors; first inside the HTTP client, then by the engine
 *   with capped exponential backoff (`redeliveryDelayMs`..`maxRedeliveryDelayMs`), for as long as
 *   the operations fit the queue. Each operation keeps one idempotency key for every attempt, so a
 *   retry never duplicates. A 409 `invalid_action` on a finish or start (`already_exists` on a
 *   create or register) means an earlier attempt got through: delivered.
 * - Dropped, counted by reason in `stats().dropped`, and warned about once per storm:
 *   `queue_overflow` (beyond `maxQueueSize`/`maxQueueBytes`), `rejected_by_server` (a permanent
 *   4xx), `dependency_dropped` (what depends on a dropped operation), `shutdown_timeout` (still held
 *   at the shutdown deadline), `after_shutdown`, `serialization`.
 * - `stats()`: `operationsEnqueued = operationsSent + sum(dropped) + queued + inFlight` always
 *   (every operation received counts as enqueued, even one dropped on arrival; a create carrying its
 *   span's finish counts 2 everywhere).
 */
import { AsyncResource } from 'node:async_hooks';
import type { PrefactorHttpClient } from '../api/client.js';
import { safeLog } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import type { FinishStatus } from '../models/index.js';
import { assertOptionsObject, rejectUnknownKeys } from '../util/option-checks.js';
import type { DeliveryStats, InstanceRegistration, SpanEndEvent, SpanSink, SpanStartEvent } from '../sinks/span-sink.js';
import { DELIVERY_OPTION_KEYS, resolveDeliveryOptions } from './options.js';
import type { DeliveryOptions, ResolvedDeliveryOptions } from './options.js';
import { Outbox } from './outbox.js';
import { DropLog, errorText } from './stats.js';
import { ApiHealth } from './api-health.js';
import { Worker } from './worker.js';
import { reportOnExit } from './exit-report.js';

export { DELIVERY_DEFAULTS, DELIVERY_OPTION_KEYS } from './options.js';
export type { DeliveryOptions } from './options.js';

export interface DeliverySinkOptions extends DeliveryOptions {
  readonly client: PrefactorHttpClient;
  readonly logger: Logger;
  /** The client's `apiUrl`, for messages (only its origin is shown). */
  readonly apiUrl?: string;
}

/**
 * The keys (by description) of the symbol properties by which Node ties an async resource to the
 * async context it was created in: one per AsyncLocalStorage store (`kResourceStore`, Node 20-22),
 * or the whole context (`context_frame`, Node 24's AsyncContextFrame). Node has no public way to
 * make a resource outside every context; clearing these gives one.
 */
const CONTEXT_KEYS = new Set(['kResourceStore', 'context_frame']);

/** An async resource in no async context: no AsyncLocalStorage of anyone has a store in it. */
function rootScope(name: string): AsyncResource {
  const resource = new AsyncResource(name);
  for (const key of Object.getOwnPropertySymbols(resource)) {
    // Node's context symbols all have descriptions; `?? ''` only satisfies the type.
    /* c8 ignore next */
    if (CONTEXT_KEYS.has(key.description ?? '')) (resource as unknown as Record<symbol, unknown>)[key] = undefined;
  }
  return resource;
}

/**
 * The engine's own async scope, made when the module loads and cleared of the context it loads in
 * (the package may first be imported inside a user's `als.run()`): its timers and requests run in
 * it, so they never carry a user's AsyncLocalStorage context (the worker never becomes the parent
 * of a user span, nor keeps a user's frames alive, nor shows as the user's work to their tools).
 */
const ENGINE_SCOPE = rootScope('prefactor-trace.delivery');
const detach = (fn: () => void): void => {
  ENGINE_SCOPE.runInAsyncScope(fn);
};

/** How long before its deadline `shutdown()` stops waiting for delivery, at most (10% of short deadlines). */
const SHUTDOWN_RESERVE_MS = 50;

interface FlushWaiter {
  readonly seq: number;
  readonly resolve: (delivered: boolean) => void;
}

/**
 * The delivery engine behind a `SpanSink`: the tracer's calls enqueue operations in O(1) and return;
 * a background worker batches, orders, retries and counts them (see `outbox.ts` and `worker.ts`).
 */
export class DeliverySink implements SpanSink {
  readonly #logger: Logger;
  readonly #options: ResolvedDeliveryOptions;
  readonly #drops: DropLog;
  readonly #outbox: Outbox;
  readonly #worker: Worker;
  /** Waiting flushes, oldest (lowest seq) first. */
  #waiters: FlushWaiter[] = [];
  #shutdown: Promise<boolean> | undefined;
  readonly #stopReporting: () => void;

  constructor(client: PrefactorHttpClient, logger: Logger, options: ResolvedDeliveryOptions, apiUrl?: string) {
    this.#logger = logger;
    this.#options = options;
    this.#drops = new DropLog(logger, detach);
    this.#outbox = new Outbox(this.#drops, options.maxQueueSize, options.maxQueueBytes);
    this.#worker = new Worker(client, logger, options, this.#outbox, detach, () => this.#settle());
    // O(1): the warning may come in a storm of failures with a full queue.
    const health = new ApiHealth(logger, apiUrl, () => this.#outbox.queuedEntries + this.#outbox.inFlight);
    this.#worker.sender.health = health;
    this.#drops.shutdownHint = () => health.shutdownHint();
    this.#stopReporting = reportOnExit(this);
  }

  /** At process exit: when operations are still held, says how many spans they are and the fix. */
  reportUndelivered(): void {
    const { operations, spans } = this.#outbox.held();
    if (operations === 0) return;
    safeLog(
      this.#logger,
      'error',
      `${spans} span(s) (${operations} operation(s)) were not delivered: the process exited while they were still queued or in flight. ` +
        'Call `await tracer.shutdown()` before the process exits (before `process.exit()`, and in serverless handlers `await tracer.flush()`).',
      { spans, operations },
    );
  }

  #unexpected(where: string, error: unknown): void {
    safeLog(this.#logger, 'error', `Unexpected failure in the delivery engine (${where}): ${errorText(error)}`);
  }

  registerInstance(instance: InstanceRegistration): void {
    try {
      let payload: string | undefined;
      try {
        payload = JSON.stringify({
          id: instance.id,
          agent_id: instance.agentId,
          agent_version: instance.agentVersion,
          agent_schema_version: instance.agentSchemaVersion,
          environment_id: instance.environmentId,
          purpose: instance.purpose,
        });
      } catch (error) {
        safeLog(this.#logger, 'error', `Could not serialise the registration of agent instance ${instance.id}: ${String(error)}`);
      }
      this.#outbox.registerInstance(instance, payload);
      this.#worker.notify();
    } catch (error) {
      this.#unexpected('registerInstance', error);
    }
  }

  startInstance(instanceId: string, timestamp: string): void {
    try {
      this.#outbox.startInstance(instanceId, timestamp);
      this.#worker.notify();
      /* c8 ignore start: defensive, the outbox takes any id and timestamp; telemetry must never throw into user code */
    } catch (error) {
      this.#unexpected('startInstance', error);
    }
    /* c8 ignore stop */
  }

  finishInstance(instanceId: string, status: FinishStatus, timestamp: string): void {
    try {
      this.#outbox.finishInstance(instanceId, status, timestamp);
      this.#worker.notify();
      /* c8 ignore start: defensive, as in startInstance */
    } catch (error) {
      this.#unexpected('finishInstance', error);
    }
    /* c8 ignore stop */
  }

  spanStarted(span: SpanStartEvent): void {
    try {
      this.#outbox.spanStarted(span);
      this.#worker.notify();
    } catch (error) {
      this.#unexpected('spanStarted', error);
    }
  }

  spanEnded(span: SpanEndEvent): void {
    try {
      this.#outbox.spanEnded(span);
      this.#worker.notify();
    } catch (error) {
      this.#unexpected('spanEnded', error);
    }
  }

  setTerminateHandler(handler: (instanceId: string, reason: string) => void): void {
    this.#worker.onTerminate = handler;
  }

  /** Read from the state that owns each counter: the outbox, the sender, the drop log. */
  stats(): DeliveryStats {
    const outbox = this.#outbox.counts();
    const sender = this.#worker.sender;
    return {
      operationsEnqueued: outbox.enqueued,
      operationsSent: outbox.sent,
      operationsRetried: outbox.retried + sender.retried,
      operationsCoalesced: outbox.coalesced,
      batchesSent: sender.batches,
      requestsSent: sender.requests,
      dropped: this.#drops.snapshot(),
      queued: outbox.queued,
      inFlight: outbox.inFlight,
      bytesHeld: outbox.bytesHeld,
    };
  }

  /** Resolves the waiters whose operations are all resolved. */
  #settle(): void {
    const oldest = this.#outbox.oldestSeq;
    while (this.#waiters.length > 0 && this.#waiters[0]!.seq < oldest) this.#waiters.shift()!.resolve(true);
  }

  flush(timeoutMs: number = this.#options.shutdownTimeoutMs): Promise<boolean> {
    try {
      const seq = this.#outbox.lastSeq;
      if (this.#outbox.oldestSeq > seq) {
        this.#drops.reportStorms();
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const waiter: FlushWaiter = {
          seq,
          resolve: (delivered) => {
            clearTimeout(timer);
            this.#waiters = this.#waiters.filter((w) => w !== waiter);
            this.#worker.keepAlive = this.#waiters.length > 0;
            this.#drops.reportStorms();
            resolve(delivered);
          },
        };
        this.#waiters.push(waiter);
        this.#worker.keepAlive = true;
        detach(() => {
          // Ref'd: a flush holds the process open until it resolves or its deadline passes (outside a
          // flush nothing of the engine does: its timers, sockets and retry waits are unref'd).
          timer = setTimeout(() => waiter.resolve(false), timeoutMs);
        });
        this.#worker.hurry();
      });
      /* c8 ignore start: defensive, flush() never rejects */
    } catch (error) {
      this.#unexpected('flush', error);
      return Promise.resolve(false);
    }
    /* c8 ignore stop */
  }

  shutdown(timeoutMs: number = this.#options.shutdownTimeoutMs): Promise<boolean> {
    this.#shutdown ??= this.#doShutdown(timeoutMs);
    return this.#shutdown;
  }

  async #doShutdown(timeoutMs: number): Promise<boolean> {
    this.#outbox.closed = true;
    // The deadline includes the final accounting (abort, dropAll, storm reports) and a late timer:
    // stop waiting a little before it.
    const delivered = await this.flush(Math.max(0, timeoutMs - Math.min(SHUTDOWN_RESERVE_MS, timeoutMs / 10)));
    try {
      this.#worker.stop();
      if (!delivered) this.#outbox.dropAll('shutdown_timeout');
      this.#drops.reportStorms();
      this.#settle();
      // Nothing is held any more (delivered, or dropped and counted): nothing to say at exit.
      this.#stopReporting();
      /* c8 ignore start: defensive, shutdown() never rejects */
    } catch (error) {
      this.#unexpected('shutdown', error);
    }
    /* c8 ignore stop */
    return delivered;
  }
}

/** Validates the options (throws `PrefactorConfigError`) and returns a sink that delivers in the background. */
export function createDeliverySink(options: DeliverySinkOptions): DeliverySink {
  assertOptionsObject('delivery', options);
  const { client, logger, apiUrl, ...rest } = options;
  rejectUnknownKeys('the delivery engine', rest, DELIVERY_OPTION_KEYS);
  return new DeliverySink(client, logger, resolveDeliveryOptions(rest), apiUrl);
}
