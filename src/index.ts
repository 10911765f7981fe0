// Public entry of prefactor-trace: re-exports only.
export { VERSION } from './version.js';
export { generateId, isPrefactorId, partitionOf } from './util/ids.js';
export { PrefactorConfigError } from './util/option-checks.js';
export type { Logger } from './util/logger.js';
export { Tracer } from './tracing/tracer.js';
export type { TracerStats, InstanceOptions, FlushOptions } from './tracing/tracer.js';
export type { TracerOptions, TracerHttpOptions } from './tracing/tracer-options.js';
export type { TracerCounters } from './tracing/recorder.js';
export { init, getTracer, withSpan, traced, currentSpan, currentInstance } from './tracing/global.js';
export type { TracedOptions } from './tracing/global.js';
export { defineSpanType, PayloadValidationError } from './tracing/span-types.js';
export type { SpanType, SpanTypeDefinition } from './tracing/span-types.js';
export type { Span } from './tracing/span.js';
export { InstanceTerminatedError } from './tracing/instance.js';
export type { Instance } from './tracing/instance.js';
export { InMemorySink } from './sinks/memory-sink.js';
export type { RecordedInstance, RecordedSpan, SpanNode } from './sinks/memory-sink.js';
export type { SpanSink, DeliveryStats, DropReason, InstanceRegistration, SpanStartEvent, SpanEndEvent } from './sinks/span-sink.js';
// HTTP client (src/http, src/endpoints) and wire models.
export { PrefactorHttpClient } from './api/client.js';
export type { CallOptions, RequestOptions, RetryInfo } from './http/transport.js';
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
export type { CreateAgentSpanParams } from './api/agent-spans.js';
export * from './models/index.js';
