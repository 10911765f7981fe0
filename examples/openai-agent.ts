// An agent on a real OpenAI client, traced with one line: `wrapOpenAI(new OpenAI(...))`. It asks
// the model, runs the tool the model calls, and streams the final answer; every model call is a
// span with its request, its answer and its token usage.
//
// Offline: the model is the fake OpenAI server of examples/fake-model-server.ts (no key, no
// network), and the trace goes to the embedded local Prefactor server, whose span tree is printed.
// Run: npm run demo:openai
import OpenAI from 'openai';
import { z } from 'zod';
import { Tracer, defineSpanType, withSpan } from 'prefactor-trace';
import { openaiSpanTypes, wrapOpenAI } from 'prefactor-trace/openai';
import { buildSpanTree, renderSpanTree, startLocalServer } from 'prefactor-trace/server';
import { startFakeModelServer } from './fake-model-server.js';

const tool = defineSpanType({ name: 'agent:tool', title: 'Tool call', params: z.object({ tool: z.string(), input: z.string() }) });

const model = await startFakeModelServer();
const local = await startLocalServer({ port: 0, token: 'demo-token' });
const tracer = new Tracer({
  apiUrl: local.url,
  apiToken: local.token,
  agentId: 'openai-demo-agent',
  spanTypes: [...openaiSpanTypes, tool],
});

const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-offline', baseURL: `${model.url}/v1` }));
const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

async function agent(question: string): Promise<string> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: question }];
  const first = await openai.chat.completions.create({ model: 'gpt-demo', messages, tools, temperature: 0 });
  const call = first.choices[0]!.message.tool_calls![0]!;
  const { city } = JSON.parse(call.type === 'function' ? call.function.arguments : '{}') as { city: string };
  const weather = await withSpan(tool, { tool: 'get_weather', input: city }, async () => `sunny, 24 C in ${city}`);
  messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: weather });
  let answer = '';
  for await (const chunk of await openai.chat.completions.create({ model: 'gpt-demo', messages, stream: true })) {
    answer += chunk.choices[0]?.delta.content ?? '';
  }
  return answer;
}

let instanceId = '';
const answer = await tracer.withInstance({ purpose: 'Answer a weather question' }, async (instance) => {
  instanceId = instance.id;
  return agent('What is the weather in Paris?');
});
await tracer.shutdown({ timeoutMs: 5000 });

console.log(`Agent answered: ${answer}\n`);
const spans = local.spans(instanceId);
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
console.log(renderSpanTree(buildSpanTree(spans), { color, instance: local.instance(instanceId) }));
const usage = spans
  .filter((span) => span.schema_name === 'openai:chat')
  .map((span) => (span.result_payload as { usage?: { total_tokens?: number } } | null | undefined)?.usage?.total_tokens ?? 0);
console.log(`\nTokens used: ${usage.reduce((sum, tokens) => sum + tokens, 0)} over ${usage.length} model calls.`);
await local.close();
await model.close();
