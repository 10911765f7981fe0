import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the current async context knows about tracing: the tracer that opened it, the agent
 * instance and the innermost open span. A frame is immutable; opening a span runs the callback
 * under a new frame (`storage.run`), never `enterWith`, so a context can only be narrowed inside
 * the callback and is restored when it returns.
 */
export interface ContextFrame {
  /** The tracer that created the frame. Other tracers ignore its instance and span. */
  readonly tracer: object;
  /** The agent instance of the frame (an `Instance` of the tracer). */
  readonly instance: unknown;
  /** The innermost open span (a `Span` of the tracer), or `undefined` at an instance's top level. */
  readonly span: unknown;
}

const STORAGE_KEY = Symbol.for('prefactor-trace.context');

type GlobalWithStorage = typeof globalThis & { [STORAGE_KEY]?: AsyncLocalStorage<ContextFrame | undefined> };

let storage: AsyncLocalStorage<ContextFrame | undefined> | undefined;

/**
 * The one AsyncLocalStorage of the process. Kept on `globalThis` under a `Symbol.for` key, and
 * created on first use (a disabled tracer never creates it), so two copies of the package (say, a
 * dependency bundling its own) see the same context.
 */
export function contextStorage(): AsyncLocalStorage<ContextFrame | undefined> {
  if (storage === undefined) {
    const holder = globalThis as GlobalWithStorage;
    storage = holder[STORAGE_KEY] ??= new AsyncLocalStorage<ContextFrame | undefined>();
  }
  return storage;
}

/** The frame of the current async context, or `undefined` outside any traced code. */
export function currentFrame(): ContextFrame | undefined {
  return (storage ?? contextStorage()).getStore();
}

/** `fn` bound to the current context: wherever it is called from, it runs in this one. */
export function bindToContext<F extends (...args: never[]) => unknown>(fn: F): F {
  const frame = currentFrame();
  const store = contextStorage();
  return function (this: unknown, ...args: unknown[]) {
    return store.run(frame, Reflect.apply, fn, this, args);
  } as unknown as F;
}

type Listener = (...args: unknown[]) => unknown;
type EmitterLike = Record<string, unknown>;

const ADD_METHODS = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener'] as const;
const REMOVE_METHODS = ['off', 'removeListener'] as const;
const BOUND = Symbol('prefactor-trace.bound-emitter');

/**
 * Makes every listener added to `emitter` from now on run in the context where it was added
 * (`emitter.on(...)` inside a span: the listener's spans are children of that span). Without it,
 * a listener runs in the context of whoever calls `emit()`. `off`/`removeListener` with the
 * original listener still work. Returns `emitter`.
 */
export function bindEmitterToContext<E extends object>(emitter: E): E {
  const target = emitter as EmitterLike & { [BOUND]?: true };
  if (target[BOUND]) return emitter;
  const store = contextStorage();
  const bound = new Map<unknown, WeakMap<Listener, Listener>>();
  for (const method of ADD_METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, event: unknown, listener: unknown, ...rest: unknown[]) {
      if (typeof listener !== 'function') return Reflect.apply(original, this, [event, listener, ...rest]);
      const frame = store.getStore();
      const inContext = function (this: unknown, ...args: unknown[]) {
        return store.run(frame, Reflect.apply, listener, this, args);
      };
      let listeners = bound.get(event);
      if (listeners === undefined) bound.set(event, (listeners = new WeakMap()));
      listeners.set(listener as Listener, inContext);
      return Reflect.apply(original, this, [event, inContext, ...rest]);
    };
  }
  for (const method of REMOVE_METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, event: unknown, listener: Listener) {
      return Reflect.apply(original, this, [event, bound.get(event)?.get(listener) ?? listener]);
    };
  }
  Object.defineProperty(target, BOUND, { value: true });
  return emitter;
}
