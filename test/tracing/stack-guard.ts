import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { CHECK_FROM_DEPTH, nesting, stackIsLow } from '../../src/tracing/stack-guard.js';
import type { Span } from '../../src/tracing/span.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer } from '../fixtures/tracer.js';

t.test('stackIsLow() is false near the top of the stack, and only checks deep span nesting', async (t) => {
  t.equal(stackIsLow(), false);
  nesting.depth += CHECK_FROM_DEPTH;
  t.equal(stackIsLow(), false, 'checked, and there is room');
  let low = false;
  const descend = (n: number): void => {
    try {
      descend(n + 1);
    } catch {
      low ||= stackIsLow();
    }
  };
  descend(0);
  t.equal(low, true, 'at the bottom of the stack');
  nesting.depth -= CHECK_FROM_DEPTH;
});

/** Whether `frames` more small frames fit on the stack here. */
function fits(frames: number): boolean {
  const down = (n: number): number => (n === 0 ? 0 : down(n - 1) + 1);
  try {
    return down(frames) === frames;
  } catch {
    return false;
  }
}

/**
 * Calls `fn` once, as deep in the stack as it can: recurses to the bottom, then on the way back up
 * tries `fn` at each level where `room` small frames still fit, until a call returns without
 * throwing. `room` (half of what stackIsLow() asks for) leaves the tracer's own calls room to
 * finish, while the stack still counts as low.
 */
function nearTheBottom(fn: () => void, room = 1000): void {
  let done = false;
  const climb = (): void => {
    try {
      climb();
    } catch {
      // The bottom.
    }
    if (done || !fits(room)) return;
    try {
      fn();
      done = true;
    } catch {
      // Overflowed after all: one level up.
    }
  };
  climb();
  if (!done) throw new Error('never called');
}

/** Runs `fn` inside CHECK_FROM_DEPTH synchronously nested spans, deep enough for the stack to be checked. */
function nested(tracer: Tracer, fn: () => void, levels = CHECK_FROM_DEPTH): void {
  if (levels === 0) return fn();
  tracer.withSpan('level', {}, () => nested(tracer, fn, levels - 1));
}

t.test('deep in nested spans with the stack low, a new span runs untraced and is counted', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const ran: unknown[] = [];
  nested(tracer, () => nearTheBottom(() => void ran.push(tracer.withSpan('deep', {}, (span) => span.ended))));
  t.same(ran, [true], "fn ran once, with an untraced call's handle");
  t.equal(tracer.stats().spansSkippedStackDepth, 1);
  t.same(new Set(sink.spans().map((span) => span.schemaName)), new Set(['level']), 'no deep span was recorded');
  t.equal(tracer.stats().spansStarted, tracer.stats().spansEnded);
});

t.test('deep in nested spans with the stack low, a span end is recorded from a microtask', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  let deep: Span | undefined;
  let statusAtCancel: string | undefined;
  nested(tracer, () => {
    void tracer.withSpan('deep', {}, (span) => {
      deep = span as Span;
      return new Promise(() => {}); // open until cancelled
    });
    nearTheBottom(() => deep!.cancel('at the bottom'));
    statusAtCancel = sink.spans().find((span) => span.schemaName === 'deep')?.status;
  });
  t.equal(statusAtCancel, 'active', 'not recorded on the low stack');
  await Promise.resolve();
  t.match(sink.spans().find((span) => span.schemaName === 'deep'), { status: 'cancelled', resultPayload: { reason: 'at the bottom' } });
  t.equal(tracer.stats().spansStarted, tracer.stats().spansEnded);
});

t.test("a span too shallow to be checked whose own start runs out of stack runs untraced, counted", async (t) => {
  const { tracer } = memoryTracer(t);
  // Outside nested spans the stack is not checked first: at the very bottom the tracer's own work
  // (the payload snapshot) overflows, and is caught. Lower down, the program's own calls overflow
  // (thrown to it); higher up, the span fits.
  let ran = 0;
  let skipped = false;
  const climb = (): void => {
    try {
      climb();
    } catch {
      // The bottom.
    }
    if (skipped) return;
    try {
      ran += tracer.withSpan('bottom', { list: [1, 2, 3] }, () => 1);
      skipped = tracer.stats().spansSkippedStackDepth > 0;
    } catch {
      // Overflowed before the tracer could catch it: one level up.
    }
  };
  climb();
  t.equal(skipped, true);
  t.ok(ran > 0, 'fn ran');
  t.equal(tracer.stats().telemetryErrors, 0);
});

/** At most this many stack levels nearest the bottom are tried, one call each. */
const LEVELS = 3000;

/**
 * Calls `tracer.withSpan()` once at each of the LEVELS stack levels nearest the bottom, straight from
 * the recursing function (no helper frame in between), and counts where it threw before or after
 * running fn.
 */
function withSpanAtEveryLevel(tracer: Tracer): { calls: number; threwBeforeFn: number; threwAfterFn: number; errors: Set<string> } {
  const outcome = { calls: 0, threwBeforeFn: 0, threwAfterFn: 0, errors: new Set<string>() };
  const climb = (): void => {
    try {
      climb();
    } catch {
      // The bottom.
    }
    if (outcome.calls >= LEVELS) return;
    outcome.calls++;
    let ran = false;
    try {
      tracer.withSpan('bottom', { list: [1, 2, 3] }, () => {
        ran = true;
        return { done: true };
      });
    } catch (error) {
      outcome.errors.add((error as Error).constructor.name);
      if (ran) outcome.threwAfterFn++;
      else outcome.threwBeforeFn++;
    }
  };
  climb();
  return outcome;
}

t.test('at every level near the bottom of the stack, outside nested spans, withSpan throws no more than untraced, and every span it starts ends', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  // Before: at the level where calling #openSpan overflowed, withSpan threw RangeError without
  // running fn; where the span's end overflowed, spans were started and never ended (not even by
  // shutdown), and stats() no longer added up.
  const untraced = withSpanAtEveryLevel(new Tracer({ enabled: false }));
  const traced = withSpanAtEveryLevel(tracer);
  // Where withSpan then calls fn with no room left for it, the overflow is the program's own call,
  // exactly as with tracing disabled (same frames).
  t.ok(traced.threwBeforeFn <= untraced.threwBeforeFn, `threw before fn: ${traced.threwBeforeFn} traced, ${untraced.threwBeforeFn} untraced`);
  t.equal(traced.threwAfterFn, 0);
  // Only stack overflows, traced or not (a disabled tracer once threw a TypeError there, its recorder absent).
  t.same([...new Set([...traced.errors, ...untraced.errors])], ['RangeError']);
  await tracer.flush(); // runs the ends deferred at the bottom of the stack, if their microtask has not
  const stats = tracer.stats();
  t.ok(stats.spansSkippedStackDepth > 0, 'some levels had no room for the tracer: run untraced, counted');
  t.ok(stats.spansStarted + stats.spansSkippedStackDepth >= LEVELS - traced.threwBeforeFn, 'each call withSpan could enter was traced or counted as skipped');
  t.equal(stats.spansEnded, stats.spansStarted, 'every span started was ended');
  t.equal(stats.telemetryErrors, 0);
  t.same(new Set(sink.spans().map((span) => span.status)), new Set(['complete']));
  t.equal(sink.spans().length, stats.spansStarted);
});

t.test('at every level near the bottom of the stack, a span cancelled there ends, and nothing is recorded twice', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  let calls = 0;
  const climb = (): void => {
    try {
      climb();
    } catch {
      // The bottom.
    }
    if (calls >= LEVELS) return;
    calls++;
    try {
      tracer.withSpan('bottom', {}, (span) => span.cancel('at the bottom'));
    } catch {
      // Where even the call to span.cancel() overflows, the RangeError is the program's own call's.
    }
  };
  climb();
  await tracer.flush();
  const stats = tracer.stats();
  t.ok(stats.spansStarted > LEVELS / 2);
  t.equal(stats.spansEnded, stats.spansStarted, 'every span started was ended');
  t.equal(sink.spans().length, stats.spansStarted, 'each once');
  t.notOk(sink.spans().some((span) => span.status === 'active'));
  const spansWith = (status: string) => sink.spans().filter((span) => span.status === status);
  t.ok(spansWith('cancelled').length > LEVELS / 2, 'cancelled');
  // Where fn itself could not be called (its own frame overflowed), the span failed with that error.
  const failed = spansWith('failed');
  t.same(new Set(failed.map((span) => (span.resultPayload?.error as { type?: string } | undefined)?.type)), new Set(failed.length === 0 ? [] : ['RangeError']));
  // A cancel that ran out of stack is redone later: by then fn has returned and the span ended as complete.
  t.ok(spansWith('complete').length <= 5, 'complete only where the cancel itself was deferred');
});

t.test('a recursion with a span at every level goes as deep as the stack allows, and the tracer never overflows', async (t) => {
  const child = spawnScript('test/fixtures/recursion-child.ts');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const { code, stdout, stderr } = await outputOf(child);
  clearTimeout(timer);
  t.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as Record<string, unknown> & { disabled: number; traced: number; statuses: Record<string, number> };
  t.comment(`depth: disabled ${result.disabled}, traced ${result.traced} (${((100 * result.traced) / result.disabled).toFixed(0)}%)`);
  // Before: 1,562 levels traced where the program reached 10,251 without withSpan; the tracer's own
  // frames (span start, payload snapshot) overflowed first and the open-span counts leaked.
  t.ok(result.traced >= 0.6 * result.disabled, 'traced depth within the frames withSpan itself adds');
  t.same([...new Set(result.errors as string[])], ['RangeError'], 'what reaches the program is its own stack overflow, as untraced');
  t.equal(result.telemetryErrors, 0);
  t.ok((result.spansSkippedStackDepth as number) > 0, 'spans with no room for the tracer ran untraced, counted');
  t.equal(result.spansStarted, result.spansEnded, 'every span opened was ended');
  t.same(result.instances, ['complete', 'complete'], 'the instances finished: open-span counts balanced');
  t.notOk(result.statuses['active'], 'no span left active');
});
