import { nanoid } from 'nanoid';
import PQueue from 'p-queue';
import type { PrefactorHttpClient } from '../http/client.js';
import { isTransientError, PrefactorApiError, PrefactorNotFoundError, PrefactorResponseContractError } from '../http/errors.js';
import { safeLog } from '../logger.js';
import type { Logger } from '../logger.js';
import {
  BULK_TYPES,
  bulkBody,
  CREATE,
  DROPPED,
  IN_FLIGHT,
  INSTANCE_FINISH,
  QUEUED,
  REGISTER,
  singleRequest,
  SPAN_FINISH,
  START,
} from './operations.js';
import type { Operation } from './operations.js';
import type { ResolvedDeliveryOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { errorText } from './stats.js';
import type { DeliveryCounters } from './stats.js';

/** Item error codes worth another attempt (a real API may answer them per item). */
const TRANSIENT_ITEM_CODES = new Set(['internal_error', 'server_error', 'service_unavailable', 'rate_limited', 'timeout']);

type Outcome = { status?: unknown; code?: unknown; message?: unknown; control?: { terminate?: unknown; reason?: unknown } | null };

/**
 * Sends the outbox: a p-queue of at most `concurrency` tasks, each of which takes the eligible
 * operations at the front of the outbox (a bulk batch, or one operation sent on its own), sends them,
 * and resolves each: confirmed, re-queued (transient failure, unprocessed bulk item) or dropped
 * (permanent rejection). Every entry point runs in the engine's own async scope (`detach`).
 */
export class Worker {
  readonly #client: PrefactorHttpClient;
  readonly #logger: Logger;
  readonly #options: ResolvedDeliveryOptions;
  readonly #outbox: Outbox;
  readonly #counters: DeliveryCounters;
  readonly #detach: (fn: () => void) => void;
  readonly #queue: PQueue;
  /** Kinds sent as single requests (all of them with `batching: false`; some after `unknown_action`). */
  readonly #single: boolean[];
  #batchLimit: number;
  #stamp = 0;
  /** Send partial batches now (the linger timer fired, or a flush is waiting). */
  #due = false;
  /** The last task found nothing eligible: wait for a request to settle. */
  #blocked = false;
  #pumpScheduled = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #pauseTimer: NodeJS.Timeout | undefined;
  #pausedUntil = 0;
  #failures = 0;
  #stopped = false;
  /** A flush is waiting: timers keep the process alive (a script that ends still delivers). */
  #keepAlive = false;
  readonly #controllers = new Set<AbortController>();
  readonly #terminated = new Set<string>();
  /** Called after every request settles (flush waiters check progress). */
  onSettled: () => void = () => {};
  onTerminate: ((instanceId: string, reason: string) => void) | undefined;

  constructor(
    client: PrefactorHttpClient,
    logger: Logger,
    options: ResolvedDeliveryOptions,
    outbox: Outbox,
    counters: DeliveryCounters,
    detach: (fn: () => void) => void,
  ) {
    this.#client = client;
    this.#logger = logger;
    this.#options = options;
    this.#outbox = outbox;
    this.#counters = counters;
    this.#detach = detach;
    this.#queue = new PQueue({ concurrency: options.concurrency });
    this.#single = BULK_TYPES.map(() => !options.batching);
    this.#batchLimit = options.maxBatchSize;
  }

  /** After an enqueue (hot path): start the linger timer, or send at once when a batch is full. */
  notify(): void {
    if (this.#stopped) return;
    if (this.#due || this.#outbox.queuedEntries >= this.#batchLimit) {
      if (!this.#pumpScheduled && !this.#blocked) this.#detach(() => this.#schedulePump());
    } else if (this.#lingerTimer === undefined && this.#outbox.queuedEntries > 0) {
      this.#detach(() => {
        this.#lingerTimer = setTimeout(() => {
          this.#lingerTimer = undefined;
          this.#due = true;
          this.#pump();
        }, this.#options.flushIntervalMs);
        this.#hold(this.#lingerTimer);
      });
    }
  }

  /**
   * While a flush waits, the worker's timers hold the process open (bounded by the flush's own
   * deadline); otherwise they are unref'd and never keep it alive.
   */
  set keepAlive(keep: boolean) {
    this.#keepAlive = keep;
    for (const timer of [this.#lingerTimer, this.#pauseTimer]) {
      if (keep) timer?.ref();
      else timer?.unref();
    }
  }

  #hold(timer: NodeJS.Timeout): NodeJS.Timeout {
    return this.#keepAlive ? timer : timer.unref();
  }

  /** Send everything queued now (flush). */
  hurry(): void {
    this.#due = true;
    this.#detach(() => this.#schedulePump());
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => this.#pump());
  }

  #pump(): void {
    this.#pumpScheduled = false;
    if (this.#stopped || this.#queue.isPaused) return;
    const outbox = this.#outbox;
    while (
      !this.#blocked &&
      this.#queue.size + this.#queue.pending < this.#options.concurrency &&
      outbox.queuedEntries > 0 &&
      (this.#due || outbox.queuedEntries >= this.#batchLimit)
    ) {
      this.#queue.add(() => this.#runTask()).catch(
        /* c8 ignore next */ (error: unknown) => this.#unexpected(error),
      );
    }
  }

  async #runTask(): Promise<void> {
    const stamp = ++this.#stamp;
    const { batch, single } = this.#assemble(stamp);
    if (batch.length === 0 && single === undefined) {
      if (this.#outbox.queuedEntries > 0) this.#blocked = true;
      return;
    }
    if (this.#outbox.queuedEntries === 0) this.#due = false;
    try {
      if (single !== undefined) await this.#sendSingle(single);
      else await this.#sendBulk(batch);
      /* c8 ignore start: defensive, the send paths handle their own failures */
    } catch (error) {
      this.#unexpected(error);
      for (const op of single === undefined ? batch : [single]) if (op.state === IN_FLIGHT) this.#outbox.requeue(op);
    } finally {
      /* c8 ignore stop */
      // Re-queued operations (transient failure, unprocessed bulk items) were due already.
      if (single?.state === QUEUED || batch.some((op) => op.state === QUEUED)) this.#due = true;
      this.#blocked = false;
      this.#outbox.cascade();
      this.onSettled();
      if (this.#outbox.queuedEntries > 0) this.#schedulePump();
    }
  }

  /** Takes the eligible operations at the front: a bulk batch, or one operation to send on its own. */
  #assemble(stamp: number): { batch: Operation[]; single: Operation | undefined } {
    const outbox = this.#outbox;
    const batch: Operation[] = [];
    // Every in-flight operation sits in front of the oldest queued one at worst: scan past them all.
    let budget = this.#batchLimit * (this.#options.concurrency + 2);
    for (let op = outbox.head; op !== undefined && budget > 0; op = op.next, budget--) {
      if (op.state !== QUEUED) continue;
      if (this.#single[op.kind] || op.isolate) {
        if (batch.length > 0 || !outbox.eligible(op, stamp, false)) continue;
        outbox.take(op, stamp);
        return { batch, single: op };
      }
      if (!outbox.eligible(op, stamp, true)) continue;
      outbox.take(op, stamp);
      batch.push(op);
      if (batch.length >= this.#batchLimit) break;
    }
    return { batch, single: undefined };
  }

  async #send(path: string, body: string, key: string, ops: readonly Operation[]): Promise<Outcome & { outputs?: unknown }> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    this.#counters.requests++;
    try {
      return (await this.#client.request('POST', path, {
        body,
        idempotencyKey: key,
        signal: controller.signal,
        onRetry: (info) => {
          this.#counters.requests++;
          for (const op of ops) this.#counters.retried += op.weight;
          safeLog(this.#logger, 'debug', `Retrying ${path} (${ops.length} operation(s)) in ${info.delayMs} ms: ${info.error.message}`);
          const retryAfterMs = (info.error as { retryAfterMs?: number }).retryAfterMs;
          if (retryAfterMs !== undefined) this.#pauseFor(retryAfterMs);
        },
      })) as Outcome & { outputs?: unknown };
    } finally {
      this.#controllers.delete(controller);
    }
  }

  async #sendBulk(batch: Operation[]): Promise<void> {
    const key = nanoid();
    let response: { outputs?: unknown };
    try {
      response = await this.#send('/api/v1/bulk', bulkBody(batch, key), key, batch);
    } catch (error) {
      this.#requestFailed(batch, error, true);
      return;
    }
    const outputs = response.outputs;
    if (typeof outputs !== 'object' || outputs === null) {
      this.#requestFailed(batch, new PrefactorResponseContractError('POST /api/v1/bulk answered without `outputs`'), true);
      return;
    }
    this.#counters.batches++;
    this.#failures = 0;
    let transient = false;
    for (const op of batch) {
      /* c8 ignore next: a response that lands after shutdown dropped the batch */
      if (op.state !== IN_FLIGHT) continue;
      if (op.dep?.state === DROPPED) {
        this.#outbox.drop(op, 'dependency_dropped');
        continue;
      }
      const output = (outputs as Record<string, Outcome | undefined>)[op.key];
      if (output === undefined) this.#outbox.requeue(op);
      else if (output.status === 'success') this.#confirm(op, output);
      else transient = this.#rejected(op, output.code, output.message) || transient;
    }
    if (transient) this.#backOff(undefined, 'a bulk item failed transiently');
  }

  async #sendSingle(op: Operation): Promise<void> {
    const { path, body } = singleRequest(op);
    let response: Outcome;
    try {
      response = await this.#send(`/api/v1/${path}`, body, op.key, [op]);
    } catch (error) {
      if (op.state !== IN_FLIGHT) return;
      if (error instanceof PrefactorApiError && !isTransientError(error)) {
        if (this.#rejected(op, error.code, error.message)) this.#backOff(undefined, error.message);
      } else this.#requestFailed([op], error, false);
      return;
    }
    this.#failures = 0;
    this.#confirm(op, response);
  }

  #confirm(op: Operation, outcome: Outcome): void {
    const control = outcome.control;
    if (control?.terminate === true) {
      this.#terminate(op.instanceId, typeof control.reason === 'string' ? control.reason : 'terminated by the API');
    }
    this.#outbox.confirm(op);
  }

  #terminate(instanceId: string, reason: string): void {
    if (this.#terminated.has(instanceId)) return;
    this.#terminated.add(instanceId);
    safeLog(this.#logger, 'info', `The API asked agent instance ${instanceId} to stop: ${reason}`);
    try {
      this.onTerminate?.(instanceId, reason);
    } catch (error) {
      this.#unexpected(error);
    }
  }

  /** An operation the API refused. Returns whether it was re-queued as transient. */
  #rejected(op: Operation, code: unknown, message: unknown): boolean {
    if (code === 'unknown_action') {
      if (!this.#single[op.kind]) {
        this.#single[op.kind] = true;
        safeLog(this.#logger, 'info', `The API's bulk endpoint does not know ${BULK_TYPES[op.kind]}: sending those as single requests`);
      }
      this.#outbox.requeue(op);
      return false;
    }
    const finish = op.kind === START || op.kind === INSTANCE_FINISH || op.kind === SPAN_FINISH;
    if ((finish && code === 'invalid_action') || ((op.kind === REGISTER || op.kind === CREATE) && code === 'already_exists')) {
      // Already applied (an earlier attempt got through): delivered.
      this.#outbox.confirm(op);
      return false;
    }
    if (typeof code === 'string' && TRANSIENT_ITEM_CODES.has(code)) {
      this.#outbox.requeue(op);
      return true;
    }
    safeLog(this.#logger, 'debug', `The API rejected ${BULK_TYPES[op.kind]} ${op.id}: ${String(code)}: ${String(message)}`);
    this.#outbox.drop(op, 'rejected_by_server');
    return false;
  }

  /** The whole request failed: fall back, shrink, retry later or give up, by the error. */
  #requestFailed(ops: readonly Operation[], error: unknown, bulk: boolean): void {
    const live = ops.filter((op) => op.state === IN_FLIGHT);
    if (live.length === 0) return;
    const requeueAll = (): void => live.forEach((op) => this.#outbox.requeue(op));
    if (bulk && error instanceof PrefactorNotFoundError) {
      this.#single.fill(true);
      safeLog(this.#logger, 'info', 'The API has no bulk endpoint (404): sending single requests');
      return requeueAll();
    }
    if (bulk && error instanceof PrefactorApiError && error.statusCode === 413 && live.length > 1) {
      this.#batchLimit = Math.max(1, Math.floor(live.length / 2));
      safeLog(this.#logger, 'info', `The API refused a bulk body as too large: batches of at most ${this.#batchLimit} from now on`);
      return requeueAll();
    }
    if (isTransientError(error) || error instanceof PrefactorResponseContractError) {
      requeueAll();
      return this.#backOff((error as { retryAfterMs?: number }).retryAfterMs, (error as Error).message);
    }
    if (bulk && live.length > 1) {
      // Refused as a whole: send them one by one, so only the bad one is dropped.
      safeLog(this.#logger, 'info', `POST /api/v1/bulk was refused (${(error as Error).message}): sending its operations one by one`);
      for (const op of live) op.isolate = true;
      return requeueAll();
    }
    safeLog(this.#logger, 'error', `Delivery failed permanently: ${(error as Error).message}`);
    for (const op of live) this.#outbox.drop(op, 'rejected_by_server');
  }

  /** Pauses the whole worker: `Retry-After` when the API gave one, else capped exponential backoff. */
  #backOff(retryAfterMs: number | undefined, why: string): void {
    this.#failures++;
    const { redeliveryDelayMs, maxRedeliveryDelayMs } = this.#options;
    const exponential = Math.min(maxRedeliveryDelayMs, redeliveryDelayMs * 2 ** Math.min(this.#failures - 1, 30));
    const delayMs = retryAfterMs ?? exponential * (0.8 + Math.random() * 0.4);
    safeLog(this.#logger, 'debug', `Delivery paused for ${Math.round(delayMs)} ms after a transient failure: ${why}`);
    this.#pauseFor(delayMs);
  }

  #pauseFor(delayMs: number): void {
    const until = Date.now() + delayMs;
    if (this.#stopped || delayMs <= 0 || until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#queue.pause();
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => {
      this.#pauseTimer = undefined;
      this.#pausedUntil = 0;
      this.#queue.start();
      this.#pump();
    }, delayMs);
    this.#hold(this.#pauseTimer);
  }

  #unexpected(error: unknown): void {
    safeLog(this.#logger, 'error', `Unexpected failure in the delivery engine: ${errorText(error)}`);
  }

  /** Stops for good: no new request, in-flight ones aborted, timers cleared. */
  stop(): void {
    this.#stopped = true;
    this.#queue.clear();
    for (const controller of this.#controllers) controller.abort();
    clearTimeout(this.#lingerTimer);
    clearTimeout(this.#pauseTimer);
  }
}
