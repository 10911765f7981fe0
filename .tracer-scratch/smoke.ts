import { z } from 'zod';
import { Tracer, InMemorySink, defineSpanType, withSpan, currentSpan } from '../src/index.js';
const llm = defineSpanType({ name: 'agent:llm', title: 'LLM', params: z.object({ model: z.string() }), result: z.object({ text: z.string() }) });
const sink = new InMemorySink();
const tracer = new Tracer({ sink, spanTypes: [llm], logger: console });
await tracer.withInstance(async (inst) => {
  await tracer.withSpan(llm, { model: 'm' }, async (span) => {
    await Promise.all([withSpan('a', {}, async () => 1), new Promise((r) => setTimeout(() => r(withSpan('b', () => 2)), 1))]);
    async function* gen() { yield withSpan('in-gen', () => 1); yield 2; }
    const g = await tracer.withSpan('stream', {}, () => gen());
    for await (const x of g) void x;
    span.setResult({ text: 'hi' });
    return 'x';
  });
});
console.log(JSON.stringify(sink.instances().map(i=>[i.status, i.agentSchemaVersion]), null, 1));
const show = (n: any, d = 0): void => { console.log(' '.repeat(d*2) + n.schemaName, n.status, JSON.stringify(n.payload), JSON.stringify(n.resultPayload)); n.children.forEach((c: any) => show(c, d + 1)); };
for (const i of sink.instances()) sink.tree(i.id).forEach((n) => show(n));
console.log(tracer.stats());
await tracer.shutdown();
