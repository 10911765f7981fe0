import { SpanStatusCode, trace, type Context, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span as OTelSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getTracer, type Instance, type Span, type Tracer } from '../../index.js';
import { bridgeFailed, currentFrame, installContextBridge, startExternalSpan, type ExternalSpan } from '../../tracing/bridge.js';
import { assertOptionsObject, invalidOption, rejectUnknownKeys } from '../../util/option-checks.js';
import { otelContextBridge } from './context-bridge.js';
import { isGenAiSpan, mapSpan, type OTelSpanMapping } from './mapping.js';
import { positionOf, setPosition, type Position } from './positions.js';

/** Options of `new PrefactorSpanProcessor(options)`. Every one is optional. */
export interface PrefactorSpanProcessorOptions {
  /**
   * The tracer OTel spans are recorded with. Spans that start inside another tracer's instance are
   * then left alone.
   * @default the tracer of the context the OTel span starts in, else the global one (`init()`)
   */
  readonly tracer?: Tracer;
  /**
   * Which OTel spans become Prefactor spans: `'all'`, or a function of the span as it starts,
   * called synchronously where it starts (so `currentInstance()` tells whether it is inside one).
   * @default AI spans (`isGenAiSpan`: `gen_ai.*`, `ai.*`, `llm.*`, OpenInference, OpenLLMetry
   * attributes), every span that starts inside a Prefactor instance, and every child of a span
   * that did
   */
  readonly filter?: 'all' | ((span: ReadableSpan) => boolean);
  /**
   * Maps an OTel span to a Prefactor span type, payload and result, or drops it (`null`). Called
   * twice per span: as it starts (`span.ended` false; `spanType` and `payload` are used) and as it
   * ends (`span.ended` true; `result` is used). A failed span's result gets an `error` field.
   * @default `mapOTelSpan`: `otel:<operation>` span types, model, messages, tool, usage...
   */
  readonly map?: (span: ReadableSpan) => OTelSpanMapping | null | undefined;
  /**
   * Bridge `withSpan` and the OTel context: inside `fn` the Prefactor span is the active OTel span
   * (OTel spans opened inside are its children), and `withSpan` where an OTel span is active nests
   * under it. Needs an OTel context manager (`registerPrefactorOTel` registers one when there is none).
   * @default true
   */
  readonly bridgeContext?: boolean;
}

const OPTION_KEYS = ['tracer', 'filter', 'map', 'bridgeContext'] as const;

/** A recorded OTel span, until it ends. */
interface OpenSpan {
  readonly external: ExternalSpan;
  readonly tracer: Tracer;
  /** With the default mapping: the attribute keys the payload had, left out of the result's `attributes`. */
  readonly known: ReadonlySet<string> | undefined;
}

/**
 * An OpenTelemetry span processor (`@opentelemetry/sdk-trace-base`) that records OTel spans as
 * Prefactor spans: in the instance current where each one starts, under its nearest Prefactor
 * ancestor (a `withSpan` span or a recorded OTel span), with its own start and end times. They go
 * through the tracer's sink (the delivery engine: batched, bounded, counted in `stats()`). With
 * no tracer at all (no `tracer` option, no `init()`, outside any instance), a span costs one
 * context lookup.
 */
export class PrefactorSpanProcessor implements SpanProcessor {
  readonly #tracer: Tracer | undefined;
  readonly #filter: 'all' | ((span: ReadableSpan) => boolean) | undefined;
  readonly #map: ((span: ReadableSpan) => OTelSpanMapping | null | undefined) | undefined;
  // The key under which a recorded OTel span carries its OpenSpan until it ends (a property, not a
  // WeakMap entry: see positions.ts). One key per processor.
  readonly #open = Symbol('prefactor-trace.otel-open');
  #uninstall: (() => void) | undefined;

  constructor(options: PrefactorSpanProcessorOptions = {}) {
    assertOptionsObject('PrefactorSpanProcessor', options);
    rejectUnknownKeys('PrefactorSpanProcessor', options, OPTION_KEYS);
    const { tracer, filter, map, bridgeContext } = options;
    if (tracer !== undefined && (typeof tracer !== 'object' || tracer === null || typeof tracer.withSpan !== 'function')) {
      invalidOption('tracer', 'a Tracer', tracer);
    }
    if (filter !== undefined && filter !== 'all' && typeof filter !== 'function') invalidOption('filter', "'all' or a function", filter);
    if (map !== undefined && typeof map !== 'function') invalidOption('map', 'a function', map);
    if (bridgeContext !== undefined && typeof bridgeContext !== 'boolean') invalidOption('bridgeContext', 'a boolean', bridgeContext);
    this.#tracer = tracer;
    this.#filter = filter;
    this.#map = map;
    if (bridgeContext !== false) this.#uninstall = installContextBridge(otelContextBridge);
  }

  onStart(span: OTelSpan, parentContext: Context): void {
    const frame = currentFrame();
    const parentSpan = trace.getSpan(parentContext);
    let parent = parentSpan === undefined ? undefined : positionOf(parentSpan);
    // The cheap way out: no tracer anywhere.
    const tracer = (this.#tracer ?? frame?.tracer ?? parent?.tracer ?? getTracer()) as Tracer | undefined;
    if (tracer === undefined || !tracer.enabled) return;
    const inFrame = frame !== undefined && frame.tracer === tracer;
    // Inside another tracer's instance (with the `tracer` option): not ours.
    if (frame !== undefined && !inFrame) return;
    if (parent !== undefined && (parent.tracer !== tracer || (inFrame && parent.instance !== frame.instance))) parent = undefined;
    // The instance current where the span starts; else its OTel parent's; else the default one.
    const instance = inFrame ? (frame.instance as Instance) : parent?.instance;
    const parentId = parent !== undefined ? parent.spanId : inFrame ? (frame.span as Span | undefined)?.id : undefined;
    let mapping: OTelSpanMapping | null | undefined;
    try {
      const filter = this.#filter;
      if (filter === 'all' || (filter === undefined ? inFrame || parent !== undefined || isGenAiSpan(span) : filter(span))) {
        mapping = this.#map === undefined ? mapSpan(span, undefined) : this.#map(span);
      }
    } catch (error) {
      bridgeFailed(tracer, `the OTel span processor's filter or map (span "${span.name}")`, error);
    }
    const external =
      mapping == null
        ? undefined
        : startExternalSpan(tracer, { spanType: mapping.spanType, payload: mapping.payload, instance, parentId, startedAtMs: toMs(span.startTime) });
    if (external === undefined) {
      // Not recorded: its descendants still find their nearest Prefactor ancestor through it.
      if (instance !== undefined) setPosition(span, { tracer, instance, spanId: parentId } satisfies Position);
      return;
    }
    setPosition(span, { tracer, instance: external.instance, spanId: external.id } satisfies Position);
    (span as unknown as Record<symbol, OpenSpan | undefined>)[this.#open] = {
      external,
      tracer,
      known: this.#map === undefined ? new Set(Object.keys(span.attributes)) : undefined,
    };
  }

  onEnd(span: ReadableSpan): void {
    const carrier = span as unknown as Record<symbol, OpenSpan | undefined>;
    const open = carrier[this.#open];
    if (open === undefined) return;
    carrier[this.#open] = undefined;
    let result: unknown;
    try {
      result = (this.#map === undefined ? mapSpan(span, open.known) : this.#map(span))?.result;
    } catch (error) {
      bridgeFailed(open.tracer, `the OTel span processor's map (span "${span.name}")`, error);
    }
    const error = errorOf(span);
    if (error === undefined) open.external.end('complete', result, false, toMs(span.endTime));
    else open.external.end('failed', { ...(typeof result === 'object' && result !== null ? result : {}), error }, true, toMs(span.endTime));
  }

  /** Flushes the tracer (see `tracer.flush()`). */
  async forceFlush(): Promise<void> {
    await (this.#tracer ?? getTracer())?.flush();
  }

  /** Removes the context bridge and flushes the tracer; the tracer stays open (shut it down yourself). */
  async shutdown(): Promise<void> {
    this.#uninstall?.();
    this.#uninstall = undefined;
    await this.forceFlush();
  }
}

/** Milliseconds since the epoch, an integer, from an OTel `[seconds, nanoseconds]` time. */
function toMs(time: HrTime): number {
  return Math.round(time[0] * 1000 + time[1] / 1e6);
}

/**
 * The error of a failed span: its status is ERROR, or it is UNSET and it recorded an exception.
 * Made of the status message and the first `exception` event.
 */
function errorOf(span: ReadableSpan): { type?: string; message?: string; stack?: string } | undefined {
  const code = span.status.code;
  if (code === SpanStatusCode.OK) return undefined;
  const exception = span.events.find((event) => event.name === 'exception')?.attributes;
  if (code !== SpanStatusCode.ERROR && exception === undefined) return undefined;
  const error: { type?: string; message?: string; stack?: string } = {};
  const type = exception?.['exception.type'];
  const message = exception?.['exception.message'] ?? span.status.message;
  const stack = exception?.['exception.stacktrace'];
  if (type !== undefined) error.type = String(type);
  if (message !== undefined) error.message = String(message);
  if (stack !== undefined) error.stack = String(stack);
  return error;
}
