/**
 * Internal API for bridges to another tracing system (the OpenTelemetry integration,
 * `src/integrations/otel/`). Not exported from the package root; nothing here is public.
 *
 * Two hooks, each costing nothing while no bridge uses it:
 * - `startExternalSpan` records a span that did not run through `withSpan` (an OpenTelemetry span):
 *   explicit start and end times, parent and instance, through the tracer's own recorder, so it
 *   goes to the same sink, counters and validation as any other span;
 * - `installContextBridge` lets `withSpan` ask the bridge for a nearer parent than the span of the
 *   current frame, and run its callback inside the bridge's own context (the OTel context with the
 *   new span active). With no bridge installed `withSpan` pays one `undefined` check.
 */
import type { FinishStatus } from '../models/index.js';
import type { Instance } from './instance.js';
import type { Recorder } from './recorder.js';
import { PayloadValidationError, type SpanType } from './span-types.js';
import type { Span } from './span.js';
import { recorderOf, type Tracer } from './tracer.js';

export { currentFrame, type ContextFrame } from './context.js';

export { contextBridge, installContextBridge, type ContextBridge } from './context-bridge.js';

/** What `startExternalSpan` records. */
export interface ExternalSpanStart {
  /** A span type (its schemas validate the payload and result) or a span type name. */
  readonly spanType: SpanType | string;
  readonly payload: unknown;
  /** The instance, or `undefined` for the tracer's default instance. */
  readonly instance: Instance | undefined;
  readonly parentId: string | undefined;
  /** Start time, milliseconds since the epoch (an integer). */
  readonly startedAtMs: number;
}

/** A span recorded from outside `withSpan`: ends once, with its own end time. */
export class ExternalSpan {
  readonly #recorder: Recorder;
  readonly #span: Span;
  readonly #type: SpanType | undefined;
  /** The instance the span belongs to. */
  readonly instance: Instance;
  #ended = false;

  constructor(recorder: Recorder, span: Span, instance: Instance, type: SpanType | undefined) {
    this.#recorder = recorder;
    this.#span = span;
    this.instance = instance;
    this.#type = type;
  }

  /** The Prefactor span id. */
  get id(): string {
    return this.#span.id;
  }

  /**
   * Ends the span at `finishedAtMs` (an integer, ms since the epoch) with `result`; `isError` says
   * it is an error payload (not checked against the result schema). Later calls are ignored.
   */
  end(status: FinishStatus, result: unknown, isError: boolean, finishedAtMs: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#recorder.endSpan(this.#span, this.instance, this.#type, status, result, isError, finishedAtMs);
  }
}

/**
 * Records the start of a span for `tracer`: `undefined` when the tracer is disabled or shut down
 * (counted as `dropped.after_shutdown`), the instance has finished, or the payload failed
 * validation with `validatePayloads: 'throw'` (counted). Never throws.
 */
export function startExternalSpan(tracer: Tracer, start: ExternalSpanStart): ExternalSpan | undefined {
  const recorder = recorderOf(tracer);
  if (recorder === undefined) return undefined;
  try {
    const instance = start.instance ?? recorder.defaultInstance();
    const type = typeof start.spanType === 'string' ? undefined : start.spanType;
    const name = typeof start.spanType === 'string' ? start.spanType : start.spanType.name;
    const span = recorder.startSpan(type, name, start.payload, instance, start.parentId, start.startedAtMs);
    return span === undefined ? undefined : new ExternalSpan(recorder, span, instance, type);
  } catch (error) {
    // A PayloadValidationError was counted and logged by the recorder: the span is not recorded.
    if (!(error instanceof PayloadValidationError)) recorder.failed('recording an external span', error);
    return undefined;
  }
}

/** Counts and logs a failure of a bridge (a user's filter or map that threw) in `tracer`'s stats. */
export function bridgeFailed(tracer: Tracer, where: string, error: unknown): void {
  recorderOf(tracer)?.failed(where, error);
}
