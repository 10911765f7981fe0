import t from 'tap';
import { NOOP_SPAN, isoTime, type Span } from '../../src/tracing/span.js';
import { memoryTracer } from '../fixtures/tracer.js';

t.test('span handle: id, instanceId, parentId and name', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  tracer.withSpan('parent', {}, (parent) => {
    t.equal(parent.name, 'parent');
    t.equal(parent.parentId, undefined);
    t.equal(parent.ended, false);
    tracer.withSpan('child', {}, (child) => {
      t.equal(child.parentId, parent.id);
      t.equal(child.instanceId, parent.instanceId);
    });
  });
  t.same(sink.spans().map((span) => span.id), [sink.spans()[0]?.id, sink.spans()[1]?.id]);
});

t.test('.cancel(reason) ends the span cancelled now, with {reason}; what fn does later changes nothing', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  await tracer.withSpan('cancelled', {}, async (span) => {
    span.cancel('user stopped');
    t.equal(span.ended, true);
    t.equal(sink.spans()[0]?.status, 'cancelled');
    return { late: true };
  });
  t.same(sink.spans()[0]?.resultPayload, { reason: 'user stopped' });
  tracer.withSpan('cancelled-with-result', {}, (span) => {
    span.setResult({ partial: 1 });
    span.cancel();
  });
  tracer.withSpan('cancelled-bare', {}, (span) => span.cancel());
  t.same(sink.spans()[1]?.resultPayload, { partial: 1 });
  t.same(sink.spans()[2]?.resultPayload, undefined);
});

t.test('ending a span twice logs once and is otherwise ignored', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t);
  let kept!: Span;
  tracer.withSpan('once', {}, (span) => {
    kept = span;
    span.cancel('first');
  });
  kept.cancel('second');
  kept.setResult({ ignored: true });
  kept.cancel('third');
  t.same(sink.spans()[0]?.resultPayload, { reason: 'first' });
  t.match(logger.lines, [{ level: 'warn', message: 'span.cancel() was called after the span ended; it is ignored', details: { spanType: 'once' } }]);
  t.equal(logger.lines.length, 1);
});

t.test('NOOP_SPAN ignores every call silently', async (t) => {
  NOOP_SPAN.setResult(undefined as never);
  NOOP_SPAN.cancel('x');
  t.equal(NOOP_SPAN.ended, true);
  t.equal(NOOP_SPAN.id, '');
});

t.test('isoTime() matches Date#toISOString() with milliseconds', async (t) => {
  const years10000 = 253_402_300_800_000;
  for (const ms of [0, 5, 42, 999, 1000, -1, 1_700_000_000_123, 1_700_000_000_123, 1_700_000_000_007, 1_700_000_001_070, years10000, years10000 + 1, Date.now()]) {
    t.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  }
});
