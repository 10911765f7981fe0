/**
 * Keeps tracing from cutting the recursion depth a program can use. Spans nested synchronously
 * (a traced function recursing) each hold a few stack frames more than the untraced call; near
 * the end of the stack, the tracer's own work (payload snapshot, sink call) would be the thing that
 * overflows. Beyond `CHECK_FROM_DEPTH` synchronously nested spans, each new span first checks that
 * the stack still has room for the tracer's work (`RESERVE_FRAMES` small frames: 64-128 KB, depending on how the engine compiled them); when
 * it does not, `fn` runs untraced (counted as `spansSkippedStackDepth`).
 *
 * The check costs nothing on the usual path (one counter compared) and about a microsecond per span
 * in a deep synchronous recursion.
 */

/** Synchronously nested spans before the stack is checked: ordinary agents never get near it. */
export const CHECK_FROM_DEPTH = 32;
/** Frames of `descend` that must fit: what the tracer's work at one span may need, with margin. */
const RESERVE_FRAMES = 2000;

/**
 * Spans open on the current synchronous stack (their `fn` is running and has not yet returned).
 * A field, not functions: counting must not itself need stack at the bottom of a recursion.
 */
export const nesting = { depth: 0 };

/** Whether the next span should run untraced: deep enough to check, and too little stack left. */
export function stackIsLow(): boolean {
  if (nesting.depth < CHECK_FROM_DEPTH) return false;
  try {
    descend(RESERVE_FRAMES);
    return false;
  } catch {
    return true; // RangeError: Maximum call stack size exceeded
  }
}

function descend(frames: number): number {
  return frames === 0 ? 0 : descend(frames - 1) + 1;
}
