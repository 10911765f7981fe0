/**
 * Work the tracer could not finish at the very bottom of a recursion, where the stack ran out (a
 * span's end, mostly), done again once there is stack to spare.
 *
 * Where the stack has just run out (a `catch` at the bottom), the work is only pushed onto
 * `deferredWork`: calling anything there, even `queueMicrotask` (which, with async hooks on, makes
 * an AsyncResource), may overflow again. The next span to start or end, or `flush()`, queues the
 * drain (`retryDeferred`), which runs it from a microtask, on an empty stack.
 *
 * Coverage: the `catch` branches here and in span.ts, recorder.ts, tracer.ts and settle.ts marked
 * "Out of stack at this very call only" carry `c8 ignore`. They are reached only when the stack runs
 * out at that exact call: test/tracing/stack-guard.ts tries every level near the bottom, which
 * reaches them on some runs, not deterministically.
 */

/** Work waiting for stack to spare. Read by the tracer's hot path: one length check per span. */
export const deferredWork: (() => void)[] = [];
let drainQueued = false;

/** Runs `work` from a microtask (where there is some stack left to queue it). */
export function defer(work: () => void): void {
  deferredWork.push(work);
  retryDeferred();
}

/** Queues the drain if it is not queued yet; still out of stack, leaves it to a later call. */
export function retryDeferred(): void {
  if (drainQueued) return;
  try {
    queueMicrotask(runDeferred);
    drainQueued = true;
    // Out of stack at this very call only (see deferred.ts on coverage).
    /* c8 ignore next 3 */
  } catch {
    // Out of stack even for this: the next span to start or end, or flush(), queues it.
  }
}

/** Runs the waiting work now (from the microtask, or `flush()`). Each piece reports its own failures. */
export function runDeferred(): void {
  drainQueued = false;
  for (const work of deferredWork.splice(0)) {
    try {
      work();
      /* c8 ignore next 3 */
    } catch {
      // A safety net for the host (this runs from a microtask): each piece reports its own failures.
    }
  }
}
