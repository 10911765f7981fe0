import { bindEmitterToContext, bindToContext, contextStorage, currentFrame, type ContextFrame } from './context.js';
import { Instance, NOOP_INSTANCE } from './instance.js';
import { assertOptionsObject, check, rejectUnknownKeys } from '../util/option-checks.js';
import { Recorder, type TracerCounters } from './recorder.js';
import { OUTCOME_ERROR, settle, trackResult } from './settle.js';
import { DROP_REASONS, type DeliveryStats, type DropReason, type SpanSink } from '../sinks/span-sink.js';
import { PayloadValidationError, type SpanType } from './span-types.js';
import { NOOP_SPAN, Span } from './span.js';
import { resolveTracerOptions, type TracerOptions } from './tracer-options.js';

/** Options of `tracer.withInstance(options, fn)`. */
export interface InstanceOptions {
  /** The instance's id. @default a new id in the API's format */
  readonly id?: string;
  /** What this run is for, shown in the Prefactor UI. @default undefined */
  readonly purpose?: string;
}

/** Options of `flush()` and `shutdown()`. */
export interface FlushOptions {
  /** How long to wait, in milliseconds. @default the `shutdownTimeoutMs` option (5000) */
  readonly timeoutMs?: number;
}

/** `tracer.stats()`: the tracer's counters and the sink's delivery counters. */
export type TracerStats = TracerCounters & DeliveryStats;

const ZERO_DELIVERY: DeliveryStats = {
  operationsEnqueued: 0,
  operationsSent: 0,
  operationsRetried: 0,
  operationsCoalesced: 0,
  batchesSent: 0,
  requestsSent: 0,
  dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>,
  queued: 0,
  inFlight: 0,
  bytesHeld: 0,
};
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const FLUSH_OPTION_KEYS = ['timeoutMs'] as const;

/**
 * Traces an agent: spans (`withSpan`) nested by async context under agent instances
 * (`withInstance`), handed to a sink that delivers them in the background. Never throws into the
 * traced code; only a bad configuration throws, here in the constructor.
 */
export class Tracer {
  /** Whether the tracer records anything (see the `enabled` option). */
  readonly enabled: boolean;
  // Undefined when disabled: every method then runs the callback at once.
  readonly #core: Recorder | undefined;
  readonly #shutdownTimeoutMs: number;
  #closed = false;
  #shutdown: Promise<boolean> | undefined;
  readonly #onBeforeExit = (): void => void this.shutdown();
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#removeListeners();
    // Our listener suppressed the signal's default (exit): raise it again once shut down. Listeners
    // that defer to others, like signal-exit's, then see that nobody else handles it.
    void this.shutdown().then(() => process.kill(process.pid, signal));
  };

  constructor(options?: TracerOptions) {
    const resolved = resolveTracerOptions(options);
    this.enabled = resolved.enabled;
    this.#shutdownTimeoutMs = resolved.shutdownTimeoutMs;
    if (!resolved.enabled) return;
    this.#core = new Recorder(resolved, resolved.makeSink());
    process.once('beforeExit', this.#onBeforeExit);
    if (resolved.handleSignals) for (const signal of SIGNALS) process.once(signal, this.#onSignal);
  }

  /**
   * Runs `fn` in a new span of type `spanType` (a span type or a name) with `payload`, as a child of
   * the current span. Returns what `fn` returns, unchanged (a sync result stays sync); rethrows
   * its error, the same object. The span ends when `fn` returns, its promise settles, or the async
   * iterable it returns is consumed.
   */
  withSpan<Params, Result, T>(spanType: SpanType<Params, Result>, payload: NoInfer<Params>, fn: (span: Span<Result>) => T): T;
  withSpan<T>(name: string, payload: unknown, fn: (span: Span) => T): T;
  withSpan<T>(name: string, fn: (span: Span) => T): T;
  withSpan<T>(spanType: SpanType | string, payload: unknown, fn?: (span: Span) => T): T {
    if (fn === undefined) {
      fn = payload as (span: Span) => T;
      payload = undefined;
    }
    const core = this.#core;
    if (core === undefined) return fn(NOOP_SPAN);
    if (this.#closed) {
      core.droppedAfterShutdown++;
      return fn(NOOP_SPAN);
    }
    const frame = currentFrame();
    let span: Span | undefined;
    let instance: Instance;
    try {
      let parentId: string | undefined;
      if (frame !== undefined && frame.tracer === this) {
        instance = frame.instance as Instance;
        parentId = (frame.span as Span | undefined)?.id;
      } else {
        instance = core.defaultInstance();
      }
      if (typeof spanType === 'string') {
        span = core.startSpan(undefined, spanType, payload, instance, parentId);
      } else if (typeof spanType?.name === 'string') {
        span = core.startSpan(spanType, spanType.name, payload, instance, parentId);
      } else {
        throw new TypeError(`Expected a span type from defineSpanType() or a name, got ${typeof spanType}`);
      }
    } catch (error) {
      if (error instanceof PayloadValidationError) throw error;
      core.failed('withSpan()', error);
    }
    if (span === undefined) return fn(NOOP_SPAN);
    const next: ContextFrame = { tracer: this, instance: instance!, span };
    let value: T;
    try {
      value = contextStorage().run(next, fn, span);
    } catch (error) {
      span[settle](OUTCOME_ERROR, error);
      throw error;
    }
    return trackResult(value, span, next);
  }

  /**
   * Runs `fn` as a new agent instance: registers and starts it, runs `fn` with it current, and
   * finishes it `complete`, `failed` (fn threw) or `cancelled` (an AbortError, or terminated) once
   * `fn` is done and its spans have ended. Returns what `fn` returns, unchanged.
   */
  withInstance<T>(fn: (instance: Instance) => T): T;
  withInstance<T>(options: InstanceOptions, fn: (instance: Instance) => T): T;
  withInstance<T>(options: InstanceOptions | ((instance: Instance) => T), fn?: (instance: Instance) => T): T {
    if (typeof options === 'function') {
      fn = options;
      options = {};
    }
    checkInstanceOptions(options);
    const core = this.#core;
    if (core === undefined) return fn!(NOOP_INSTANCE);
    if (this.#closed) {
      core.droppedAfterShutdown++;
      return fn!(NOOP_INSTANCE);
    }
    // startInstance() cannot throw: every sink call in it is guarded.
    const instance = core.startInstance(options.id, options.purpose);
    const frame: ContextFrame = { tracer: this, instance, span: undefined };
    let value: T;
    try {
      value = contextStorage().run(frame, fn!, instance);
    } catch (error) {
      instance[settle](OUTCOME_ERROR, error);
      throw error;
    }
    return trackResult(value, instance, frame);
  }

  /** The span of this tracer open in the current context, or `undefined`. */
  currentSpan(): Span | undefined {
    const frame = currentFrame();
    return frame?.tracer === this ? (frame.span as Span | undefined) : undefined;
  }

  /** The instance of this tracer current in the current context, or `undefined`. */
  currentInstance(): Instance | undefined {
    const frame = currentFrame();
    return frame?.tracer === this ? (frame.instance as Instance) : undefined;
  }

  /** `fn` bound to the current context: spans it opens are children of the current span, wherever it is called. */
  bind<F extends (...args: never[]) => unknown>(fn: F): F {
    return bindToContext(fn);
  }

  /**
   * Makes listeners added to `emitter` from now on run in the context where they were added. Without
   * it, a listener runs in the context of whoever calls `emit()`. Returns `emitter`.
   */
  bindEmitter<E extends object>(emitter: E): E {
    return bindEmitterToContext(emitter);
  }

  /**
   * Resolves `true` once everything recorded before the call is delivered (or finally dropped,
   * counted in `stats()`), `false` after `timeoutMs`. Never rejects.
   */
  flush(options?: FlushOptions): Promise<boolean> {
    const core = this.#core;
    if (core === undefined) return Promise.resolve(true);
    const timeoutMs = this.#timeoutMs(options);
    return settleWithin(core, 'flush', (ms) => core.sink.flush(ms), timeoutMs);
  }

  /**
   * Finishes the default instance, flushes, and releases the sink. Later spans run untraced
   * (counted as `dropped.after_shutdown`). Idempotent: every call returns the first call's promise.
   * Never rejects.
   */
  shutdown(options?: FlushOptions): Promise<boolean> {
    if (this.#shutdown !== undefined) return this.#shutdown;
    const core = this.#core;
    if (core === undefined) return (this.#shutdown = Promise.resolve(true));
    const timeoutMs = this.#timeoutMs(options);
    this.#closed = true;
    this.#removeListeners();
    core.finishDefaultInstance();
    return (this.#shutdown = settleWithin(core, 'shutdown', (ms) => core.sink.shutdown(ms), timeoutMs));
  }

  /** Counters: spans, instances, validation and telemetry failures, then delivery (drops by reason...). */
  stats(): TracerStats {
    const core = this.#core;
    if (core === undefined) return { ...ZERO_DELIVERY, dropped: { ...ZERO_DELIVERY.dropped }, ...ZERO_COUNTERS };
    let delivery: DeliveryStats | undefined;
    try {
      delivery = core.sink.stats?.();
    } catch (error) {
      core.failed("the sink's stats()", error);
    }
    const dropped = { ...ZERO_DELIVERY.dropped, ...delivery?.dropped };
    dropped.after_shutdown += core.droppedAfterShutdown;
    return { ...ZERO_DELIVERY, ...delivery, ...core.counters(), dropped };
  }

  #timeoutMs(options: FlushOptions | undefined): number {
    assertOptionsObject('flush/shutdown', options);
    if (options === undefined) return this.#shutdownTimeoutMs;
    rejectUnknownKeys('flush/shutdown', options, FLUSH_OPTION_KEYS);
    return options.timeoutMs === undefined ? this.#shutdownTimeoutMs : check.nonNegativeNumber('timeoutMs', options.timeoutMs);
  }

  #removeListeners(): void {
    process.off('beforeExit', this.#onBeforeExit);
    for (const signal of SIGNALS) process.off(signal, this.#onSignal);
  }
}

const ZERO_COUNTERS: TracerCounters = {
  spansStarted: 0,
  spansEnded: 0,
  instancesStarted: 0,
  instancesFinished: 0,
  payloadValidationFailures: 0,
  serializationFailures: 0,
  spansAfterInstanceFinished: 0,
  telemetryErrors: 0,
};

function checkInstanceOptions(options: InstanceOptions): void {
  assertOptionsObject('withInstance', options);
  rejectUnknownKeys('withInstance', options, ['id', 'purpose']);
  if (options.id !== undefined) check.nonEmptyString('id', options.id);
  if (options.purpose !== undefined) check.nonEmptyString('purpose', options.purpose);
}

/**
 * Calls a sink's flush/shutdown and resolves with its answer: `false` when it throws, rejects, or
 * has not answered shortly after the deadline (the sink should have answered `false` by then).
 */
function settleWithin(core: Recorder, method: string, call: (timeoutMs: number) => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs + 100);
    timer.unref();
    const done = (delivered: boolean): void => {
      clearTimeout(timer);
      resolve(delivered);
    };
    try {
      Promise.resolve(call(timeoutMs)).then(
        (delivered) => done(delivered === true),
        (error: unknown) => {
          core.failed(`the sink's ${method}()`, error);
          done(false);
        },
      );
    } catch (error) {
      core.failed(`the sink's ${method}()`, error);
      done(false);
    }
  });
}
