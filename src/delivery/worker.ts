import { nanoid } from 'nanoid';
import PQueue from 'p-queue';
import type { PrefactorHttpClient } from '../api/client.js';
import { safeLog } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { BodyPool, type BulkBody } from './bulk-body.js';
import { BULK_TYPES, DROPPED, IN_FLIGHT, QUEUED } from './operations.js';
import type { Operation } from './operations.js';
import type { ResolvedDeliveryOptions } from './options.js';
import type { Outbox } from './outbox.js';
import { errorText } from './stats.js';
import { CONFIRMED, DEFERRED, REJECTED, REQUEUED, Sender } from './sender.js';
import type { SendOutcome } from './sender.js';
import { redeliveryDelayMs } from './verdicts.js';

/** First and longest pause before a remote create whose parent is not there yet is sent again, in ms. */
const REMOTE_RETRY_FIRST_MS = 250;
const REMOTE_RETRY_MAX_MS = 2000;

/**
 * Drives the outbox: a p-queue of at most `concurrency` tasks, each of which takes the eligible
 * operations at the front of the outbox (a bulk batch, or one operation sent on its own), hands
 * them to the `Sender`, and applies the outcome it returns (to the outbox, to its own sending mode
 * and pauses, and to the killswitch). Decides when batches leave (full, `flushIntervalMs`, flush)
 * and pauses (`Retry-After`, backoff). Every entry point runs in the engine's own async scope
 * (`detach`). Control flows one way: the sender never calls back into the worker.
 */
export class Worker {
  readonly sender: Sender;
  readonly #logger: Logger;
  readonly #options: ResolvedDeliveryOptions;
  readonly #outbox: Outbox;
  readonly #detach: (fn: () => void) => void;
  readonly #queue: PQueue;
  /** The Buffers bulk bodies are written into, one per request in flight, reused. */
  readonly #bodies: BodyPool;
  /** Kinds sent as single requests (all of them with `batching: false`; some after `unknown_action`). */
  readonly #single: boolean[];
  /** Most operations per bulk request (shrinks after a 413). */
  #batchLimit: number;
  /** Instances the API asked to stop, told to `onTerminate` once each. */
  readonly #terminated = new Set<string>();
  onTerminate: ((instanceId: string, reason: string) => void) | undefined;
  #stamp = 0;
  /** Send partial batches now (the linger timer fired, or a flush is waiting). */
  #due = false;
  /** The last task found nothing eligible: wait for a request to settle. */
  #blocked = false;
  #pumpScheduled = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #pauseTimer: NodeJS.Timeout | undefined;
  #pausedUntil = 0;
  /** Wakes the worker when the earliest deferred remote create may leave (`#wakeTime`). */
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeTime = 0;
  /** The pause is the API's (`Retry-After`), which a flush must respect; a redelivery backoff it may cut. */
  #pauseAsked = false;
  #failures = 0;
  #stopped = false;
  /** A flush is waiting: timers keep the process alive (a script that ends still delivers). */
  #keepAlive = false;
  /** Called after every request settles (flush waiters check progress). */
  readonly #onSettled: () => void;

  constructor(
    client: PrefactorHttpClient,
    logger: Logger,
    options: ResolvedDeliveryOptions,
    outbox: Outbox,
    detach: (fn: () => void) => void,
    onSettled: () => void,
  ) {
    this.#onSettled = onSettled;
    this.#logger = logger;
    this.#options = options;
    this.#outbox = outbox;
    this.#detach = detach;
    this.#queue = new PQueue({ concurrency: options.concurrency });
    this.#single = BULK_TYPES.map(() => !options.batching);
    this.#batchLimit = options.maxBatchSize;
    this.#bodies = new BodyPool(options.maxBatchBytes, options.concurrency);
    this.sender = new Sender(client, logger, outbox.table);
  }

  /** Whether a full batch waits: `batchLimit` operations or `maxBatchBytes` of payload queued. */
  #full(): boolean {
    return this.#outbox.queuedEntries >= this.#batchLimit || this.#outbox.queuedBytes >= this.#options.maxBatchBytes;
  }

  /** After an enqueue (hot path): start the linger timer, or send at once when a batch is full. */
  notify(): void {
    if (this.#stopped) return;
    if (this.#due || this.#full()) {
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
    for (const timer of [this.#lingerTimer, this.#pauseTimer, this.#wakeTimer]) {
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
    this.#detach(() => {
      if (this.#pauseTimer !== undefined && !this.#pauseAsked) this.#resume();
      else this.#schedulePump();
    });
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
      (this.#due || this.#full())
    ) {
      // #runTask() handles its own failures; the catch only keeps a rejection from going unhandled.
      /* c8 ignore next */
      this.#queue.add(() => this.#runTask()).catch((error: unknown) => this.#unexpected(error));
    }
  }

  async #runTask(): Promise<void> {
    const stamp = ++this.#stamp;
    const { batch, single, body } = this.#assemble(stamp);
    if (batch.length === 0 && single === undefined) {
      // Something in flight holds the rest back: wait for it to settle. (With nothing in flight the
      // oldest queued operation is always eligible; the check only guards against a stall.)
      if (this.#outbox.queuedEntries > 0 && this.#outbox.inFlight > 0) this.#blocked = true;
      return;
    }
    if (this.#outbox.queuedEntries === 0) this.#due = false;
    const ops = single === undefined ? batch : [single];
    let outcome: SendOutcome | undefined;
    try {
      const onRetryAfter = (delayMs: number): void => this.#pauseFor(delayMs, true);
      if (single === undefined) {
        const key = nanoid();
        outcome = await this.sender.sendBulk(batch, body!.finish(key), key, onRetryAfter);
      } else outcome = await this.sender.sendSingle(single, onRetryAfter);
      this.#apply(ops, outcome);
      /* c8 ignore start: defensive, the send paths handle their own failures */
    } catch (error) {
      this.#unexpected(error);
      for (const op of ops) if (this.#outbox.table.state[op] === IN_FLIGHT) this.#outbox.requeue(op);
    } finally {
      /* c8 ignore stop */
      // The API answered: it read the whole body, whose Buffer can take the next one. (After a
      // failure the request may still be writing it: that Buffer is left to the collector.)
      if (body !== undefined && outcome?.answered === true) this.#bodies.giveBack(body.buffer);
      // Re-queued operations (transient failure, unprocessed bulk items) were due already.
      const state = this.#outbox.table.state;
      if ((single !== undefined && state[single] === QUEUED) || batch.some((op) => state[op] === QUEUED)) this.#due = true;
      this.#blocked = false;
      this.#outbox.cascade();
      this.#onSettled();
      if (this.#outbox.queuedEntries > 0) this.#schedulePump();
    }
  }

  /**
   * Takes the eligible operations at the front: a bulk batch with its body, written item by item
   * into a reused Buffer (see `bulk-body.ts`) so the batch closes before the body would pass
   * `maxBatchBytes`; or one operation to send on its own. A body is taken from the pool only for
   * a batch that gets a first item.
   */
  #assemble(stamp: number): { batch: Operation[]; single: Operation | undefined; body: BulkBody | undefined } {
    const outbox = this.#outbox;
    const table = outbox.table;
    const batch: Operation[] = [];
    let body: BulkBody | undefined;
    // Every in-flight operation sits in front of the oldest queued one at worst: scan past them all.
    let budget = this.#batchLimit * (this.#options.concurrency + 2);
    const now = Date.now();
    for (let op = outbox.head; op >= 0 && budget > 0; op = table.next[op]!, budget--) {
      if (table.state[op] !== QUEUED) continue;
      const notBefore = table.notBefore[op]!;
      if (notBefore > now) {
        this.#wakeAt(notBefore);
        continue;
      }
      if (this.#single[table.kind[op]!] || table.isIsolated(op)) {
        if (batch.length > 0 || !outbox.eligible(op, stamp, false)) continue;
        outbox.take(op, stamp);
        return { batch, single: op, body: undefined };
      }
      if (!outbox.eligible(op, stamp, true)) continue;
      // The key first: the item carries it. A key given to an operation that does not fit stays
      // its key (it was never sent, so never used with another body).
      outbox.giveKey(op);
      body ??= this.#bodies.body();
      if (!body.addOperation(table, op)) break;
      outbox.take(op, stamp);
      batch.push(op);
      if (batch.length >= this.#batchLimit) break;
    }
    return { batch, single: undefined, body };
  }

  /**
   * Applies what a request came to: each operation confirmed, re-queued or dropped in the outbox
   * (one the shutdown deadline already dropped is left alone), then the sending mode, the
   * killswitch and the pause the answer calls for.
   */
  #apply(ops: readonly Operation[], outcome: SendOutcome): void {
    const outbox = this.#outbox;
    const table = outbox.table;
    if (outcome.answered) this.#failures = 0;
    let live = 0;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]!;
      if (table.state[op] !== IN_FLIGHT) continue;
      live++;
      const result = outcome.results[index];
      // An item after an earlier one of the same batch that was refused: its dependency is gone.
      if (!outcome.whole && table.depState(op) === DROPPED) outbox.drop(op, 'dependency_dropped');
      else if (result === CONFIRMED) outbox.confirm(op);
      else if (result === REJECTED) outbox.drop(op, 'rejected_by_server');
      else if (result === DEFERRED) this.#deferRemote(op);
      else {
        const kind = table.kind[op]!;
        if (result !== REQUEUED && !this.#single[kind]) {
          this.#single[kind] = true;
          safeLog(this.#logger, 'info', `The API's bulk endpoint does not know ${BULK_TYPES[kind]}: sending those as single requests`);
        }
        if (outcome.adapt === 'isolate') table.isolate(op);
        outbox.requeue(op);
      }
    }
    for (const [instanceId, reason] of outcome.terminate ?? []) this.#terminate(instanceId, reason);
    if (live === 0) return;
    if (outcome.whole && outcome.results[0] === REJECTED) safeLog(this.#logger, 'error', `Delivery failed permanently: ${outcome.error}`);
    if (outcome.adapt === 'no_bulk') {
      this.#single.fill(true);
      safeLog(this.#logger, 'info', 'The API has no bulk endpoint (404): sending single requests');
    } else if (outcome.adapt === 'too_large') {
      this.#batchLimit = Math.max(1, Math.floor(live / 2));
      safeLog(this.#logger, 'info', `The API refused a bulk body as too large: batches of at most ${this.#batchLimit} from now on`);
    } else if (outcome.adapt === 'isolate') {
      safeLog(this.#logger, 'info', `POST /api/v1/bulk was refused (${outcome.error}): sending its operations one by one`);
    }
    if (outcome.backOff !== undefined) this.#backOff(outcome.backOff.retryAfterMs, outcome.backOff.why);
  }

  #terminate(instanceId: string, reason: string): void {
    if (this.#terminated.has(instanceId)) return;
    this.#terminated.add(instanceId);
    safeLog(this.#logger, 'info', `The API asked agent instance ${instanceId} to stop: ${reason}`);
    try {
      this.onTerminate?.(instanceId, reason);
    } catch (error) {
      safeLog(this.#logger, 'error', `The onTerminate handler failed: ${errorText(error)}`);
    }
  }

  /** Remote create `op` found no instance or parent (yet): try it again later, for a while. */
  #deferRemote(op: Operation): void {
    const table = this.#outbox.table;
    const delayMs = redeliveryDelayMs(table.attempts[op]!, REMOTE_RETRY_FIRST_MS, REMOTE_RETRY_MAX_MS);
    safeLog(this.#logger, 'debug', `The API does not know the instance or parent of remote span ${table.id(op)} yet: trying again in ${Math.round(delayMs)} ms`);
    this.#outbox.deferRemote(op, Date.now(), delayMs, this.#options.remoteParentWaitMs);
    if (table.state[op] === QUEUED) this.#wakeAt(table.notBefore[op]!);
  }

  /** Runs the worker at `at` (ms since the epoch), unless it is already woken earlier. */
  #wakeAt(at: number): void {
    if (this.#stopped || (this.#wakeTimer !== undefined && this.#wakeTime <= at)) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeTime = at;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#due = true;
      this.#pump();
    }, Math.max(0, at - Date.now()));
    this.#hold(this.#wakeTimer);
  }

  /** Pauses the whole worker: `Retry-After` when the API gave one, else capped exponential backoff. */
  #backOff(retryAfterMs: number | undefined, why: string): void {
    this.#failures++;
    const delayMs = retryAfterMs ?? redeliveryDelayMs(this.#failures, this.#options.redeliveryDelayMs, this.#options.maxRedeliveryDelayMs);
    safeLog(this.#logger, 'debug', `Delivery paused for ${Math.round(delayMs)} ms after a transient failure: ${why}`);
    this.#pauseFor(delayMs, retryAfterMs !== undefined);
  }

  /** Pauses the worker for `delayMs`; `asked` when the API asked for it (`Retry-After`). */
  #pauseFor(delayMs: number, asked: boolean): void {
    const until = Date.now() + delayMs;
    if (this.#stopped || delayMs <= 0 || until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#pauseAsked = asked;
    this.#queue.pause();
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => this.#resume(), delayMs);
    this.#hold(this.#pauseTimer);
  }

  #resume(): void {
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
    this.#pausedUntil = 0;
    this.#queue.start();
    this.#pump();
  }

  /* c8 ignore start: only reached from defensive paths */
  #unexpected(error: unknown): void {
    safeLog(this.#logger, 'error', `Unexpected failure in the delivery engine: ${errorText(error)}`);
  }
  /* c8 ignore stop */

  /** Stops for good: no new request, in-flight ones aborted, timers cleared. */
  stop(): void {
    this.#stopped = true;
    this.#queue.clear();
    this.sender.abortAll();
    clearTimeout(this.#lingerTimer);
    clearTimeout(this.#pauseTimer);
    clearTimeout(this.#wakeTimer);
  }
}
