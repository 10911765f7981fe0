// Public entry of prefactor-trace: the tracing API only, re-exports only. The HTTP client and the wire
// models are at `prefactor-trace/api`, the local server at `prefactor-trace/server`.
export { Tracer } from './tracing/tracer.js';
export type { TracerStats, InstanceOptions, FlushOptions } from './tracing/tracer.js';
export type { TracerOptions } from './tracing/tracer-options.js';
export type { TracerCounters } from './tracing/recorder.js';
export {
  init,
  getTracer,
  withSpan,
  withInstance,
  traced,
  flush,
  shutdown,
  bind,
  bindEmitter,
  currentSpan,
  currentInstance,
} from './tracing/global.js';
export type { TracedOptions } from './tracing/global.js';
export { defineSpanType } from './tracing/span-types.js';
export type { SpanType, SpanTypeDefinition } from './tracing/span-types.js';
export type { Span } from './tracing/span.js';
export type { Instance } from './tracing/instance.js';
export { InMemorySink } from './sinks/memory-sink.js';
export type { RecordedInstance, RecordedSpan, SpanNode } from './sinks/memory-sink.js';
export type { SpanSink, DeliveryStats, DropReason, InstanceRegistration, SpanStartEvent, SpanEndEvent } from './sinks/span-sink.js';
export type { Logger } from './util/logger.js';
// The SDK's errors (the HTTP client's are at `prefactor-trace/api`).
export { PrefactorError, PrefactorConfigError } from './errors.js';
export type { PrefactorErrorCode } from './errors.js';
export { PayloadValidationError } from './tracing/span-types.js';
export { InstanceTerminatedError } from './tracing/instance.js';
// Propagation across processes (issue 16), sampling.
export { propagationHeaders, continueFrom } from './tracing/global.js';
export type { PropagationSource, HeadersLike } from './tracing/propagation.js';
export { tracedFetch, wrapFetch, withPropagationHeaders } from './propagation/fetch.js';
export { continueRequests } from './propagation/http.js';
export type { Sampler, SamplingInfo } from './tracing/sampling.js';
export type { SamplingOptions } from './tracing/sampling-options.js';
export { DEFAULT_REDACT_KEYS } from './tracing/redaction.js';
export type { RedactPayload, RedactContext } from './tracing/redaction.js';
export type { RedactionOptions } from './tracing/redaction-options.js';
