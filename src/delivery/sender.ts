import type { PrefactorHttpClient } from '../api/client.js';
import { apiPath, PATHS } from '../models/routes.js';
import { isTransientError, PrefactorApiError, PrefactorResponseContractError } from '../http/errors.js';
import { safeLog } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { BULK_TYPES, DROPPED, IN_FLIGHT, singleRequest } from './operations.js';
import type { Operation } from './operations.js';
import type { Outbox } from './outbox.js';
import { errorText } from './stats.js';
import type { DeliveryCounters } from './stats.js';
import { itemVerdict, requestVerdict } from './verdicts.js';

type Outcome = { status?: unknown; code?: unknown; message?: unknown; control?: { terminate?: unknown; reason?: unknown } | null };

/** What the sender may change in the worker that drives it. */
export interface SendControl {
  /** Kinds sent as single requests (all of them with `batching: false`; some after `unknown_action`). */
  readonly single: boolean[];
  /** Most operations per bulk request (shrinks after a 413). */
  batchLimit: number;
  /** Pause the worker after a transient failure (`Retry-After` when given, else backoff). */
  backOff(retryAfterMs: number | undefined, why: string): void;
  /** Pause the worker for `delayMs`; `asked` when the API asked for it (`Retry-After`). */
  pauseFor(delayMs: number, asked: boolean): void;
  /** A request got an answer: reset the backoff. */
  succeeded(): void;
}

/**
 * Sends one request (a bulk batch, or one operation on its own) and resolves its operations in the
 * outbox: confirmed, re-queued (transient failure, unprocessed bulk item) or dropped (permanent
 * rejection, or a dependency dropped). Calls the killswitch handler once per instance.
 */
/**
 * The engine reads only the status, code and control of each answer: `Prefer: return=minimal`
 * (RFC 7240) lets an API leave out the resource it would echo (the local server does; an API that
 * ignores it answers in full, which works the same).
 */
const PREFER_MINIMAL = { prefer: 'return=minimal' } as const;

export class Sender {
  readonly #client: PrefactorHttpClient;
  readonly #logger: Logger;
  readonly #outbox: Outbox;
  readonly #counters: DeliveryCounters;
  readonly #control: SendControl;
  readonly #controllers = new Set<AbortController>();
  readonly #terminated = new Set<string>();
  onTerminate: ((instanceId: string, reason: string) => void) | undefined;

  constructor(client: PrefactorHttpClient, logger: Logger, outbox: Outbox, counters: DeliveryCounters, control: SendControl) {
    this.#client = client;
    this.#logger = logger;
    this.#outbox = outbox;
    this.#counters = counters;
    this.#control = control;
  }

  /** Aborts every request in flight (shutdown deadline). */
  abortAll(): void {
    for (const controller of this.#controllers) controller.abort();
  }

  async #send(path: string, body: string, key: string, ops: readonly Operation[]): Promise<Outcome & { outputs?: unknown }> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    this.#counters.requests++;
    try {
      return (await this.#client.request('POST', path, {
        body,
        idempotencyKey: key,
        headers: PREFER_MINIMAL,
        signal: controller.signal,
        onRetry: (info) => {
          this.#counters.requests++;
          for (const op of ops) this.#counters.retried += op.weight;
          safeLog(this.#logger, 'debug', `Retrying ${path} (${ops.length} operation(s)) in ${info.delayMs} ms: ${info.error.message}`);
          const retryAfterMs = (info.error as { retryAfterMs?: number }).retryAfterMs;
          if (retryAfterMs !== undefined) this.#control.pauseFor(retryAfterMs, true);
        },
      })) as Outcome & { outputs?: unknown };
    } finally {
      this.#controllers.delete(controller);
    }
  }

  /** Sends `batch` (its bulk `body`, with request key `key`) and resolves each operation by its output. */
  async sendBulk(batch: Operation[], body: string, key: string): Promise<void> {
    let response: { outputs?: unknown };
    try {
      response = await this.#send(apiPath(PATHS.bulk), body, key, batch);
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
    this.#control.succeeded();
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
    if (transient) this.#control.backOff(undefined, 'a bulk item failed transiently');
  }

  /** Sends `op` to its single endpoint. */
  async sendSingle(op: Operation): Promise<void> {
    const { path, body } = singleRequest(op);
    let response: Outcome;
    try {
      response = await this.#send(apiPath(path), body, op.key, [op]);
    } catch (error) {
      if (op.state !== IN_FLIGHT) return;
      if (error instanceof PrefactorApiError && !isTransientError(error)) {
        if (this.#rejected(op, error.apiCode, error.message)) this.#control.backOff(undefined, error.message);
      } else this.#requestFailed([op], error, false);
      return;
    }
    this.#control.succeeded();
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
      safeLog(this.#logger, 'error', `The onTerminate handler failed: ${errorText(error)}`);
    }
  }

  /** An operation the API refused. Returns whether it was re-queued as transient. */
  #rejected(op: Operation, code: unknown, message: unknown): boolean {
    const verdict = itemVerdict(op.kind, code);
    if (verdict === 'delivered') this.#outbox.confirm(op);
    else if (verdict === 'rejected') {
      safeLog(this.#logger, 'debug', `The API rejected ${BULK_TYPES[op.kind]} ${op.id}: ${String(code)}: ${String(message)}`);
      this.#outbox.drop(op, 'rejected_by_server');
    } else {
      if (verdict === 'unsupported' && !this.#control.single[op.kind]) {
        this.#control.single[op.kind] = true;
        safeLog(this.#logger, 'info', `The API's bulk endpoint does not know ${BULK_TYPES[op.kind]}: sending those as single requests`);
      }
      this.#outbox.requeue(op);
    }
    return verdict === 'transient';
  }

  /** The whole request failed: fall back, shrink, retry later or give up, by the error. */
  #requestFailed(ops: readonly Operation[], error: unknown, bulk: boolean): void {
    const live = ops.filter((op) => op.state === IN_FLIGHT);
    if (live.length === 0) return;
    const verdict = requestVerdict(error, bulk, live.length);
    const message = (error as Error).message;
    if (verdict === 'rejected') {
      safeLog(this.#logger, 'error', `Delivery failed permanently: ${message}`);
      for (const op of live) this.#outbox.drop(op, 'rejected_by_server');
      return;
    }
    for (const op of live) this.#outbox.requeue(op);
    if (verdict === 'transient') return this.#control.backOff((error as { retryAfterMs?: number }).retryAfterMs, message);
    if (verdict === 'no_bulk') {
      this.#control.single.fill(true);
      safeLog(this.#logger, 'info', 'The API has no bulk endpoint (404): sending single requests');
    } else if (verdict === 'too_large') {
      this.#control.batchLimit = Math.max(1, Math.floor(live.length / 2));
      safeLog(this.#logger, 'info', `The API refused a bulk body as too large: batches of at most ${this.#control.batchLimit} from now on`);
    } else {
      safeLog(this.#logger, 'info', `POST /api/v1/bulk was refused (${message}): sending its operations one by one`);
      for (const op of live) op.isolate = true;
    }
  }
}
