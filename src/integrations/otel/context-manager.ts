import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * An OTel context manager on `AsyncLocalStorage`, for `registerPrefactorOTel` when the program has
 * none: the active context follows async calls (awaits, timers, callbacks) like Prefactor's own.
 * `bind` binds functions only (event emitters are returned as they are).
 */
export class AsyncLocalStorageOTelContextManager implements ContextManager {
  #storage: AsyncLocalStorage<Context> | undefined;

  active(): Context {
    return this.#storage?.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const storage = this.#storage;
    if (storage === undefined) return fn.call(thisArg, ...args);
    return storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => Reflect.apply(target, this, args));
    } as T;
  }

  enable(): this {
    this.#storage ??= new AsyncLocalStorage<Context>();
    return this;
  }

  disable(): this {
    this.#storage?.disable();
    this.#storage = undefined;
    return this;
  }
}
