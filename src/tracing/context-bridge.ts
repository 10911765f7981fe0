// The context bridge slot, apart from bridge.ts (which needs the Tracer) so that tracer.ts can read it
// without an import cycle.
import type { Instance } from './instance.js';
import type { Span } from './span.js';

/** What `withSpan` asks an installed context bridge. */
export interface ContextBridge {
  /**
   * The parent of a span `withSpan` is opening in `instance`: `frameParentId` (the span of the
   * current frame), or the id of a nearer Prefactor span the bridge knows (one active in its own
   * context). Must not throw.
   */
  parentId(instance: Instance, frameParentId: string | undefined): string | undefined;
  /** Runs `fn(span)` with `span` active in the bridge's context; returns what `fn` returns. */
  run<T>(span: Span, instance: Instance, fn: (span: Span) => T): T;
}

/** The installed bridge, read by `withSpan`; `undefined` (the common case) when none. */
export let contextBridge: ContextBridge | undefined;

/**
 * Installs `bridge` for every tracer of this copy of the package (one at a time: a later call
 * replaces it). Returns the function that removes it (a no-op once another bridge replaced it).
 */
export function installContextBridge(bridge: ContextBridge): () => void {
  contextBridge = bridge;
  return () => {
    if (contextBridge === bridge) contextBridge = undefined;
  };
}
