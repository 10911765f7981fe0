import t from 'tap';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isGenAiSpan, mapOTelSpan, otelSpanTypes } from '../../../src/integrations/otel/index.js';
import { mapSpan } from '../../../src/integrations/otel/mapping.js';

const provider = new BasicTracerProvider();
const otel = provider.getTracer('test');

function spanWith(start: Record<string, string | number | string[]>, end: Record<string, string | number | string[]> = {}): ReadableSpan {
  const span = otel.startSpan('op', { attributes: start });
  span.setAttributes(end);
  return span as unknown as ReadableSpan;
}

t.test('isGenAiSpan: GenAI semconv, Vercel AI SDK, OpenInference and OpenLLMetry attributes', async (t) => {
  for (const key of ['gen_ai.system', 'ai.operationId', 'llm.model_name', 'openinference.span.kind', 'traceloop.span.kind']) {
    t.ok(isGenAiSpan(spanWith({ [key]: 'x' })), key);
  }
  t.notOk(isGenAiSpan(spanWith({ 'http.method': 'GET', aim: 'x' })));
});

t.test('GenAI semantic conventions: otel:chat with model, provider, messages, output, finish reasons and usage', async (t) => {
  const span = spanWith(
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-x',
      'gen_ai.provider.name': 'openai',
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
      'server.address': 'api.example',
    },
    {
      'gen_ai.response.model': 'gpt-x-2026',
      'gen_ai.output.messages': '[{"role":"assistant"}]',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 4,
      'http.status_code': 200,
    },
  );
  const start = mapSpan(span, undefined);
  t.equal((start.spanType as { name: string }).name, 'otel:chat');
  t.same(start.payload, {
    name: 'op',
    model: 'gpt-x',
    provider: 'openai',
    messages: [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }],
    attributes: { 'server.address': 'api.example', 'http.status_code': 200 },
  });
  (span as unknown as { end(): void }).end();
  const end = mapSpan(span, new Set(['gen_ai.operation.name', 'gen_ai.request.model', 'gen_ai.provider.name', 'gen_ai.input.messages', 'server.address']));
  t.same(end.result, {
    responseModel: 'gpt-x-2026',
    output: [{ role: 'assistant' }],
    finishReasons: ['stop'],
    usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
    attributes: { 'http.status_code': 200 },
  });
});

t.test('execute_tool and OpenInference: tool, prompt as text, token counts; bad JSON stays text', async (t) => {
  const tool = mapOTelSpan(spanWith({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'gen_ai.tool.call.arguments': '{oops' }));
  t.equal((tool.spanType as { name: string }).name, 'otel:execute_tool');
  t.same((tool.payload as Record<string, unknown>)['tool'], { name: 'search', arguments: '{oops' });
  const inference = spanWith({ 'openinference.span.kind': 'LLM', 'llm.model_name': 'claude', 'input.value': 'Hello' }, { 'llm.token_count.prompt': 5, 'llm.token_count.total': 9, 'output.value': 'Hi' });
  (inference as unknown as { end(): void }).end();
  const mapped = mapOTelSpan(inference);
  t.equal((mapped.spanType as { name: string }).name, 'otel:span');
  t.match(mapped.payload, { model: 'claude', prompt: 'Hello' });
  t.same(mapped.result, { output: 'Hi', usage: { inputTokens: 5, totalTokens: 9 }, attributes: { 'openinference.span.kind': 'LLM' } });
});

t.test('an unknown AI SDK operation is otel:span and keeps its operation id under attributes; a single finish reason becomes a list', async (t) => {
  const span = spanWith({ 'ai.operationId': 'ai.somethingNew' }, { 'ai.response.finishReason': 'stop' });
  (span as unknown as { end(): void }).end();
  const mapped = mapOTelSpan(span);
  t.equal((mapped.spanType as { name: string }).name, 'otel:span');
  t.same(mapped.result, { finishReasons: ['stop'], attributes: { 'ai.operationId': 'ai.somethingNew' } });
});

t.test('otelSpanTypes register loose JSON schemas under otel:* names', async (t) => {
  const names = otelSpanTypes.map((type) => type.name);
  t.ok(names.includes('otel:span') && names.includes('otel:ai.generateText') && names.includes('otel:invoke_agent'));
  t.equal(new Set(names).size, names.length);
  const entry = otelSpanTypes[0]!.schemaEntry();
  t.match(entry, { name: 'otel:span', params_schema: { type: 'object' }, result_schema: { type: 'object' } });
});
