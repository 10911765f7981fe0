import { ERROR_CODES, PrefactorError } from '../errors.js';
import type { FinishStatus } from '../models/index.js';
import type { SpanSink } from '../sinks/span-sink.js';
import { OUTCOME_OK, isAbortError, settle, type Outcome } from './settle.js';

/** What an instance reports its finish to (the tracer's recorder). */
export interface InstanceOwner {
  /** Called exactly once per instance. */
  instanceFinished(instance: Instance, status: FinishStatus): void;
}

/**
 * Raised through `instance.signal` when the Prefactor API terminates the instance (the
 * killswitch). Its `name` is `'AbortError'`, so code that lets it propagate out of `withSpan` or
 * `withInstance` ends them as `cancelled`.
 */
export class InstanceTerminatedError extends PrefactorError {
  /** The reason the API gave. */
  readonly reason: string;
  readonly instanceId: string;

  constructor(instanceId: string, reason: string) {
    super(`Agent instance ${instanceId} was terminated through Prefactor: ${reason}. Stop the agent's work.`, {
      code: ERROR_CODES.terminated,
    });
    // Not the class name: `AbortError` is what abort-aware code (and the tracer's own `isAbortError`) looks for.
    this.name = 'AbortError';
    this.instanceId = instanceId;
    this.reason = reason;
  }
}

// Module-private access to an instance's state, for the recorder (assigned in the class's static block).
/** Counts a span opening in the instance; `false` when the instance has already finished. */
export let instanceSpanOpened: (instance: Instance) => boolean;
/** Counts a span ending; finishes the instance when its callback is done and this was the last span. */
export let instanceSpanClosed: (instance: Instance) => void;
/** Whether the instance has finished (its finish event was sent). */
export let isInstanceFinished: (instance: Instance) => boolean;
/** Finishes the instance now, whatever is still open (the default instance at shutdown). */
export let finishInstance: (instance: Instance, status: FinishStatus) => void;
/**
 * Shutdown with work still open: the instance will finish `cancelled` when the recorder has ended
 * its last open span (the recorder finishes it itself when none is open).
 */
export let cancelInstanceAtShutdown: (instance: Instance) => void;
/** Aborts the instance's signal; `false` when it was already terminated or has finished. */
export let terminateInstance: (instance: Instance, reason: string) => boolean;

/**
 * How an instance is recorded when it is not plainly sampled and local (see sampling.ts and
 * `tracer.continueFrom`). Set once, when the instance is made.
 */
export interface InstanceMode {
  /** Sampled out: its spans run untraced and nothing of it is sent. */
  readonly recordsNothing: boolean;
  /** Continued from another process: this side never registers, starts or finishes it. */
  readonly remote: boolean;
  /** Where its events go instead of the tracer's sink (an instance held back by `sampleErrors`). */
  readonly sink: SpanSink | undefined;
}

/**
 * An agent instance: one run of the agent. `withInstance` passes it to its callback;
 * `currentInstance()` returns it inside. Watch `signal` to stop when the instance is terminated.
 */
export class Instance {
  /** The instance's id (sent as `id` on register); `''` when not traced. */
  readonly id: string;
  /** Aborts, with an `InstanceTerminatedError` as its reason, when the API terminates the instance. */
  readonly signal: AbortSignal;
  /** @internal How it is recorded; `undefined`: sampled, local. */
  readonly mode: InstanceMode | undefined;
  #owner: InstanceOwner | undefined;
  #controller = new AbortController();
  #openSpans = 0;
  // Set once the callback is done; the finish waits until the spans still open have ended.
  #status: FinishStatus | undefined;
  #finished = false;

  /** @internal Made by the tracer. */
  constructor(owner: InstanceOwner | undefined, id: string, mode?: InstanceMode) {
    this.#owner = owner;
    this.id = id;
    this.mode = mode;
    this.signal = this.#controller.signal;
  }

  /** @internal How the callback of `withInstance` ended. */
  [settle](outcome: Outcome, value: unknown): void {
    if (this.#status !== undefined) return;
    this.#status =
      this.signal.aborted || (outcome !== OUTCOME_OK && isAbortError(value)) ? 'cancelled' : outcome === OUTCOME_OK ? 'complete' : 'failed';
    if (this.#openSpans === 0) this.#finish(this.#status);
  }

  static {
    instanceSpanOpened = (instance) => {
      if (instance.#finished) return false;
      instance.#openSpans++;
      return true;
    };
    instanceSpanClosed = (instance) => {
      if (--instance.#openSpans === 0 && instance.#status !== undefined && !instance.#finished) instance.#finish(instance.#status);
    };
    isInstanceFinished = (instance) => instance.#finished;
    finishInstance = (instance, status) => {
      if (!instance.#finished) instance.#finish(status);
    };
    cancelInstanceAtShutdown = (instance) => {
      instance.#status = 'cancelled';
    };
    terminateInstance = (instance, reason) => {
      if (instance.signal.aborted || instance.#finished) return false;
      instance.#controller.abort(new InstanceTerminatedError(instance.id, reason));
      return true;
    };
  }

  #finish(status: FinishStatus): void {
    this.#finished = true;
    this.#owner?.instanceFinished(this, status);
  }
}

/** The handle of an untraced `withInstance` (disabled tracer, after shutdown): its signal never aborts. */
export const NOOP_INSTANCE: Instance = new Instance(undefined, '');
