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
 * The positions of OTel span objects (recorded spans, withSpan's stand-ins, filtered-out spans
 * opened inside an instance), shared by the span processor and the context bridge. Weak: a span
 * object that is gone takes its entry with it.
 */
export const positions = new WeakMap<object, Position>();
