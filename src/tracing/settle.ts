import { contextStorage, type ContextFrame } from './context.js';

/**
 * Ties the end of a span (or an agent instance) to the value its callback returned, without
 * changing that value: a sync value ends it at once; a promise or thenable when it settles; an
 * async iterable (a token stream) when its iteration ends, throws or is abandoned.
 */

/** The internal method through which a tracked value reports how it ended. */
export const settle = Symbol('prefactor-trace.settle');

export const OUTCOME_OK = 0;
export const OUTCOME_ERROR = 1;
/** Abandoned: an async iteration stopped early with `break` / `return()`. */
export const OUTCOME_CANCELLED = 2;
export type Outcome = typeof OUTCOME_OK | typeof OUTCOME_ERROR | typeof OUTCOME_CANCELLED;

/** A span or instance: told once how its callback's value ended (later calls are ignored). */
export interface Settleable {
  [settle](outcome: Outcome, value: unknown): void;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Thenable = { then: AnyFunction };
type AsyncIteratorLike = { next: AnyFunction; return?: AnyFunction; throw?: AnyFunction };

/**
 * Returns what `withSpan` returns for `value`: the value itself, except a plain native promise,
 * which is replaced by the promise chained on it (same value, same error object). A chained promise
 * rather than the original keeps Node's unhandled-rejection report intact: observing the original
 * would mark its rejection as handled. Promise subclasses and other thenables are returned as
 * they are, so their extra members (`.withResponse()`...) stay usable.
 */
export function trackResult<T>(value: T, target: Settleable, frame: ContextFrame): T {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    try {
      const then = (value as Partial<Thenable>).then;
      if (typeof then === 'function') {
        if (!(value instanceof Promise)) return observeThenable(value as T & Thenable, then, target, frame);
        if (isPlainPromise(value)) {
          return value.then(
            (resolved) => settleFulfilled(target, frame, resolved),
            (error: unknown) => {
              target[settle](OUTCOME_ERROR, error);
              throw error;
            },
          ) as T;
        }
        value.then(
          (resolved) => settleFulfilled(target, frame, resolved),
          (error: unknown) => target[settle](OUTCOME_ERROR, error),
        );
        return value;
      }
      if (isAsyncIterable(value) && instrumentAsyncIterable(value, target, frame)) return value;
    } catch {
      // A throwing `then` getter, a Promise subclass whose `then` throws: end the span now.
      target[settle](OUTCOME_OK, undefined);
      return value;
    }
  }
  target[settle](OUTCOME_OK, value);
  return value;
}

function isPlainPromise(value: Promise<unknown>): boolean {
  if (Object.getPrototypeOf(value) !== Promise.prototype) return false;
  for (const _ in value) return false; // own members added to the promise: keep the object
  return true;
}

/** A fulfilled value: a stream keeps the span open until it is consumed; anything else ends it. */
function settleFulfilled<V>(target: Settleable, frame: ContextFrame, value: V): V {
  if (!(isAsyncIterable(value) && instrumentAsyncIterable(value, target, frame))) target[settle](OUTCOME_OK, value);
  return value;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

/**
 * A thenable that is not a Promise may be lazy (a query builder runs when `then` is called), so it
 * is not called here: its `then` is replaced on the object itself by one that observes the
 * outcome. The span ends when someone awaits it. A frozen thenable is wrapped in a Proxy instead.
 */
function observeThenable<T extends Thenable>(value: T, then: AnyFunction, target: Settleable, frame: ContextFrame): T {
  const observedThen = function (onFulfilled?: unknown, onRejected?: unknown): unknown {
    return then.call(
      value,
      (resolved: unknown) => {
        settleFulfilled(target, frame, resolved);
        return typeof onFulfilled === 'function' ? onFulfilled(resolved) : resolved;
      },
      (error: unknown) => {
        target[settle](OUTCOME_ERROR, error);
        if (typeof onRejected === 'function') return onRejected(error);
        throw error;
      },
    );
  };
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

/**
 * Makes the iteration of `iterable` end the span: on `done` (complete), on a throw (failed), on
 * `return()` (cancelled, forwarded to the source). Every `next()` runs in the span's context.
 * An async iterator (an async generator object) is patched in place; another async iterable gets
 * its `[Symbol.asyncIterator]` replaced on the object. Returns false when the object is frozen.
 */
function instrumentAsyncIterable(iterable: AsyncIterable<unknown>, target: Settleable, frame: ContextFrame): boolean {
  try {
    if (typeof (iterable as Partial<AsyncIteratorLike>).next === 'function') {
      const methods = observedIteratorMethods(iterable as unknown as AsyncIteratorLike, target, frame);
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
          return { ...observedIteratorMethods(source, target, frame), [Symbol.asyncIterator]() { return this; } };
        },
      });
    }
    return true;
  } catch {
    return false; // frozen or sealed: the span ends now
  }
}

function observedIteratorMethods(source: AsyncIteratorLike, target: Settleable, frame: ContextFrame) {
  const { next, return: forwardReturn, throw: forwardThrow } = source;
  // `endOutcome` ends the span when the step resolves `done` (or on any answer, for `return()`).
  const step = (method: AnyFunction, args: unknown[], endOutcome: Outcome): Promise<IteratorResult<unknown>> => {
    let pending: unknown;
    try {
      pending = contextStorage().run(frame, Reflect.apply, method, source, args);
    } catch (error) {
      target[settle](OUTCOME_ERROR, error);
      throw error;
    }
    return Promise.resolve(pending as IteratorResult<unknown>).then(
      (result) => {
        if (endOutcome === OUTCOME_CANCELLED) target[settle](OUTCOME_CANCELLED, undefined);
        else if (result?.done) target[settle](OUTCOME_OK, result.value);
        return result;
      },
      (error: unknown) => {
        target[settle](OUTCOME_ERROR, error);
        throw error;
      },
    );
  };
  return {
    next: (...args: unknown[]) => step(next, args, OUTCOME_OK),
    return: (...args: unknown[]) => {
      if (typeof forwardReturn === 'function') return step(forwardReturn, args, OUTCOME_CANCELLED);
      target[settle](OUTCOME_CANCELLED, undefined);
      return Promise.resolve({ done: true, value: args[0] });
    },
    throw: (...args: unknown[]) => {
      if (typeof forwardThrow === 'function') return step(forwardThrow, args, OUTCOME_OK);
      target[settle](OUTCOME_ERROR, args[0]);
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
  } catch {
    return { type: 'unknown', message: 'the thrown value could not be described' };
  }
}
