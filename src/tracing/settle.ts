import { contextStorage, type ContextFrame } from './context.js';

/**
 * Ties the end of a span (or an agent instance) to the value its callback returned, without
 * changing that value: a sync value ends it at once; a promise or thenable when it settles; an
 * async iterable (a token stream) when its iteration ends, throws or is abandoned; a Node
 * `Readable` when it ends, fails or is destroyed; a WHATWG `ReadableStream` when it is read to
 * the end, errors or is cancelled, however it is read (it is handed on as a stream that reports
 * its end, see `observeWebStream`).
 */

/** The internal method through which a tracked value reports how it ended. */
export const settle = Symbol('prefactor-trace.settle');

export const OUTCOME_OK = 0;
export const OUTCOME_ERROR = 1;
/** Abandoned: an async iteration stopped early with `break` / `return()`, a stream cancelled or destroyed. */
export const OUTCOME_CANCELLED = 2;
export type Outcome = typeof OUTCOME_OK | typeof OUTCOME_ERROR | typeof OUTCOME_CANCELLED;

/** A span or instance: told once how its callback's value ended (later calls are ignored). */
export interface Settleable {
  [settle](outcome: Outcome, value: unknown): void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Thenable = { then: AnyFunction };
type AsyncIteratorLike = { next: AnyFunction; return?: AnyFunction; throw?: AnyFunction };
interface NodeReadableLike {
  readonly readableEnded: boolean;
  readonly destroyed: boolean;
  readonly errored?: unknown;
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * The spans (or instances) waiting for one value to end. A value returned by several callbacks
 * (a cached thenable, the same stream) is observed once, for all of them: re-wrapping it on every
 * return would grow a chain of wrappers without bound.
 */
class Waiters {
  readonly #targets: Settleable[];
  /** The context the first callback ran in: the source's own code (`next()`, `pull`) runs in it. */
  readonly frame: ContextFrame;

  constructor(targets: Settleable[], frame: ContextFrame) {
    this.#targets = targets;
    this.frame = frame;
  }

  add(target: Settleable): void {
    this.#targets.push(target);
  }

  /** The waiters so far, moved out: the ones a `then()` call is about to settle. */
  take(): Waiters {
    return new Waiters(this.#targets.splice(0), this.frame);
  }

  settle(outcome: Outcome, value: unknown): void {
    for (const target of this.#targets) target[settle](outcome, value);
  }
}

/** Observed thenables (by their installed `then`) and iterables: the waiters of each. */
const observed = new WeakMap<object, Waiters>();

/**
 * Returns what `withSpan` returns for `value`: the value itself, except a plain native promise,
 * which is replaced by the promise chained on it (same value, same error object), and a WHATWG
 * `ReadableStream`, replaced by one that reads it and reports its end. A chained promise rather than
 * the original keeps Node's unhandled-rejection report intact: observing the original would mark its
 * rejection as handled. Promise subclasses and other thenables are returned as they are, so their
 * extra members (`.withResponse()`...) stay usable.
 */
export function trackResult<T>(value: T, target: Settleable, frame: ContextFrame): T {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    try {
      const then = (value as Partial<Thenable>).then;
      if (typeof then === 'function') {
        if (!(value instanceof Promise)) return observeThenable(value as T & Thenable, then, target, frame);
        if (isPlainPromise(value)) {
          return value.then(
            (resolved) => settleFulfilled(target, frame, resolved, true),
            (error: unknown) => {
              target[settle](OUTCOME_ERROR, error);
              throw error;
            },
          ) as T;
        }
        followPromise(value, target, frame);
        return value;
      }
      const stream = observeStream(value, target, frame, true);
      if (stream !== undefined) return stream;
    } catch {
      // A throwing `then` getter, a Promise subclass whose `then` throws: end the span now.
      target[settle](OUTCOME_OK, undefined);
      return value;
    }
  }
  target[settle](OUTCOME_OK, value);
  return value;
}

/** Settles `target` once the promise `value` settles, without replacing it (the caller keeps `value`). */
function followPromise(value: Promise<unknown>, target: Settleable, frame: ContextFrame): void {
  value.then(
    (resolved) => settleFulfilled(target, frame, resolved, false),
    (error: unknown) => target[settle](OUTCOME_ERROR, error),
  );
}

// Used by withSpan only when the stack ran out in trackResult (see there).
/* c8 ignore start */
/**
 * `trackResult` for a value already handed back to the caller, which nothing can replace any
 * more: a promise is followed; anything else settles `target` now.
 */
export function trackHandedOn(value: unknown, target: Settleable, frame: ContextFrame): void {
  if (value instanceof Promise) followPromise(value, target, frame);
  else target[settle](OUTCOME_OK, value);
}
/* c8 ignore stop */

/**
 * For the integrations (LLM client wrappers): calls `onEnd` once, when `value` has ended as
 * `trackResult` sees it (a promise settled, a stream or async iterable consumed, failed or
 * abandoned), with the status a span would get and the value or error. Returns what to hand on in
 * place of `value` (a plain promise chained, a `ReadableStream` replaced; anything else itself).
 * Never throws.
 */
export function whenConsumed<T>(value: T, onEnd: (status: 'complete' | 'failed' | 'cancelled', detail: unknown) => void): T {
  let done = false;
  const target: Settleable = {
    [settle](outcome, detail) {
      if (done) return;
      done = true;
      try {
        onEnd(outcome === OUTCOME_OK ? 'complete' : outcome === OUTCOME_CANCELLED || isAbortError(detail) ? 'cancelled' : 'failed', detail);
      } catch {
        // The integration's own callback: telemetry must not break the stream's consumer.
      }
    },
  };
  return trackResult(value, target, contextStorage().getStore() ?? NO_FRAME);
}

const NO_FRAME: ContextFrame = { tracer: {}, instance: undefined, span: undefined };

function isPlainPromise(value: Promise<unknown>): boolean {
  if (Object.getPrototypeOf(value) !== Promise.prototype) return false;
  for (const _ in value) return false; // own members added to the promise: keep the object
  return true;
}

/**
 * A fulfilled value: a stream keeps the span open until it is consumed; anything else ends it.
 * Returns the value to hand on: when `replaceable` (the caller gets what this returns), a
 * `ReadableStream` is replaced by its observed copy.
 */
function settleFulfilled<V>(target: Settleable, frame: ContextFrame, value: V, replaceable: boolean): V {
  if (typeof value === 'object' && value !== null) {
    try {
      const stream = observeStream(value, target, frame, replaceable);
      if (stream !== undefined) return stream;
    } catch {
      // A hostile getter on the resolved value: ends the span as complete, below.
    }
  }
  target[settle](OUTCOME_OK, value);
  return value;
}

/**
 * Observes a stream-like value (WHATWG or Node stream, async iterable) until it ends. Returns what
 * to hand on, or `undefined` when `value` is not one (or cannot be observed: frozen, locked).
 */
function observeStream<V>(value: V, target: Settleable, frame: ContextFrame, replaceable: boolean): V | undefined {
  if (replaceable && typeof ReadableStream === 'function' && value instanceof ReadableStream) {
    return observeWebStream(value, new Waiters([target], frame)) as V | undefined;
  }
  if (isNodeReadable(value)) {
    observeNodeReadable(value, target);
    return value;
  }
  if (isAsyncIterable(value) && instrumentAsyncIterable(value, target, frame)) return value;
  return undefined;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

function isNodeReadable(value: unknown): value is NodeReadableLike {
  const stream = value as Partial<Record<string, unknown>>;
  return typeof stream.pipe === 'function' && typeof stream.once === 'function' && typeof stream.off === 'function' && typeof stream.readableEnded === 'boolean';
}

/**
 * A Node `Readable` (or Duplex): the span ends on `end` (complete), or on `close` before the end
 * (failed with `errored`, else cancelled: destroyed early). Only `end` and `close` listeners are
 * added: they change nothing in how the stream flows, and no `error` listener is added (one would
 * swallow an error the program does not handle). The stream is handed on as it is.
 */
function observeNodeReadable(stream: NodeReadableLike, target: Settleable): void {
  if (stream.readableEnded) return target[settle](OUTCOME_OK, undefined);
  if (stream.destroyed) {
    const error = stream.errored;
    return target[settle](error ? OUTCOME_ERROR : OUTCOME_CANCELLED, error);
  }
  const onEnd = (): void => {
    stream.off('close', onClose);
    target[settle](OUTCOME_OK, undefined);
  };
  const onClose = (): void => {
    stream.off('end', onEnd);
    const error = stream.errored;
    if (error) target[settle](OUTCOME_ERROR, error);
    else target[settle](stream.readableEnded ? OUTCOME_OK : OUTCOME_CANCELLED, undefined);
  };
  stream.once('end', onEnd);
  stream.once('close', onClose);
}

/**
 * A WHATWG `ReadableStream` is read by its consumer through internals no method patch can see
 * (`pipeTo`, `new Response(stream)`, `Readable.fromWeb`...), so it is handed on as a new stream
 * that reads the original on demand: the same chunks (the same objects, for a default stream),
 * the same errors, cancel reasons forwarded to the source, and the original's backpressure
 * (the copy holds nothing: `highWaterMark` 0, it reads only when its consumer asks). A byte
 * stream stays a byte stream (BYOB readers keep working). `undefined` when the stream is
 * already locked (read by someone else): the span then ends at once.
 */
function observeWebStream(stream: ReadableStream, waiters: Waiters): ReadableStream | undefined {
  if (stream.locked) return undefined;
  let bytes = false;
  try {
    (stream.getReader({ mode: 'byob' }) as ReadableStreamBYOBReader).releaseLock();
    bytes = true;
  } catch {
    // Not a byte stream.
  }
  const reader = stream.getReader();
  const storage = contextStorage();
  const frame = waiters.frame;
  const source = {
    pull(controller: ReadableStreamDefaultController<unknown> | ReadableByteStreamController): Promise<void> {
      // The source's own pull runs in the span's context, as the callback did.
      return storage.run(frame, () => reader.read()).then(
        (result) => {
          if (result.done) {
            controller.close();
            (controller as ReadableByteStreamController).byobRequest?.respond(0);
            waiters.settle(OUTCOME_OK, undefined);
          } else {
            controller.enqueue(result.value as never);
          }
        },
        (error: unknown) => {
          controller.error(error);
          waiters.settle(OUTCOME_ERROR, error);
        },
      );
    },
    cancel(reason: unknown): Promise<void> {
      waiters.settle(OUTCOME_CANCELLED, undefined);
      return reader.cancel(reason);
    },
  };
  return bytes ? new ReadableStream({ ...source, type: 'bytes' }, { highWaterMark: 0 }) : new ReadableStream(source, { highWaterMark: 0 });
}

/**
 * A thenable that is not a Promise may be lazy (a query builder runs when `then` is called), so it
 * is not called here: its `then` is replaced on the object itself by one that observes the
 * outcome. The span ends when someone awaits it. A frozen thenable is wrapped in a Proxy instead.
 * Returned again (a cached thenable), it is not wrapped again: the span joins the waiters of the
 * `then` already installed, which the next `then()` call settles.
 */
function observeThenable<T extends Thenable>(value: T, then: AnyFunction, target: Settleable, frame: ContextFrame): T {
  const already = observed.get(then);
  if (already !== undefined) {
    already.add(target);
    return value;
  }
  const waiters = new Waiters([target], frame);
  const observedThen = function (onFulfilled?: unknown, onRejected?: unknown): unknown {
    const settling = waiters.take();
    return then.call(
      value,
      (resolved: unknown) => {
        // The callback gets the value to hand on (a ReadableStream: its observed copy).
        const handedOn = settleAll(settling, resolved);
        return typeof onFulfilled === 'function' ? onFulfilled(handedOn) : handedOn;
      },
      (error: unknown) => {
        settling.settle(OUTCOME_ERROR, error);
        if (typeof onRejected === 'function') return onRejected(error);
        throw error;
      },
    );
  };
  observed.set(observedThen, waiters);
  if (Reflect.defineProperty(value, 'then', { configurable: true, writable: true, value: observedThen })) return value;
  // The proxy's own target is an empty object: the invariants of a frozen object do not bind it.
  return new Proxy({} as T, {
    get(_, key) {
      if (key === 'then') return observedThen;
      const member: unknown = Reflect.get(value, key);
      return typeof member === 'function' ? member.bind(value) : member;
    },
    has: (_, key) => key in value,
  });
}

/** Settles every waiter with a thenable's value; a stream value is observed once for all. */
function settleAll(waiters: Waiters, value: unknown): unknown {
  const first = { [settle]: (outcome: Outcome, detail: unknown) => waiters.settle(outcome, detail) };
  return settleFulfilled(first, waiters.frame, value, true);
}

/**
 * Makes the iteration of `iterable` end the span: on `done` (complete), on a throw (failed), on
 * `return()` (cancelled, forwarded to the source). Every `next()` runs in the span's context.
 * An async iterator (an async generator object) is patched in place; another async iterable gets
 * its `[Symbol.asyncIterator]` replaced on the object. Returns false when the object is frozen.
 * Returned again by another span, it is not patched again: that span joins its waiters.
 */
function instrumentAsyncIterable(iterable: AsyncIterable<unknown>, target: Settleable, frame: ContextFrame): boolean {
  const already = observed.get(iterable);
  if (already !== undefined) {
    already.add(target);
    return true;
  }
  const waiters = new Waiters([target], frame);
  try {
    if (typeof (iterable as Partial<AsyncIteratorLike>).next === 'function') {
      const methods = observedIteratorMethods(iterable as unknown as AsyncIteratorLike, waiters);
      Object.defineProperties(iterable, {
        next: { configurable: true, writable: true, value: methods.next },
        return: { configurable: true, writable: true, value: methods.return },
        throw: { configurable: true, writable: true, value: methods.throw },
      });
    } else {
      const open = iterable[Symbol.asyncIterator];
      Object.defineProperty(iterable, Symbol.asyncIterator, {
        configurable: true,
        writable: true,
        value: function (this: unknown) {
          const source = open.call(this) as unknown as AsyncIteratorLike;
          return { ...observedIteratorMethods(source, waiters), [Symbol.asyncIterator]() { return this; } };
        },
      });
    }
    observed.set(iterable, waiters);
    return true;
  } catch {
    return false; // frozen or sealed: the span ends now
  }
}

function observedIteratorMethods(source: AsyncIteratorLike, waiters: Waiters) {
  const { next, return: forwardReturn, throw: forwardThrow } = source;
  const frame = waiters.frame;
  // `endOutcome` ends the span when the step resolves `done` (or on any answer, for `return()`).
  const step = (method: AnyFunction, args: unknown[], endOutcome: Outcome): Promise<IteratorResult<unknown>> => {
    let pending: unknown;
    try {
      pending = contextStorage().run(frame, Reflect.apply, method, source, args);
    } catch (error) {
      waiters.settle(OUTCOME_ERROR, error);
      throw error;
    }
    return Promise.resolve(pending as IteratorResult<unknown>).then(
      (result) => {
        if (endOutcome === OUTCOME_CANCELLED) waiters.settle(OUTCOME_CANCELLED, undefined);
        else if (result?.done) waiters.settle(OUTCOME_OK, result.value);
        return result;
      },
      (error: unknown) => {
        waiters.settle(OUTCOME_ERROR, error);
        throw error;
      },
    );
  };
  return {
    next: (...args: unknown[]) => step(next, args, OUTCOME_OK),
    return: (...args: unknown[]) => {
      if (typeof forwardReturn === 'function') return step(forwardReturn, args, OUTCOME_CANCELLED);
      waiters.settle(OUTCOME_CANCELLED, undefined);
      return Promise.resolve({ done: true, value: args[0] });
    },
    throw: (...args: unknown[]) => {
      if (typeof forwardThrow === 'function') return step(forwardThrow, args, OUTCOME_OK);
      waiters.settle(OUTCOME_ERROR, args[0]);
      return Promise.reject(args[0]);
    },
  };
}

/** Whether an error means "stopped on purpose" (`error.name === 'AbortError'`): ends as cancelled. */
export function isAbortError(error: unknown): boolean {
  try {
    return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
  } catch {
    return false;
  }
}

/** The `error` member of a failed span's result payload. */
export function describeError(error: unknown): { type: string; message: string; stack?: string } {
  try {
    if (error instanceof Error) {
      return error.stack === undefined ? { type: error.name, message: error.message } : { type: error.name, message: error.message, stack: error.stack };
    }
    return { type: error === null ? 'null' : typeof error, message: String(error) };
  } catch (failure) {
    // Out of stack reading it (`stack` formats the trace; with source maps, that takes stack):
    // thrown, for the span's end to be done again with stack to spare (deferred.ts).
    // Out of stack at this very call only (see deferred.ts on coverage).
    /* c8 ignore next */
    if (failure instanceof RangeError && failure.message === STACK_OVERFLOW) throw failure;
    return { type: 'unknown', message: 'the thrown value could not be described' };
  }
}

/** V8's message for a stack overflow. */
const STACK_OVERFLOW = 'Maximum call stack size exceeded';
