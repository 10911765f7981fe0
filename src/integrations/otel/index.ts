// prefactor-trace/otel: OpenTelemetry spans into Prefactor, and withSpan in the OTel context. Re-exports only.
export { PrefactorSpanProcessor } from './processor.js';
export type { PrefactorSpanProcessorOptions } from './processor.js';
export { registerPrefactorOTel } from './register.js';
export type { PrefactorOTelRegistration } from './register.js';
export { isGenAiSpan, mapOTelSpan } from './mapping.js';
export type { OTelSpanMapping } from './mapping.js';
export { otelSpanTypes, OTelSpanPayload, OTelSpanResult } from './span-types.js';
export { AsyncLocalStorageOTelContextManager } from './context-manager.js';
