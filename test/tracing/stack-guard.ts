import t from 'tap';
import { outputOf, spawnCoveredScript } from '../fixtures/child-env.js';
import { CHECK_FROM_DEPTH, enterSpan, leaveSpan, stackIsLow } from '../../src/tracing/stack-guard.js';

t.test('stackIsLow() is false near the top of the stack, and only checks deep span nesting', async (t) => {
  t.equal(stackIsLow(), false);
  for (let i = 0; i < CHECK_FROM_DEPTH; i++) enterSpan();
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
  for (let i = 0; i < CHECK_FROM_DEPTH; i++) leaveSpan();
});

t.test('a recursion with a span at every level goes as deep as the stack allows, and the tracer never overflows', async (t) => {
  // Covered: the stack guard's branches run only near stack exhaustion, which this child reaches.
  const child = spawnCoveredScript('test/fixtures/recursion-child.ts');
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
