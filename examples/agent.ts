// A small agent, traced: a planning LLM call, three tools in parallel (one fails and is handled),
// a streamed answer, and a sub-agent step. The "LLM" is a deterministic stub: no network, no model.
//
// With no PREFACTOR_API_URL it starts the embedded local server in this process, sends the trace
// there and prints the span tree; with PREFACTOR_API_URL, PREFACTOR_API_TOKEN and PREFACTOR_AGENT_ID
// set it sends to that API instead. With `--serve` (`npm run demo -- --serve`) the embedded server
// keeps running after the demo, and the trace can be read in the browser viewer at the printed URL.
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { Tracer, currentSpan, defineSpanType, withSpan } from 'prefactor-trace';
import { buildSpanTree, renderSpanTree, startLocalServer } from 'prefactor-trace/server';

const llm = defineSpanType({
  name: 'agent:llm',
  title: 'LLM call',
  description: 'One completion from the language model',
  template: '{{model}}: {{prompt}}',
  params: z.object({ model: z.string(), prompt: z.string() }),
  result: z.object({ text: z.string() }),
});
const tool = defineSpanType({
  name: 'agent:tool',
  title: 'Tool call',
  params: z.object({ tool: z.string(), input: z.string() }),
  dataRisk: { action_profile: { read_data: 'allowed', external_communication: 'allowed' } },
});
const step = defineSpanType({
  name: 'agent:step',
  title: 'Sub-agent step',
  params: z.object({ goal: z.string() }),
});

/** The stub model: a fixed answer per prompt, after a short "thinking" delay. */
async function complete(prompt: string): Promise<string> {
  await delay(15);
  return `Plan for "${prompt}": check the weather, find flights, book a hotel.`;
}

/** A streamed completion: one token every few milliseconds. */
async function* streamTokens(answer: string): AsyncGenerator<string> {
  for (const token of answer.split(' ')) {
    await delay(3);
    yield `${token} `;
  }
  currentSpan()?.setResult({ text: answer });
}

async function runTool(name: string, input: string): Promise<string> {
  await delay(10);
  if (name === 'hotels') throw new Error(`hotels API: no rooms left in ${input}`);
  return `${name} for ${input}: ok`;
}

async function agent(destination: string): Promise<string> {
  const plan = await withSpan(llm, { model: 'stub-1', prompt: `weekend in ${destination}` }, async () => ({
    text: await complete(`weekend in ${destination}`),
  }));

  const findings = await Promise.all(
    ['weather', 'flights', 'hotels'].map((name) =>
      withSpan(tool, { tool: name, input: destination }, () => runTool(name, destination)).catch(
        (error: Error) => `${name} unavailable (${error.message})`,
      ),
    ),
  );

  let answer = '';
  const stream = withSpan(llm, { model: 'stub-1', prompt: `summarise: ${plan.text}` }, () =>
    streamTokens(`Go to ${destination}: ${findings.length} checks done, one needs a retry.`),
  );
  for await (const token of stream) answer += token;

  await withSpan(step, { goal: 'book a hotel elsewhere' }, async () => {
    const retry = await withSpan(llm, { model: 'stub-1', prompt: 'another hotel?' }, async () => ({
      text: await complete('another hotel'),
    }));
    await withSpan(tool, { tool: 'hotels-nearby', input: destination }, () => runTool('hotels-nearby', retry.text));
  });
  return answer.trim();
}

const serve = process.argv.includes('--serve');
/** The embedded server: any free port, or with `--serve` the usual 4318 when it is free. */
async function startEmbedded() {
  if (serve) {
    try {
      return await startLocalServer({ port: 4318, token: 'demo-token' });
    } catch {
      // 4318 is taken (perhaps by `prefactor-trace dev`): any free port will do.
    }
  }
  return startLocalServer({ port: 0, token: 'demo-token' });
}
const local = process.env.PREFACTOR_API_URL ? undefined : await startEmbedded();
const tracer = new Tracer({
  apiUrl: local?.url ?? process.env.PREFACTOR_API_URL,
  apiToken: local?.token ?? process.env.PREFACTOR_API_TOKEN,
  agentId: process.env.PREFACTOR_AGENT_ID ?? 'demo-agent',
  agentVersion: { name: 'trip-planner', external_identifier: 'v1.0.0' },
  spanTypes: [llm, tool, step],
});

let instanceId = '';
const answer = await tracer.withInstance({ purpose: 'Plan a weekend trip' }, async (instance) => {
  instanceId = instance.id;
  return agent('Lisbon');
});
const delivered = await tracer.shutdown({ timeoutMs: 5000 });

console.log(`Agent answered: ${answer}\n`);
if (local) {
  console.log(`Trace of instance ${instanceId} on the embedded server ${local.url}:\n`);
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  console.log(renderSpanTree(buildSpanTree(local.spans(instanceId)), { color, instance: local.instance(instanceId) }));
} else {
  console.log(`Trace sent to ${process.env.PREFACTOR_API_URL} as instance ${instanceId}.`);
}
const stats = tracer.stats();
const dropped = Object.values(stats.dropped).reduce((sum, count) => sum + count, 0);
console.log(
  `\nDelivery: ${delivered ? 'all delivered' : 'NOT all delivered'}; ${stats.spansStarted} spans, ` +
    `${stats.operationsSent} operations in ${stats.requestsSent} HTTP request${stats.requestsSent === 1 ? '' : 's'} ` +
    `(${stats.operationsCoalesced} span finishes folded into their create), ${dropped} dropped.`,
);
if (local && serve) {
  console.log(`\nOpen the trace in the browser viewer: ${local.url}/#token=${local.token}&/i/${instanceId}`);
  console.log('The embedded server keeps running (send more traces to it with PREFACTOR_API_URL=' + local.url + ' PREFACTOR_API_TOKEN=' + local.token + '). Press Ctrl-C to stop.');
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await local.close();
  console.log('Stopped.');
} else if (local) {
  await local.close();
  console.log('\nTo read this trace in the browser viewer, run `npm run demo -- --serve`: the embedded server then keeps running.');
}
