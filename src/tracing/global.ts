import { errorText } from '../util/error-text.js';
import { bindEmitterToContext, bindToContext, currentFrame } from './context.js';
import { NOOP_INSTANCE, type Instance } from './instance.js';
import type { SpanType } from './span-types.js';
import { NOOP_SPAN, Span } from './span.js';
import { Tracer, type FlushOptions, type InstanceOptions } from './tracer.js';
import type { TracerOptions } from './tracer-options.js';
import type { PropagationSource } from './propagation.js';

// On globalThis, like the context: two copies of the package share the global tracer.
const TRACER_KEY = Symbol.for('prefactor-trace.tracer');
type GlobalWithTracer = typeof globalThis & { [TRACER_KEY]?: Tracer };
const holder = globalThis as GlobalWithTracer;

let warnedNoTracer = false;

/**
 * Creates a tracer and makes it the global one, used by the module-level `withSpan`, `traced`,
 * `currentSpan` and `currentInstance`. Throws a `PrefactorConfigError` for bad options. A second
 * call replaces the global tracer (shut the first one down yourself).
 */
export function init(options?: TracerOptions): Tracer {
  const tracer = new Tracer(options);
  holder[TRACER_KEY] = tracer;
  return tracer;
}

/** The global tracer made by `init()`, or `undefined`. */
export function getTracer(): Tracer | undefined {
  return holder[TRACER_KEY];
}

/** The tracer of the current context, else the global one. */
function activeTracer(): Tracer | undefined {
  return (currentFrame()?.tracer as Tracer | undefined) ?? holder[TRACER_KEY];
}

function warnNoTracer(call: string): void {
  if (!warnedNoTracer) {
    warnedNoTracer = true;
    process.emitWarning(`prefactor-trace: ${call}() was called before init(); the call runs untraced. Call init() first, or use tracer.${call}().`, {
      code: 'PREFACTOR_NO_TRACER',
    });
  }
}

function untraced<T>(fn: (span: Span) => T): T {
  warnNoTracer('withSpan');
  return fn(NOOP_SPAN);
}

/**
 * `tracer.withSpan` on the tracer of the current context, else the global one (`init()`); with no
 * tracer at all, runs `fn` untraced and warns once.
 */
export function withSpan<Params, Result, T>(spanType: SpanType<Params, Result>, payload: NoInfer<Params>, fn: (span: Span<Result>) => T): T;
export function withSpan<T>(name: string, payload: unknown, fn: (span: Span) => T): T;
export function withSpan<T>(name: string, fn: (span: Span) => T): T;
export function withSpan<T>(spanType: SpanType | string, payload: unknown, fn?: (span: Span) => T): T {
  const tracer = activeTracer();
  if (tracer === undefined) return untraced(fn ?? (payload as (span: Span) => T));
  return tracer.withSpan(spanType as string, payload, fn!);
}

/** Options of `traced`. */
export interface TracedOptions<Params, Args extends unknown[]> {
  /**
   * Makes the span's payload from the call's arguments.
   * @default (...args) => ({ args })
   */
  readonly payload?: (...args: Args) => Params;
}

/**
 * `fn` wrapped so that every call runs in a span of `spanType` (see `withSpan`), with the payload
 * made by `options.payload` from the arguments. The tracer is looked up at each call.
 */
export function traced<Params, Result, Args extends unknown[], T, This = unknown>(
  spanType: SpanType<Params, Result> | string,
  fn: (this: This, ...args: Args) => T,
  options: TracedOptions<NoInfer<Params>, Args> = {},
): (this: This, ...args: Args) => T {
  const makePayload = options.payload;
  return function (this: This, ...args: Args): T {
    let payload: unknown;
    try {
      payload = makePayload === undefined ? { args } : makePayload(...args);
    } catch (error) {
      payload = { _prefactor_error: `payload() threw: ${errorText(error, 'message')}` };
    }
    return withSpan(spanType as string, payload, () => fn.apply(this, args));
  };
}

/** The span open in the current context (any tracer's), or `undefined`. Never throws. */
export function currentSpan(): Span | undefined {
  const span = currentFrame()?.span;
  // Under `continueFrom` the frame's span may be the remote caller's id, which is no Span here.
  return span instanceof Span ? span : undefined;
}

/** The agent instance of the current context (any tracer's), or `undefined`. Never throws. */
export function currentInstance(): Instance | undefined {
  return currentFrame()?.instance as Instance | undefined;
}

/**
 * `tracer.withInstance` on the tracer of the current context, else the global one (`init()`); with no
 * tracer at all, runs `fn` untraced (with an instance whose `id` is `''`) and warns once.
 */
export function withInstance<T>(fn: (instance: Instance) => T): T;
export function withInstance<T>(options: InstanceOptions, fn: (instance: Instance) => T): T;
export function withInstance<T>(options: InstanceOptions | ((instance: Instance) => T), fn?: (instance: Instance) => T): T {
  const tracer = activeTracer();
  if (tracer !== undefined) return tracer.withInstance(options as InstanceOptions, fn!);
  warnNoTracer('withInstance');
  return (typeof options === 'function' ? options : fn!)(NOOP_INSTANCE);
}

/** `tracer.flush` on the tracer of the current context, else the global one; `true` at once without one. Never rejects. */
export function flush(options?: FlushOptions): Promise<boolean> {
  return activeTracer()?.flush(options) ?? Promise.resolve(true);
}

/** `tracer.shutdown` on the tracer of the current context, else the global one; `true` at once without one. Never rejects. */
export function shutdown(options?: FlushOptions): Promise<boolean> {
  return activeTracer()?.shutdown(options) ?? Promise.resolve(true);
}

/** `fn` bound to the current context: spans it opens are children of the current span, wherever it is called. */
export function bind<F extends (...args: never[]) => unknown>(fn: F): F {
  return bindToContext(fn);
}

/**
 * Makes listeners added to `emitter` from now on run in the context where they were added (see
 * `tracer.bindEmitter`). Returns `emitter`.
 */
export function bindEmitter<E extends object>(emitter: E): E {
  return bindEmitterToContext(emitter);
}

/**
 * `tracer.propagationHeaders()` of the tracer of the current context, else the global one: the
 * headers that carry the current span to another process. `{}` with no tracer or outside any span.
 */
export function propagationHeaders(): Record<string, string> {
  return activeTracer()?.propagationHeaders() ?? {};
}

/**
 * `tracer.continueFrom(headers, fn)` on the global tracer (`init()`): runs `fn` under the remote
 * span that `headers` carry. With no tracer, runs `fn` as it is.
 */
export function continueFrom<T>(headers: PropagationSource, fn: () => T): T {
  const tracer = holder[TRACER_KEY];
  return tracer === undefined ? fn() : tracer.continueFrom(headers, fn);
}
