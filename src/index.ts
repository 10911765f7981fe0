// Public entry of prefactor-trace: re-exports only.
export { VERSION } from './version.js';
export { generateId, isPrefactorId, partitionOf } from './ids.js';
export { PrefactorConfigError } from './options.js';
export type { Logger } from './logger.js';
export { Tracer } from './tracer.js';
export type { TracerStats, InstanceOptions, FlushOptions } from './tracer.js';
export type { TracerOptions, TracerHttpOptions } from './tracer-options.js';
export type { TracerCounters } from './recorder.js';
export { init, getTracer, withSpan, traced, currentSpan, currentInstance } from './global.js';
export type { TracedOptions } from './global.js';
export { defineSpanType, PayloadValidationError } from './span-types.js';
export type { SpanType, SpanTypeDefinition } from './span-types.js';
export type { Span } from './span.js';
export { InstanceTerminatedError } from './instance.js';
export type { Instance } from './instance.js';
export { InMemorySink } from './sinks/memory-sink.js';
export type { RecordedInstance, RecordedSpan, SpanNode } from './sinks/memory-sink.js';
export type { SpanSink, DeliveryStats, DropReason, InstanceRegistration, SpanStartEvent, SpanEndEvent } from './sink.js';
// HTTP client (src/http, src/endpoints) and wire models.
export { PrefactorHttpClient } from './http/client.js';
export type { CallOptions, RequestOptions, RetryInfo } from './http/client.js';
export type { HttpClientConfig } from './http/config.js';
export {
  PrefactorHttpError,
  PrefactorApiError,
  PrefactorAuthError,
  PrefactorNotFoundError,
  PrefactorValidationError,
  PrefactorRetryExhaustedError,
  PrefactorClientError,
  PrefactorResponseContractError,
  isTransientError,
} from './http/errors.js';
export type { CreateAgentSpanParams } from './endpoints/agent-spans.js';
export * from './models/index.js';
