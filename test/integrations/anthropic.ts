import t, { type Test } from 'tap';
import Anthropic from '@anthropic-ai/sdk';
import { PrefactorConfigError, Tracer } from '../../src/index.js';
import { anthropicMessages, anthropicSpanTypes, wrapAnthropic } from '../../src/integrations/anthropic/index.js';
import { memoryTracer } from '../fixtures/tracer.js';
import { anthropicClient, collect, withModelServer } from '../fixtures/model-server.js';

const messages = [{ role: 'user' as const, content: 'hello there' }];
const weather = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };
// The fake server counts words: 2 in `messages`, plus the system prompt's; 6 cache reads, 4 cache writes.
const usageWith = (inputWords: number) => ({ input_tokens: inputWords + 10, output_tokens: 3, total_tokens: inputWords + 13, cache_read_input_tokens: 6, cache_creation_input_tokens: 4 });
const usage = usageWith(2);

async function setup(t: Test, options: Parameters<typeof wrapAnthropic>[1] = undefined) {
  const { tracer, sink } = memoryTracer(t, { spanTypes: [...anthropicSpanTypes] });
  const server = await withModelServer(t);
  const plain = anthropicClient(server);
  const client = wrapAnthropic(anthropicClient(server), options);
  const run = async <T>(fn: () => Promise<T>): Promise<T> => tracer.withSpan('agent', {}, fn);
  const calls = () => sink.spans().filter((span) => span.schemaName !== 'agent');
  return { sink, server, plain, client, run, calls };
}

t.test('messages.create: the same answer; the span has the request, the text and usage with cache tokens', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'claude-test', max_tokens: 100, system: 'Be brief', messages, temperature: 0.5 };
  const expected = await plain.messages.create(request);
  const answer = await run(() => client.messages.create(request));
  t.equal(JSON.stringify(answer), JSON.stringify(expected));
  const [span] = calls();
  t.equal(span?.schemaName, 'anthropic:messages');
  t.same(span?.payload, request);
  t.notMatch(JSON.stringify(span?.payload), /sk-ant/, 'no API key');
  t.same(span?.resultPayload, { response_id: expected.id, response_model: 'claude-test-20260101', finish_reasons: ['end_turn'], output_text: 'Echo: hello there', usage: usageWith(4) });
});

t.test('tool use is recorded as tool calls, arguments as JSON text', async (t) => {
  const { client, run, calls } = await setup(t);
  const answer = await run(() => client.messages.create({ model: 'claude-test', max_tokens: 100, messages, tools: [weather] }));
  t.equal(answer.stop_reason, 'tool_use');
  t.same(calls()[0]?.resultPayload?.['tool_calls'], [{ id: (answer.content[0] as { id: string }).id, name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  t.equal(calls()[0]?.resultPayload?.['output_text'], null);
});

t.test('stream: true: the same events; the span stays open until the stream ends and folds text and usage', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'claude-test', max_tokens: 100, messages, stream: true as const };
  const expected = await collect(await plain.messages.create(request));
  const stream = await run(() => client.messages.create(request));
  t.ok(stream.controller instanceof AbortController);
  t.equal(calls()[0]?.status, 'active');
  t.same(await collect(stream), expected);
  t.equal(calls()[0]?.status, 'complete');
  t.same(calls()[0]?.resultPayload, { response_id: JSON.parse(expected[0]!).message.id, response_model: 'claude-test-20260101', finish_reasons: ['end_turn'], output_text: 'Echo: hello there', usage });

  const tools = await run(async () => collect(await client.messages.create({ ...request, tools: [weather] })));
  t.match(tools.join(''), /input_json_delta/);
  t.same(calls()[1]?.resultPayload?.['tool_calls'], [{ id: calls()[1]?.resultPayload?.['response_id'] === undefined ? '' : `toolu_${String(calls()[1]?.resultPayload?.['response_id']).slice(4)}`, name: 'get_weather', arguments: '{"city":"Paris"}' }]);

  const bytes = await run(async () => new Response((await client.messages.create(request)).toReadableStream()).text());
  t.equal(bytes, `${expected.join('\n')}\n`, 'toReadableStream() in new Response()');
  t.equal(calls()[2]?.status, 'complete');
});

t.test('messages.stream(): the MessageStream, its events and finalMessage() work; one span', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'claude-test', max_tokens: 100, messages };
  const expected = await plain.messages.stream(request).finalMessage();
  const texts: string[] = [];
  const final = await run(() =>
    client.messages
      .stream(request)
      .on('text', (text) => void texts.push(text))
      .finalMessage(),
  );
  t.same(final, expected);
  t.equal(texts.join(''), 'Echo: hello there');
  t.equal(calls().length, 1);
  t.equal(calls()[0]?.status, 'complete');
  t.same(calls()[0]?.payload, { ...request, stream: true }, 'the request the helper sent');
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: hello there');
});

t.test('a stream left early ends its span cancelled: break, MessageStream.abort()', async (t) => {
  const { client, run, calls } = await setup(t);
  await run(async () => {
    for await (const event of await client.messages.create({ model: 'claude-test', max_tokens: 100, messages, stream: true })) {
      if (event.type === 'content_block_delta') break;
    }
  });
  t.equal(calls()[0]?.status, 'cancelled');
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: ');

  await run(async () => {
    const stream = client.messages.stream({ model: 'claude-test', max_tokens: 100, messages });
    stream.on('text', () => stream.abort());
    await stream.done().catch(() => undefined);
  });
  t.equal(calls()[1]?.status, 'cancelled');
});

t.test('API errors reach the caller as the client throws them; the span fails with status, type and message', async (t) => {
  const { plain, client, run, calls, server } = await setup(t);
  for (const [model, type, message] of [
    ['error-400', Anthropic.BadRequestError, '400 invalid_request_error: Invalid value for messages: empty'],
    ['error-429', Anthropic.RateLimitError, '429 rate_limit_error: Rate limit reached'],
    ['error-500', Anthropic.InternalServerError, '500 api_error: The server had an error'],
  ] as const) {
    const unwrapped = await plain.messages.create({ model, max_tokens: 1, messages }).catch((error: unknown) => error);
    const before = server.requests.length;
    const thrown = await run(() => client.messages.create({ model, max_tokens: 1, messages })).catch((error: unknown) => error);
    t.type(thrown, type, model);
    t.equal((thrown as Error).message, (unwrapped as Error).message);
    t.match(calls().at(-1), { status: 'failed', resultPayload: { error: { type: type.name, message } } });
    if (model !== 'error-400') t.equal(server.requests.length - before, 2, `${model}: retried once, one span`);
  }
  const midStream = await run(async () => collect(await client.messages.create({ model: 'error-stream', max_tokens: 1, messages, stream: true }))).catch(
    (error: unknown) => error,
  );
  t.type(midStream, Anthropic.APIError);
  t.match(calls().at(-1), { status: 'failed', resultPayload: { error: { message: /Overloaded/ } } });
});

t.test('.withResponse() and .asResponse() keep working', async (t) => {
  const { client, run, calls } = await setup(t);
  const { data, response } = await run(() => client.messages.create({ model: 'claude-test', max_tokens: 1, messages }).withResponse());
  t.equal(data.id, calls()[0]?.resultPayload?.['response_id']);
  t.equal(response.status, 200);
  const raw = await run(() => client.messages.create({ model: 'claude-test', max_tokens: 1, messages }).asResponse());
  t.match(await raw.text(), /"Echo: hello there"/);
  t.same(calls()[1]?.resultPayload, { raw_response: { status: 200 } });
});

t.test('messages.countTokens is a span of its own with the input tokens', async (t) => {
  const { client, run, calls } = await setup(t);
  t.same(await run(() => client.messages.countTokens({ model: 'claude-test', messages })), { input_tokens: 2 });
  t.match(calls()[0], { schemaName: 'anthropic:count_tokens', payload: { model: 'claude-test', messages }, resultPayload: { usage: { input_tokens: 2 } } });
});

t.test('options: content capture off, metadata, wrapping twice, bad options', async (t) => {
  const { client, run, calls } = await setup(t, { captureInput: false, captureOutput: false, metadata: { agent: 'writer' } });
  t.equal(wrapAnthropic(client), client);
  await run(() => client.messages.create({ model: 'claude-test', max_tokens: 5, system: 'secret', messages }));
  await run(async () => collect(await client.messages.create({ model: 'claude-test', max_tokens: 5, messages, tools: [weather], stream: true })));
  t.equal(calls().length, 2, 'one span per call');
  t.same(calls()[0]?.payload, { agent: 'writer', model: 'claude-test', max_tokens: 5 });
  t.same(calls()[0]?.resultPayload, { response_id: calls()[0]?.resultPayload?.['response_id'], response_model: 'claude-test-20260101', finish_reasons: ['end_turn'], usage: usageWith(3) });
  t.notOk('tool_calls' in (calls()[1]?.resultPayload ?? {}));
  await t.rejects(async () => (client.messages.create as unknown as (body: unknown) => unknown)(undefined));
  t.throws(() => wrapAnthropic(new Anthropic({ apiKey: 'x' }), { captureOutput: 1 as unknown as boolean }), PrefactorConfigError);
  t.throws(() => wrapAnthropic(42 as unknown as object), /an Anthropic client/);
  t.equal(anthropicMessages.schemaEntry().name, 'anthropic:messages');
  const disabled = new Tracer({ enabled: false });
  const answer = await disabled.withSpan('agent', {}, () => client.messages.create({ model: 'claude-test', max_tokens: 5, messages }));
  t.equal(answer.content[0]?.type, 'text', 'a disabled tracer: the call runs untraced');
  t.equal(calls().length, 2);
});
