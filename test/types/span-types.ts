/**
 * Compile-time checks of the payload types a span type gives `withSpan` and `setResult`
 * (`npm test` runs `tsc --noEmit` over this file; each `@ts-expect-error` line must be an error).
 */
import t from 'tap';
import { z } from 'zod';
import { defineSpanType, traced, withSpan } from '../../src/index.js';
import { memoryTracer } from '../fixtures/tracer.js';

const llm = defineSpanType({
  name: 'agent:llm',
  params: z.object({ model: z.string(), prompt: z.string() }),
  result: z.object({ text: z.string() }),
});
const untyped = defineSpanType({ name: 'agent:tool' });

t.test('span type payloads are typed from their zod schemas', async (t) => {
  const { tracer } = memoryTracer(t, { spanTypes: [llm, untyped], validatePayloads: 'off' });
  await tracer.withInstance(async () => {
    const text: string = tracer.withSpan(llm, { model: 'm', prompt: 'p' }, (span) => {
      span.setResult({ text: 'ok' });
      // @ts-expect-error: the result schema wants text: string
      span.setResult({ text: 1 });
      return 'answer';
    });
    t.equal(text, 'answer');
    // @ts-expect-error: model must be a string
    tracer.withSpan(llm, { model: 1, prompt: 'p' }, () => 1);
    // @ts-expect-error: prompt is required
    tracer.withSpan(llm, { model: 'm' }, () => 1);
    // @ts-expect-error: the module-level withSpan checks the payload too
    withSpan(llm, { model: 'm', prompt: 2 }, () => 1);
    tracer.withSpan(untyped, { anything: true }, (span) => span.setResult({ any: 'thing' }));
    tracer.withSpan('plain-name', 42, () => undefined);
    const search = traced(llm, async (query: string) => query.length, { payload: (query) => ({ model: 'search', prompt: query }) });
    // @ts-expect-error: the payload mapper must return the span type's params
    traced(llm, async (query: string) => query, { payload: (query) => ({ prompt: query }) });
    const length: number = await search('four');
    t.equal(length, 4);
    const promised: Promise<number> = tracer.withSpan('async', {}, async () => 1);
    t.equal(await promised, 1);
  });
});
