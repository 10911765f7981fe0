import { randomUUID } from 'node:crypto';
import { TraceFlags, context, isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import { currentFrame, type ContextBridge } from '../../tracing/bridge.js';
import type { Instance, Span, Tracer } from '../../index.js';
import { positionOf, setPosition } from './positions.js';

/**
 * The bridge from `withSpan` to the OTel context (installed by `PrefactorSpanProcessor`):
 * - inside `fn`, the active OTel span is a stand-in for the Prefactor span (a non-recording span
 *   with its own span id, in the trace of the OTel span active outside, sampled unless that one was
 *   not): spans that OTel instrumentations open inside are its children, in OTel and in Prefactor;
 * - `withSpan` called where an OTel span is active nests under that span's Prefactor position, when
 *   it is in the same instance.
 * With no OTel context manager registered, OTel's context is always empty and both are no-ops.
 */
export const otelContextBridge: ContextBridge = {
  parentId(instance: Instance, frameParentId: string | undefined): string | undefined {
    const active = trace.getSpan(context.active());
    if (active === undefined) return frameParentId;
    const position = positionOf(active);
    return position !== undefined && position.instance === instance ? position.spanId : frameParentId;
  },

  run<T>(span: Span, instance: Instance, fn: (span: Span) => T): T {
    const outside = context.active();
    const standIn = trace.wrapSpanContext(new StandInContext(trace.getSpanContext(outside)));
    // withSpan calls run() inside the frame of the new span: its tracer is the frame's.
    setPosition(standIn, { tracer: currentFrame()!.tracer as Tracer, instance, spanId: span.id });
    return context.with(trace.setSpan(outside, standIn), fn, undefined, span);
  },
};

/**
 * The span context of a withSpan stand-in: in the trace of the OTel span active outside (sampled
 * unless that one was not), else in a new sampled trace. Its ids are drawn when first read (when an
 * OTel span opens inside), so a withSpan with no OTel span inside pays nothing for them.
 */
class StandInContext implements SpanContext {
  readonly traceFlags: number;
  readonly isRemote = false;
  #parent: SpanContext | undefined;
  #traceId: string | undefined;
  #spanId: string | undefined;

  constructor(parent: SpanContext | undefined) {
    // Another stand-in is valid by construction: checking it would draw its ids.
    this.#parent = parent instanceof StandInContext || (parent !== undefined && isSpanContextValid(parent)) ? parent : undefined;
    this.traceFlags = this.#parent?.traceFlags ?? TraceFlags.SAMPLED;
  }

  get traceId(): string {
    return (this.#traceId ??= this.#parent?.traceId ?? randomHex(32));
  }

  get spanId(): string {
    return (this.#spanId ??= randomHex(16));
  }
}

/** `length` random hex digits (at most 32), never all zeros (a v4 UUID has a fixed `4`). */
function randomHex(length: number): string {
  const uuid = randomUUID();
  const hex = uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);
  return hex.slice(0, length);
}
