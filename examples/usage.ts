import { z } from 'zod';
import { Tracer, defineSpanType, withSpan } from 'prefactor-trace';

const llm = defineSpanType({
  name: 'agent:llm',
  params: z.object({ model: z.string(), prompt: z.string() }),
  result: z.object({ text: z.string() }),
});
// apiUrl, apiToken and agentId default to PREFACTOR_API_URL, PREFACTOR_API_TOKEN and PREFACTOR_AGENT_ID.
const tracer = new Tracer({ agentVersion: { name: 'planner', external_identifier: 'v1' }, spanTypes: [llm] });

await tracer.withInstance(async () => {
  await withSpan(llm, { model: 'gpt-x', prompt: 'Plan a trip' }, async (span) => {
    const hits = await withSpan('agent:tool', { name: 'search' }, async () => ['Lisbon', 'Porto']);
    span.setResult({ text: `Go to ${hits[0]}` }); // the tool span above is this span's child
  });
});
await tracer.shutdown(); // flushes; resolves true when everything was delivered
