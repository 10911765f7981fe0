import t from 'tap';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { MockLanguageModelV3, convertArrayToReadableStream } from 'ai/test';
import { z } from 'zod';
import { find, named, withOTel } from '../../fixtures/otel.js';

const usage = {
  inputTokens: { total: 12, noCache: 12, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 7, text: 7, reasoning: undefined },
};

/** A model that asks for the weather tool first, then answers. */
function weatherModel(): MockLanguageModelV3 {
  let calls = 0;
  return new MockLanguageModelV3({
    modelId: 'mock-weather',
    doGenerate: async () =>
      calls++ === 0
        ? {
            content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'weather', input: '{"city":"Paris"}' }],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage,
            warnings: [],
          }
        : { content: [{ type: 'text', text: 'Sunny in Paris' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
  });
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: 'sunny' }),
});

t.test('generateText with a tool call: withSpan -> ai.generateText -> ai.toolCall, with model, usage and tool arguments', async (t) => {
  const { sink, tracer } = withOTel(t);
  let instanceId = '';
  const result = await tracer.withInstance(async (instance) => {
    instanceId = instance.id;
    return tracer.withSpan('agent:run', { goal: 'weather' }, () =>
      generateText({
        model: weatherModel(),
        prompt: 'Weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
        experimental_telemetry: { isEnabled: true },
      }),
    );
  });
  t.equal(result.text, 'Sunny in Paris');
  const tree = sink.tree(instanceId);
  t.same(named(tree), [
    {
      name: 'agent:run',
      children: [
        {
          name: 'ai.generateText',
          children: [
            { name: 'ai.generateText.doGenerate', children: [] },
            { name: 'ai.toolCall', children: [] },
            { name: 'ai.generateText.doGenerate', children: [] },
          ],
        },
      ],
    },
  ]);
  const generate = find(tree, 'ai.generateText')!;
  t.equal(generate.schemaName, 'otel:ai.generateText');
  t.equal(generate.status, 'complete');
  t.equal(generate.payload['model'], 'mock-weather');
  t.equal(generate.payload['provider'], 'mock-provider');
  t.same(generate.payload['prompt'], { prompt: 'Weather in Paris?' });
  t.equal(generate.resultPayload?.['output'], 'Sunny in Paris');
  t.same(generate.resultPayload?.['usage'], { inputTokens: 24, outputTokens: 14, totalTokens: 38 });

  const call = find(tree, 'ai.toolCall')!;
  t.equal(call.schemaName, 'otel:ai.toolCall');
  t.same(call.payload['tool'], { name: 'weather', callId: 'call-1', arguments: { city: 'Paris' } });
  t.same(call.resultPayload?.['toolResult'], { city: 'Paris', sky: 'sunny' });

  const firstStep = find(tree, 'ai.generateText.doGenerate')!;
  t.equal(firstStep.payload['model'], 'mock-weather');
  t.same(firstStep.resultPayload?.['finishReasons'], ['tool-calls']);
  t.same(firstStep.resultPayload?.['usage'], { inputTokens: 12, outputTokens: 7, totalTokens: 19 });
  t.match(firstStep.resultPayload?.['toolCalls'], [{ toolName: 'weather', toolCallId: 'call-1' }]);
  t.ok(Date.parse(firstStep.startedAt) >= Date.parse(generate.startedAt), 'a child starts after its parent');
  t.ok(Date.parse(generate.finishedAt!) >= Date.parse(find(tree, 'ai.toolCall')!.finishedAt!), 'the OTel end times are kept');
  t.equal(sink.instance(instanceId)?.status, 'complete');
  t.equal(tracer.stats().telemetryErrors, 0);
  t.equal(tracer.stats().payloadValidationFailures, 0);
});

t.test('streamText: the span stays open until the stream is consumed, then records the text and usage', async (t) => {
  const { sink, tracer } = withOTel(t);
  const model = new MockLanguageModelV3({
    modelId: 'mock-stream',
    doStream: async () => ({
      stream: convertArrayToReadableStream([
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'Hello' },
        { type: 'text-delta', id: 't1', delta: ', world' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
      ]),
    }),
  });
  let instanceId = '';
  const text = await tracer.withInstance(async (instance) => {
    instanceId = instance.id;
    return tracer.withSpan('agent:answer', async () => {
      const stream = streamText({ model, prompt: 'Say hello', experimental_telemetry: { isEnabled: true } });
      let text = '';
      for await (const delta of stream.textStream) text += delta;
      return text;
    });
  });
  t.equal(text, 'Hello, world');
  const tree = sink.tree(instanceId);
  t.same(named(tree), [{ name: 'agent:answer', children: [{ name: 'ai.streamText', children: [{ name: 'ai.streamText.doStream', children: [] }] }] }]);
  const stream = find(tree, 'ai.streamText')!;
  t.equal(stream.schemaName, 'otel:ai.streamText');
  t.equal(stream.status, 'complete');
  t.equal(stream.resultPayload?.['output'], 'Hello, world');
  const step = find(tree, 'ai.streamText.doStream')!;
  t.equal(step.payload['model'], 'mock-stream');
  t.same(step.resultPayload?.['usage'], { inputTokens: 12, outputTokens: 7, totalTokens: 19 });
  t.same(step.resultPayload?.['finishReasons'], ['stop']);
  t.equal(sink.instance(instanceId)?.status, 'complete');
});

t.test('a failing model call: the AI SDK spans are failed with the error', async (t) => {
  const { sink, tracer } = withOTel(t);
  const model = new MockLanguageModelV3({
    doGenerate: async () => {
      throw new Error('model overloaded');
    },
  });
  let instanceId = '';
  const failure = await tracer
    .withInstance(async (instance) => {
      instanceId = instance.id;
      return generateText({ model, prompt: 'hi', maxRetries: 0, experimental_telemetry: { isEnabled: true } });
    })
    .catch((error: unknown) => error);
  t.match(failure, { message: 'model overloaded' });
  const generate = find(sink.tree(instanceId), 'ai.generateText')!;
  t.equal(generate.status, 'failed');
  t.match(generate.resultPayload, { error: { message: 'model overloaded' } });
  t.equal(sink.instance(instanceId)?.status, 'failed');
});
