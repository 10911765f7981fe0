import { createRequire } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { PrefactorConfigError } from '../../index.js';
import { AsyncLocalStorageOTelContextManager } from './context-manager.js';
import { PrefactorSpanProcessor, type PrefactorSpanProcessorOptions } from './processor.js';

/** What `registerPrefactorOTel` set up. */
export interface PrefactorOTelRegistration {
  readonly processor: PrefactorSpanProcessor;
  /** The global tracer provider it registered, with `processor` as its one span processor. */
  readonly provider: BasicTracerProvider;
  /** Whether it registered a context manager too (the program had none). */
  readonly contextManagerRegistered: boolean;
  /** Shuts the provider down (the processor removes its context bridge) and unregisters what was registered. */
  shutdown(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * For programs with no OpenTelemetry set-up of their own: registers a global tracer provider
 * (`@opentelemetry/sdk-trace-base`'s `BasicTracerProvider`) whose one span processor is a
 * `PrefactorSpanProcessor(options)`, and an `AsyncLocalStorage` context manager when none is
 * registered. Libraries that emit OTel spans (the Vercel AI SDK with `experimental_telemetry`,
 * OpenInference, OpenLLMetry) then reach Prefactor. Throws a `PrefactorConfigError` when a global
 * tracer provider is already registered (add a `PrefactorSpanProcessor` to it instead) or
 * `@opentelemetry/sdk-trace-base` is not installed.
 */
export function registerPrefactorOTel(options?: PrefactorSpanProcessorOptions): PrefactorOTelRegistration {
  let sdk: typeof import('@opentelemetry/sdk-trace-base');
  try {
    sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
    /* c8 ignore start -- only without the package installed, which the test suite cannot arrange in process (a CommonJS require bypasses ESM loader hooks) */
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PrefactorConfigError(`registerPrefactorOTel() needs @opentelemetry/sdk-trace-base (npm install @opentelemetry/sdk-trace-base): ${reason}`);
  }
  /* c8 ignore stop */
  const processor = new PrefactorSpanProcessor(options);
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [processor] });
  if (!trace.setGlobalTracerProvider(provider)) {
    void processor.shutdown();
    throw new PrefactorConfigError(
      'registerPrefactorOTel(): a global OpenTelemetry tracer provider is already registered; add `new PrefactorSpanProcessor()` to its span processors instead',
    );
  }
  const contextManagerRegistered = context.setGlobalContextManager(new AsyncLocalStorageOTelContextManager().enable());
  return {
    processor,
    provider,
    contextManagerRegistered,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      if (contextManagerRegistered) context.disable();
    },
  };
}
