import type { Instance, Tracer } from '../../index.js';

/**
 * Where an OTel span sits in the Prefactor tree: its tracer and instance, and the id of the
 * nearest Prefactor span at or above it (itself when it was recorded, the withSpan span it stands
 * for, or the recorded ancestor of a span that was filtered out). `undefined`: at the top of the
 * instance.
 */
export interface Position {
  readonly tracer: Tracer;
  readonly instance: Instance;
  readonly spanId: string | undefined;
}

/**
 * The key under which an OTel span object (a recorded span, a withSpan stand-in, a filtered-out
 * span opened inside an instance) carries its position; shared by the span processor and the
 * context bridge. A property rather than a WeakMap: a WeakMap entry per span costs the garbage
 * collector microseconds (ephemerons), a property goes with the span object.
 */
const POSITION = Symbol('prefactor-trace.otel-position');

type Positioned = { [POSITION]?: Position };

/** The position of an OTel span object, or `undefined`. */
export function positionOf(span: object): Position | undefined {
  return (span as Positioned)[POSITION];
}

export function setPosition(span: object, position: Position): void {
  (span as Positioned)[POSITION] = position;
}
