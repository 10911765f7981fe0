// The Vercel AI SDK's OpenTelemetry spans in Prefactor, offline: a mock model asks for a tool, then answers.
// With no PREFACTOR_API_URL it sends to an embedded local server and prints the span tree.
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { init } from 'prefactor-trace';
import { otelSpanTypes, registerPrefactorOTel } from 'prefactor-trace/otel';
import { renderSpanTree, startLocalServer } from 'prefactor-trace/server';

const server = process.env.PREFACTOR_API_URL ? undefined : await startLocalServer({ port: 0 });
const tracer = init({ apiUrl: server?.url, apiToken: server?.token, agentId: server && 'ai-sdk-demo', spanTypes: otelSpanTypes });
const otel = registerPrefactorOTel(); // a tracer provider and context manager, for programs without an OTel set-up

const usage = { inputTokens: { total: 20, noCache: 20, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 8, text: 8, reasoning: 0 } };
const replies = [
  { content: [{ type: 'tool-call' as const, toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Lisbon"}' }], finishReason: { unified: 'tool-calls' as const, raw: undefined } },
  { content: [{ type: 'text' as const, text: 'Sunny, 24°C in Lisbon.' }], finishReason: { unified: 'stop' as const, raw: undefined } },
];
const model = new MockLanguageModelV3({ doGenerate: async () => ({ ...replies.shift()!, usage, warnings: [] }) });
const weather = tool({ inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => ({ city, sky: 'sunny', celsius: 24 }) });

const instanceId = await tracer.withInstance(async (instance) => {
  await tracer.withSpan('agent:answer', { question: 'Weather in Lisbon?' }, async () => {
    const { text } = await generateText({
      model,
      prompt: 'Weather in Lisbon?',
      tools: { weather },
      stopWhen: stepCountIs(3),
      experimental_telemetry: { isEnabled: true }, // the AI SDK emits OTel spans; Prefactor records them
    });
    console.log(text);
  });
  return instance.id;
});
await otel.shutdown();
await tracer.shutdown();
if (server) {
  console.log(renderSpanTree(server.tree(instanceId), { instance: server.instance(instanceId) }));
  await server.close();
}
