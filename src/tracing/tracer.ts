import { contextBridge } from './context-bridge.js';
import { bindEmitterToContext, bindToContext, contextStorage, currentFrame, type ContextFrame } from './context.js';
import { Instance, NOOP_INSTANCE } from './instance.js';
import { assertOptionsObject, check, rejectUnknownKeys } from '../util/option-checks.js';
import { Recorder, type TracerCounters } from './recorder.js';
import { OUTCOME_ERROR, settle, trackHandedOn, trackResult } from './settle.js';
import { DROP_REASONS, type DeliveryStats, type DropReason, type SpanSink } from '../sinks/span-sink.js';
import { PayloadValidationError, type SpanType } from './span-types.js';
import { NOOP_SPAN, Span } from './span.js';
import { nesting, stackIsLow } from './stack-guard.js';
import { deferredWork, retryDeferred, runDeferred } from './deferred.js';
import { resolveTracerOptions, type TracerOptions } from './tracer-options.js';
import { contextHeaders, readContext, type PropagationSource } from './propagation.js';
import { watchProcess } from './process-hooks.js';
import { safeLog } from '../util/logger.js';

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
/**
 * @internal The recorder of `tracer`, for bridges (src/tracing/bridge.ts): `undefined` when the
 * tracer is disabled, or shut down (then counted as `dropped.after_shutdown`).
 */
export let recorderOf: (tracer: Tracer) => Recorder | undefined;
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
  /** Stops the process hooks (one `beforeExit` listener for all tracers, see process-hooks.ts). */
  #unwatch: (() => void) | undefined;
  /** Operations dropped (any reason but `after_shutdown`) as of the last flush that resolved. */
  #dropsSeen = 0;
  /** A call after shutdown() was said (once per tracer). */
  #saidAfterShutdown = false;

  constructor(options?: TracerOptions) {
    const resolved = resolveTracerOptions(options);
    this.enabled = resolved.enabled;
    this.#shutdownTimeoutMs = resolved.shutdownTimeoutMs;
    if (!resolved.enabled) return;
    this.#core = new Recorder(resolved, resolved.makeSink());
    this.#unwatch = watchProcess(this, resolved.handleSignals);
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
    if (deferredWork.length !== 0) retryDeferred();
    // This frame stays on the stack while `fn` runs (in a recursion, once per level): everything
    // else is done in #openSpan, whose frame is gone by then.
    let next: ContextFrame | undefined;
    try {
      next = this.#openSpan(core, spanType, payload);
    } catch (error) {
      // Out of stack calling #openSpan (its own errors are handled inside, but for a bad payload).
      if (!(error instanceof RangeError)) throw error;
      core.spansSkippedStackDepth++;
    }
    if (next === undefined) return fn(NOOP_SPAN);
    const span = next.span as Span;
    let value: T;
    const bridge = contextBridge;
    nesting.depth++;
    try {
      value = bridge === undefined ? contextStorage().run(next, fn, span) : contextStorage().run(next, () => bridge.run(span, next.instance as Instance, fn));
    } catch (error) {
      try {
        span[settle](OUTCOME_ERROR, error);
      } catch {
        // Out of stack calling it (the bottom of a recursion): ended later (deferred.ts).
        deferredWork.push(() => span[settle](OUTCOME_ERROR, error));
      }
      throw error;
    } finally {
      nesting.depth--;
    }
    try {
      return trackResult(value, span, next);
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore start */
    } catch {
      // Out of stack once `fn` returned (the bottom of a recursion): `value` goes back unchanged,
      // and the span follows it later, with stack to spare (deferred.ts).
      deferredWork.push(() => trackHandedOn(value, span, next));
      return value;
    }
    /* c8 ignore stop */
  }

  /** Opens a span in the current context: its frame, or `undefined` when the call runs untraced. */
  #openSpan(core: Recorder, spanType: SpanType | string, payload: unknown): ContextFrame | undefined {
    if (this.#closed) {
      this.#afterShutdown(core, 'withSpan');
      return undefined;
    }
    if (stackIsLow()) {
      core.spansSkippedStackDepth++;
      return undefined;
    }
    const frame = currentFrame();
    try {
      let instance: Instance;
      let parentId: string | undefined;
      if (frame !== undefined && frame.tracer === this) {
        instance = frame.instance as Instance;
        parentId = (frame.span as Span | undefined)?.id;
      } else {
        instance = core.defaultInstance();
      }
      const bridge = contextBridge;
      if (bridge !== undefined) parentId = bridge.parentId(instance, parentId);
      let span: Span | undefined;
      if (typeof spanType === 'string') {
        span = core.startSpan(undefined, spanType, payload, instance, parentId);
      } else if (typeof spanType?.name === 'string') {
        span = core.startSpan(spanType, spanType.name, payload, instance, parentId);
      } else {
        throw new TypeError(`Expected a span type from defineSpanType() or a name, got ${typeof spanType}`);
      }
      return span === undefined ? undefined : { tracer: this, instance, span };
    } catch (error) {
      if (error instanceof PayloadValidationError) throw error;
      if (error instanceof RangeError) core.spansSkippedStackDepth++; // the stack ran out in the tracer's own work
      else core.failed('withSpan()', error);
      return undefined;
    }
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
    const core = this.#core;
    // Never throws into the traced code: a bad option is reported and left out.
    options = checkInstanceOptions(options, (error) => core?.failed('withInstance()', error));
    if (core === undefined) return fn!(NOOP_INSTANCE);
    if (this.#closed) {
      this.#afterShutdown(core, 'withInstance');
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

  /** `call` after shutdown(): runs untraced, counted, and said once (never "before init()"). */
  #afterShutdown(core: Recorder, call: string): void {
    core.droppedAfterShutdown++;
    if (this.#saidAfterShutdown) return;
    this.#saidAfterShutdown = true;
    safeLog(
      core.logger,
      'warn',
      `${call}() was called after shutdown(): it runs untraced (counted in stats().dropped.after_shutdown, as every later call). Call shutdown() once the traced work is done, or trace later work with a new Tracer`,
    );
  }

  /** The span of this tracer open in the current context, or `undefined`. */
  currentSpan(): Span | undefined {
    const frame = currentFrame();
    // Under `continueFrom` the frame's span may be the remote caller's id, which is no Span here.
    return frame?.tracer === this && frame.span instanceof Span ? frame.span : undefined;
  }

  /**
   * The headers that carry the current instance and span to another process, where
   * `continueFrom` continues the trace: `traceparent` (W3C) and `prefactor-context` (see the README).
   * `{}` outside any span of this tracer; inside an unsampled instance they say so, span or not,
   * and the other side records nothing. Never throws.
   */
  propagationHeaders(): Record<string, string> {
    const core = this.#core;
    const frame = currentFrame();
    if (core === undefined || frame?.tracer !== this) return {};
    try {
      const instance = frame.instance as Instance;
      const spanId = (frame.span as { readonly id: string } | undefined)?.id;
      const mode = instance.mode;
      const sampled = mode === undefined || (!mode.recordsNothing && mode.sink === undefined);
      return spanId === undefined && sampled ? {} : contextHeaders({ instanceId: instance.id, spanId, sampled });
      /* c8 ignore start: defensive, the ids are strings the tracer made or checked */
    } catch (error) {
      core.failed('propagationHeaders()', error);
      return {};
    }
    /* c8 ignore stop */
  }

  /**
   * Runs \`fn\` in the agent instance and under the span of a remote caller, read from the headers
   * its \`propagationHeaders()\` made: spans opened in \`fn\` are children of the caller's span. This
   * side never registers, starts or finishes that instance (the caller owns it). \`headers\`: a plain
   * object (\`IncomingMessage.headers\`), a \`Headers\`, or anything with such \`headers\` (an
   * \`IncomingMessage\`, a Fetch \`Request\`). Headers that are absent, malformed, oversized or from
   * another tracer are ignored (counted in \`remoteContextsIgnored\`, except absent ones): \`fn\` then
   * runs as it is, traced on its own. Returns what \`fn\` returns, unchanged; never throws its own.
   */
  continueFrom<T>(headers: PropagationSource, fn: () => T): T {
    const core = this.#core;
    if (core === undefined || this.#closed) return fn();
    let frame: ContextFrame | undefined;
    try {
      const context = readContext(headers);
      if (typeof context === 'string') core.contextIgnored(context);
      else {
        const instance = core.continueInstance(context);
        frame = { tracer: this, instance, span: context.spanId === undefined ? undefined : { id: context.spanId } };
      }
      /* c8 ignore start: defensive, readContext never throws */
    } catch (error) {
      core.failed('continueFrom()', error);
    }
    /* c8 ignore stop */
    if (frame === undefined) return fn();
    const instance = frame.instance as Instance;
    let value: T;
    try {
      value = contextStorage().run(frame, fn);
    } catch (error) {
      instance[settle](OUTCOME_ERROR, error);
      throw error;
    }
    return trackResult(value, instance, frame);
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
   * Resolves `true` once everything recorded before the call is delivered; `false` when something
   * was dropped since the previous flush (rejected, overflow...: see `stats().dropped`) or
   * `timeoutMs` passed first. Never rejects, never throws.
   */
  flush(options?: FlushOptions): Promise<boolean> {
    const core = this.#core;
    if (core === undefined) return Promise.resolve(true);
    runDeferred(); // span ends left by a recursion that ran out of stack, if their microtask could not be queued
    const timeoutMs = this.#timeoutMs(options);
    return this.#delivered(settleWithin(core, 'flush', (ms) => core.sink.flush(ms), timeoutMs));
  }

  /** `true` when the sink answered `true` and nothing was dropped since the last flush resolved. */
  async #delivered(answer: Promise<boolean>): Promise<boolean> {
    const seen = this.#dropsSeen;
    const settled = await answer;
    const drops = this.#drops();
    this.#dropsSeen = drops;
    return settled && drops === seen;
  }

  /** Operations the sink dropped, `after_shutdown` aside (a sink whose stats() fails: as last seen). */
  #drops(): number {
    let dropped: Readonly<Record<string, number>> | undefined;
    try {
      dropped = this.#core?.sink.stats?.().dropped;
    } catch {
      // Counted where stats() is asked for by the user; here it only means "no news".
      return this.#dropsSeen;
    }
    let total = 0;
    for (const [reason, count] of Object.entries(dropped ?? {})) if (reason !== 'after_shutdown') total += count;
    return total;
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
    this.#unwatch?.();
    runDeferred();
    core.cancelUnendedAtShutdown(); // before the sink's shutdown flush: these finishes go out with it
    core.finishDefaultInstance();
    return (this.#shutdown = this.#delivered(settleWithin(core, 'shutdown', (ms) => core.sink.shutdown(ms), timeoutMs)));
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
    const stats = { ...ZERO_DELIVERY, ...delivery, ...core.counters(), dropped };
    // What the tracer refused after shutdown counts as received too: the sum still adds up.
    if (delivery !== undefined) stats.operationsEnqueued += core.droppedAfterShutdown;
    return stats;
  }

  static {
    recorderOf = (tracer) => {
      const core = tracer.#core;
      if (core !== undefined && tracer.#closed) {
        core.droppedAfterShutdown++;
        return undefined;
      }
      return core;
    };
  }

  /** The flush/shutdown deadline; a bad option is reported (never thrown) and the default used. */
  #timeoutMs(options: FlushOptions | undefined): number {
    try {
      assertOptionsObject('flush/shutdown', options);
      if (options === undefined) return this.#shutdownTimeoutMs;
      rejectUnknownKeys('flush/shutdown', options, FLUSH_OPTION_KEYS);
      return options.timeoutMs === undefined ? this.#shutdownTimeoutMs : check.nonNegativeNumber('timeoutMs', options.timeoutMs);
    } catch (error) {
      this.#core?.failed('flush()/shutdown() options', error);
      return this.#shutdownTimeoutMs;
    }
  }
}

const ZERO_COUNTERS: TracerCounters = {
  spansStarted: 0,
  spansEnded: 0,
  instancesStarted: 0,
  instancesFinished: 0,
  payloadValidationFailures: 0,
  serializationFailures: 0,
  payloadsTruncated: 0,
  spansSkippedStackDepth: 0,
  spansAfterInstanceFinished: 0,
  spansCancelledAtShutdown: 0,
  instancesCancelledAtShutdown: 0,
  telemetryErrors: 0,
  instancesSampledOut: 0,
  instancesKeptForErrors: 0,
  instancesHoldOverflowed: 0,
  remoteContextsContinued: 0,
  remoteContextsIgnored: 0,
  redactionFailures: 0,
};

/** The valid part of `withInstance` options: each bad one is reported through `report` and left out. */
function checkInstanceOptions(options: InstanceOptions, report: (error: unknown) => void): InstanceOptions {
  const valid: { id?: string; purpose?: string } = {};
  const attempt = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  };
  attempt(() => assertOptionsObject('withInstance', options));
  if (typeof options !== 'object' || options === null) return valid;
  attempt(() => rejectUnknownKeys('withInstance', options, ['id', 'purpose']));
  if (options.id !== undefined) attempt(() => (valid.id = check.nonEmptyString('id', options.id)));
  if (options.purpose !== undefined) attempt(() => (valid.purpose = check.nonEmptyString('purpose', options.purpose)));
  return valid;
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
