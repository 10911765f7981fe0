import type { PrefactorHttpClient } from '../api/client.js';
import { apiPath, PATHS } from '../models/routes.js';
import { isTransientError, PrefactorApiError, PrefactorAuthError, PrefactorResponseContractError } from '../http/errors.js';
import { safeLog, silentLogger } from '../util/logger.js';
import type { Logger } from '../util/logger.js';
import { BULK_TYPES, CREATE, singleRequest } from './operations.js';
import type { Operation, OperationKind, OperationTable } from './operations.js';
import { ApiHealth, NOTHING_HELD } from './api-health.js';
import { isMissingReference, isUnanswered, itemVerdict, requestVerdict } from './verdicts.js';

/** What became of one operation of a request. */
export const CONFIRMED = 0;
/** Not processed, or failed transiently: back in the queue, at its place. */
export const REQUEUED = 1;
/** Refused for good (`rejected_by_server`). */
export const REJECTED = 2;
/** The bulk endpoint does not know its type: back in the queue, and that type goes alone from now on. */
export const UNSUPPORTED = 3;
/** A remote create the API refused for a missing instance or parent (not there yet): try it again later, for a while. */
export const DEFERRED = 4;
export type OperationResult = typeof CONFIRMED | typeof REQUEUED | typeof REJECTED | typeof UNSUPPORTED | typeof DEFERRED;

/**
 * What a request came to, for the worker to apply: one result per operation (same order as sent),
 * and what the request says about the API as a whole.
 */
export interface SendOutcome {
  readonly results: OperationResult[];
  /** The API answered the request (a consecutive-failure backoff starts over). */
  readonly answered: boolean;
  /**
   * The results come from the request as a whole (it failed), not from each operation's own
   * answer: a rejection then counts every operation as rejected, dependants included.
   */
  readonly whole: boolean;
  /** Pause the worker: for `retryAfterMs` when the API asked, else by the backoff. */
  readonly backOff?: { readonly retryAfterMs: number | undefined; readonly why: string };
  /**
   * A change of sending mode the answer calls for: no bulk endpoint (404), a bulk body too large
   * (413), or a bulk request refused as a whole (send its operations one by one).
   */
  readonly adapt?: 'no_bulk' | 'too_large' | 'isolate';
  /** The request's error, for the log line of `adapt` and of a whole rejection. */
  readonly error?: string;
  /** Instances the API asked to stop (`control.terminate` in an answer), with the reason. */
  readonly terminate?: Array<readonly [instanceId: string, reason: string]>;
}

type Answer = { status?: unknown; code?: unknown; message?: unknown; errors?: unknown; control?: { terminate?: unknown; reason?: unknown } | null };

/**
 * The engine reads only the status, code and control of each answer: `Prefer: return=minimal`
 * (RFC 7240) lets an API leave out the resource it would echo (the local server does; an API that
 * ignores it answers in full, which works the same).
 */
const PREFER_MINIMAL = { prefer: 'return=minimal' } as const;

const all = (ops: readonly Operation[], result: OperationResult): OperationResult[] => ops.map(() => result);

/**
 * Sends one request (a bulk batch, or one operation on its own) and says what became of each of
 * its operations: it reads the answer and changes nothing else (the worker applies the outcome to
 * the outbox and to its own sending mode). Owns the counters of what it sends.
 */
export class Sender {
  readonly #client: PrefactorHttpClient;
  readonly #logger: Logger;
  /** Where the operations sent are held. */
  readonly #table: OperationTable;
  readonly #controllers = new Set<AbortController>();
  /** HTTP requests made, retries inside the client included. */
  requests = 0;
  /** Bulk requests answered with outputs. */
  batches = 0;
  /** Operations re-sent by the HTTP client's own retries (weighted: a create carrying its finish counts 2). */
  retried = 0;
  /** Told what the API's answers say about it as a whole (the delivery sink gives one that logs). */
  health = new ApiHealth(silentLogger, undefined, NOTHING_HELD);

  constructor(client: PrefactorHttpClient, logger: Logger, table: OperationTable) {
    this.#client = client;
    this.#logger = logger;
    this.#table = table;
  }

  /** Aborts every request in flight (shutdown deadline). */
  abortAll(): void {
    for (const controller of this.#controllers) controller.abort();
  }

  async #send(
    path: string,
    body: string | Uint8Array,
    key: string,
    ops: readonly Operation[],
    onRetryAfter: (delayMs: number) => void,
  ): Promise<Answer & { outputs?: unknown }> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    this.requests++;
    try {
      return (await this.#client.request('POST', path, {
        body,
        idempotencyKey: key,
        headers: PREFER_MINIMAL,
        signal: controller.signal,
        // Outside a flush nothing of the engine holds the process open (a flush holds it until its deadline).
        unref: true,
        onRetry: (info) => {
          this.requests++;
          for (const op of ops) this.retried += this.#table.weight[op]!;
          safeLog(this.#logger, 'debug', `Retrying ${path} (${ops.length} operation(s)) in ${info.delayMs} ms: ${info.error.message}`);
          this.#heard(info.error, false);
          const retryAfterMs = (info.error as { retryAfterMs?: number }).retryAfterMs;
          if (retryAfterMs !== undefined) onRetryAfter(retryAfterMs);
        },
      })) as Answer & { outputs?: unknown };
    } finally {
      this.#controllers.delete(controller);
    }
  }

  /**
   * Sends `batch` (its bulk `body`, UTF-8 bytes, with request key `key`); each operation's result comes from its
   * output. `onRetryAfter` hears of a `Retry-After` while the client retries (to pause the others).
   */
  async sendBulk(batch: readonly Operation[], body: Uint8Array, key: string, onRetryAfter: (delayMs: number) => void): Promise<SendOutcome> {
    let response: { outputs?: unknown };
    try {
      response = await this.#send(apiPath(PATHS.bulk), body, key, batch, onRetryAfter);
    } catch (error) {
      this.#heard(error, this.#isRedelivery(batch));
      return requestFailed(batch, error, true);
    }
    const outputs = response.outputs;
    if (typeof outputs !== 'object' || outputs === null) {
      return requestFailed(batch, new PrefactorResponseContractError('POST /api/v1/bulk answered without `outputs`'), true);
    }
    this.batches++;
    let transient = false;
    let tokenRefused = false;
    const terminate: Array<readonly [string, string]> = [];
    const table = this.#table;
    const results = batch.map((op): OperationResult => {
      const output = (outputs as Record<string, Answer | undefined>)[table.key(op)];
      if (output === undefined) return REQUEUED;
      if (output.status === 'success') {
        this.#collectTermination(op, output, terminate);
        return CONFIRMED;
      }
      const result = this.#refused(op, output.code, output.message, output.errors);
      transient ||= result === REQUEUED;
      tokenRefused ||= isTokenRefusal(output.code);
      return result;
    });
    this.health.answered(!tokenRefused);
    return {
      results,
      answered: true,
      whole: false,
      ...(transient ? { backOff: { retryAfterMs: undefined, why: 'a bulk item failed transiently' } } : {}),
      ...(terminate.length > 0 ? { terminate } : {}),
    };
  }

  /** Sends `op` to its single endpoint. */
  async sendSingle(op: Operation, onRetryAfter: (delayMs: number) => void): Promise<SendOutcome> {
    const { path, body } = singleRequest(this.#table, op);
    let response: Answer;
    try {
      response = await this.#send(apiPath(path), body, this.#table.key(op), [op], onRetryAfter);
    } catch (error) {
      this.#heard(error, this.#isRedelivery([op]));
      if (!(error instanceof PrefactorApiError) || isTransientError(error)) return requestFailed([op], error, false);
      const result = this.#refused(op, error.apiCode, error.message, error.errors);
      return {
        results: [result],
        // As before any answer: a run of transient refusals backs off further each time.
        answered: false,
        whole: false,
        ...(result === REQUEUED ? { backOff: { retryAfterMs: undefined, why: error.message } } : {}),
      };
    }
    this.health.answered();
    const terminate: Array<readonly [string, string]> = [];
    this.#collectTermination(op, response, terminate);
    return { results: [CONFIRMED], answered: true, whole: false, ...(terminate.length > 0 ? { terminate } : {}) };
  }

  /**
   * Tells `health` what a failed request (or attempt) says about the API: the token refused, no
   * usable answer, or an answer (the API is there). An abort says nothing (the shutdown deadline).
   */
  #heard(error: unknown, redelivery: boolean): void {
    const health = this.health;
    if (error instanceof PrefactorAuthError) health.refused(error.statusCode, error.apiCode);
    else if (isTransientError(error) || isUnanswered(error) || error instanceof PrefactorResponseContractError) health.unanswered(error, redelivery);
    else if (error instanceof PrefactorApiError) health.answered();
  }

  /** An operation the API refused with `code`: already delivered, for good, or worth another try. */
  #refused(op: Operation, code: unknown, message: unknown, errors: unknown): OperationResult {
    const table = this.#table;
    const kind = table.kind[op] as OperationKind;
    if (kind === CREATE && table.isRemote(op) && isMissingReference(code, errors)) return DEFERRED;
    const verdict = itemVerdict(kind, code);
    if (verdict === 'delivered') return CONFIRMED;
    if (verdict === 'unsupported') return UNSUPPORTED;
    if (verdict === 'transient') return REQUEUED;
    // A bulk item refused for the token (a token of another agent): as a whole request's 401/403.
    if (isTokenRefusal(code)) this.health.refused(code === 'forbidden' ? 403 : 401, code);
    safeLog(this.#logger, 'debug', `The API rejected ${BULK_TYPES[kind]} ${table.id(op)}: ${String(code)}: ${String(message)}`);
    return REJECTED;
  }

  #collectTermination(op: Operation, answer: Answer, into: Array<readonly [string, string]>): void {
    const control = answer.control;
    if (control?.terminate === true) into.push([this.#table.instanceId(op), typeof control.reason === 'string' ? control.reason : 'terminated by the API']);
  }

  /** Whether one of `ops` was sent before: the request is a redelivery. */
  #isRedelivery(ops: readonly Operation[]): boolean {
    return ops.some((op) => this.#table.attempts[op]! > 1);
  }
}

/** Whether a bulk item's error `code` refuses the token (as a request's 401/403 would). */
function isTokenRefusal(code: unknown): code is 'unauthorized' | 'forbidden' {
  return code === 'unauthorized' || code === 'forbidden';
}

/** The whole request failed: fall back, shrink, retry later or give up, by the error. */
function requestFailed(ops: readonly Operation[], error: unknown, bulk: boolean): SendOutcome {
  const verdict = requestVerdict(error, bulk, ops.length);
  const message = (error as Error).message;
  if (verdict === 'rejected') return { results: all(ops, REJECTED), answered: false, whole: true, error: message };
  const requeued = all(ops, REQUEUED);
  if (verdict === 'transient') {
    return { results: requeued, answered: false, whole: true, backOff: { retryAfterMs: (error as { retryAfterMs?: number }).retryAfterMs, why: message } };
  }
  return { results: requeued, answered: false, whole: true, adapt: verdict, error: message };
}
