import t from 'tap';
import { generateText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { Tracer } from '../../../src/index.js';
import { PrefactorSpanProcessor, otelSpanTypes } from '../../../src/integrations/otel/index.js';
import type { SpanTreeNode } from '../../../src/server/index.js';
import { registerOTel } from '../../fixtures/otel.js';
import { withServer } from '../../fixtures/server.js';

function names(nodes: readonly SpanTreeNode[]): unknown[] {
  return nodes.map((node) => [node.schema_name, ...names(node.children)]);
}

t.test('OTel spans reach the API through the delivery engine, nested, batched and counted', async (t) => {
  const server = await withServer(t);
  const tracer = new Tracer({ apiUrl: server.url, apiToken: server.token, agentId: 'otel-agent', spanTypes: otelSpanTypes, logger: false });
  registerOTel(t, tracer, [new PrefactorSpanProcessor({ tracer })]);
  const model = new MockLanguageModelV3({
    doGenerate: {
      content: [{ type: 'text', text: 'ok' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: { total: 2, noCache: 2, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } },
      warnings: [],
    },
  });
  const instanceId = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('agent:run', () => generateText({ model, prompt: 'ping', experimental_telemetry: { isEnabled: true } }));
    return instance.id;
  });
  t.equal(await tracer.flush(), true);
  t.same(names(server.tree(instanceId)), [['agent:run', ['otel:ai.generateText', ['otel:ai.generateText.doGenerate']]]]);
  const step = server.spans(instanceId).find((span) => span.schema_name === 'otel:ai.generateText.doGenerate')!;
  t.equal(step.status, 'complete');
  t.match(step.payload, { name: 'ai.generateText.doGenerate', model: 'mock-model-id' });
  t.match(step.result_payload, { usage: { inputTokens: 2, outputTokens: 1, totalTokens: 3 }, finishReasons: ['stop'] });
  t.equal(server.instance(instanceId)?.status, 'complete');
  const stats = tracer.stats();
  t.equal(stats.spansStarted, 3);
  t.equal(stats.spansEnded, 3);
  t.equal(stats.queued, 0);
  t.same(Object.values(stats.dropped).filter((count) => count > 0), []);
  t.ok(stats.batchesSent >= 1);
});
