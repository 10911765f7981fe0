import t from 'tap';
import OpenAI from 'openai';
import { z } from 'zod';
import { InMemorySink, PrefactorConfigError, Tracer, defineSpanType, init } from '../../src/index.js';
import { openaiChat, openaiSpanTypes, wrapOpenAI } from '../../src/integrations/openai/index.js';
import { memoryTracer } from '../fixtures/tracer.js';
import { collect, openaiClient, openaiSetup as setup, withModelServer } from '../fixtures/model-server.js';

const messages = [{ role: 'user' as const, content: 'hello there' }];
const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

t.test('wrapOpenAI returns the same client; a call is a child span with the request and the answer', async (t) => {
  const { plain, client, run, calls, sink } = await setup(t);
  const unwrapped = await plain.chat.completions.create({ model: 'gpt-test', messages, temperature: 0.2 });
  const answer = await run(() => client.chat.completions.create({ model: 'gpt-test', messages, temperature: 0.2 }));
  t.equal(JSON.stringify(answer), JSON.stringify(unwrapped), 'the caller gets what the unwrapped client gives');
  const [span] = calls();
  t.equal(span?.schemaName, 'openai:chat');
  t.equal(span?.parentId, sink.spans().find((s) => s.schemaName === 'agent')?.id, 'a child of the current span');
  t.same(span?.payload, { model: 'gpt-test', messages, temperature: 0.2 });
  t.notMatch(JSON.stringify(span?.payload), /sk-test-secret/, 'no API key');
  t.equal(span?.status, 'complete');
  t.same(span?.resultPayload, {
    response_id: unwrapped.id,
    response_model: 'gpt-test-2026-01-01',
    finish_reasons: ['stop'],
    output_text: 'Echo: hello there',
    usage: { input_tokens: 2, output_tokens: 3, total_tokens: 5, cache_read_input_tokens: 2, reasoning_output_tokens: 3 },
  });
});

t.test('tool calls are recorded with their arguments', async (t) => {
  const { client, run, calls } = await setup(t);
  const answer = await run(() => client.chat.completions.create({ model: 'gpt-test', messages, tools: [weather] }));
  t.equal(answer.choices[0]?.finish_reason, 'tool_calls');
  const result = calls()[0]?.resultPayload;
  t.same(result?.['tool_calls'], [{ id: answer.choices[0]?.message.tool_calls?.[0]?.id, name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  t.equal(result?.['output_text'], null);
  t.same(calls()[0]?.payload['tools'], [weather]);
});

t.test('.withResponse() and .asResponse() keep working; asResponse leaves the body to the caller', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const { data, response, request_id } = await run(() => client.chat.completions.create({ model: 'gpt-test', messages }).withResponse());
  t.equal(data.choices[0]?.message.content, 'Echo: hello there');
  t.equal(response.status, 200);
  t.match(request_id, /^req_/);
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: hello there');

  const expected = await (await plain.chat.completions.create({ model: 'gpt-test', messages }).asResponse()).text();
  const raw = await run(() => client.chat.completions.create({ model: 'gpt-test', messages }).asResponse());
  t.equal(await raw.text(), expected, 'the raw body, unread by the wrapper');
  t.equal(calls()[1]?.status, 'complete');
  t.same(calls()[1]?.resultPayload, { raw_response: { status: 200 } });
});

t.test('API errors reach the caller as the client throws them; the span fails with status, type and message', async (t) => {
  const { plain, client, run, calls, server } = await setup(t);
  for (const [model, type, message] of [
    ['error-400', OpenAI.BadRequestError, '400 invalid_request_error: Invalid value for messages: empty'],
    ['error-429', OpenAI.RateLimitError, '429 rate_limit_error: Rate limit reached'],
    ['error-500', OpenAI.InternalServerError, '500 server_error: The server had an error'],
  ] as const) {
    const unwrapped = await plain.chat.completions.create({ model, messages }).catch((error: unknown) => error);
    const before = server.requests.length;
    const thrown = await run(() => client.chat.completions.create({ model, messages })).catch((error: unknown) => error);
    t.type(thrown, type, model);
    t.equal((thrown as Error).message, (unwrapped as Error).message);
    t.equal((thrown as InstanceType<typeof type>).status, (unwrapped as InstanceType<typeof type>).status);
    const span = calls().at(-1);
    t.equal(span?.status, 'failed');
    t.match(span?.resultPayload, { error: { type: type.name, message } });
    if (model !== 'error-400') t.equal(server.requests.length - before, 2, `${model}: retried once (retry-after: 0), one span`);
  }
  t.equal(calls().length, 3);
});

t.test('a request aborted by the caller\'s signal ends the span cancelled', async (t) => {
  const { client, run, calls } = await setup(t);
  const controller = new AbortController();
  controller.abort();
  const thrown = await run(() => client.chat.completions.create({ model: 'gpt-test', messages }, { signal: controller.signal })).catch((e: unknown) => e);
  t.type(thrown, OpenAI.APIUserAbortError);
  t.equal(calls()[0]?.status, 'cancelled');
});

t.test('embeddings.create: the vectors reach the caller decoded as usual; the span records count, size and usage', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const expected = await plain.embeddings.create({ model: 'emb', input: ['one two', 'three'] });
  const answer = await run(() => client.embeddings.create({ model: 'emb', input: ['one two', 'three'] }));
  t.same(answer, expected);
  t.equal(calls()[0]?.schemaName, 'openai:embeddings');
  t.same(calls()[0]?.resultPayload, { response_model: 'emb', embeddings: 2, dimensions: 4, usage: { input_tokens: 3, total_tokens: 3 } });
  await run(() => client.embeddings.create({ model: 'emb', input: 'x', encoding_format: 'base64' }));
  t.equal(calls()[1]?.resultPayload?.['embeddings'], 1);
  t.notOk('dimensions' in (calls()[1]?.resultPayload ?? {}), 'a base64 vector has no length to record');
});

t.test('captureInput / captureOutput false keep the model and usage, drop the content; metadata is added', async (t) => {
  const { client, run, calls } = await setup(t, { captureInput: false, captureOutput: false, metadata: { agent: 'planner', model: 'ignored' } });
  await run(() => client.chat.completions.create({ model: 'gpt-test', messages, tools: [weather], temperature: 0 }));
  t.same(calls()[0]?.payload, { agent: 'planner', model: 'gpt-test', tools: [weather], temperature: 0 });
  t.same(calls()[0]?.resultPayload, {
    response_id: calls()[0]?.resultPayload?.['response_id'],
    response_model: 'gpt-test-2026-01-01',
    finish_reasons: ['tool_calls'],
    usage: { input_tokens: 2, output_tokens: 7, total_tokens: 9, cache_read_input_tokens: 2, reasoning_output_tokens: 3 },
  });
  await run(async () => collect(await client.chat.completions.create({ model: 'gpt-test', messages, stream: true })));
  t.notOk('output_text' in (calls()[1]?.resultPayload ?? {}));
  t.equal((calls()[1]?.resultPayload?.['usage'] as { input_tokens?: number }).input_tokens, 2);
  await run(() => client.responses.create({ model: 'gpt-resp', input: 'hi', instructions: 'secret' }));
  t.same(calls()[2]?.payload, { agent: 'planner', model: 'gpt-resp' });
  t.notOk('output_text' in (calls()[2]?.resultPayload ?? {}));
});

t.test('spanType: the user\'s own span type replaces the built-in ones', async (t) => {
  const llm = defineSpanType({ name: 'agent:llm', params: z.looseObject({ model: z.string() }) });
  const { client, run, calls } = await setup(t, { spanType: llm }, { spanTypes: [llm] });
  await run(() => client.chat.completions.create({ model: 'gpt-test', messages }));
  await run(() => client.embeddings.create({ model: 'emb', input: 'x' }));
  t.same(calls().map((span) => span.schemaName), ['agent:llm', 'agent:llm']);
});

t.test('wrapping a client twice traces each call once; calls without a request object pass through', async (t) => {
  const { client, run, calls } = await setup(t);
  t.equal(wrapOpenAI(client), client);
  await run(() => client.chat.completions.create({ model: 'gpt-test', messages }));
  t.equal(calls().length, 1);
  // Not a request the API takes: the client's own error, untraced.
  await t.rejects(async () => (client.chat.completions.create as unknown as (body: unknown) => unknown)(undefined), TypeError);
  await t.rejects(async () => (client.responses.create as unknown as (body: unknown) => unknown)(undefined), TypeError);
  t.equal(calls().length, 1);
});

t.test('bad options and clients throw a PrefactorConfigError naming them', async (t) => {
  t.throws(() => wrapOpenAI(new OpenAI({ apiKey: 'x' }), { captureInput: 'no' as unknown as boolean }), PrefactorConfigError);
  t.throws(() => wrapOpenAI(new OpenAI({ apiKey: 'x' }), { spanType: 3 as unknown as string }), /Expected `spanType`/);
  t.throws(() => wrapOpenAI(new OpenAI({ apiKey: 'x' }), { spanType: '' }), /Expected `spanType`/);
  t.throws(() => wrapOpenAI(new OpenAI({ apiKey: 'x' }), { metadata: [] as unknown as Record<string, unknown> }), /Expected `metadata` to be an object/);
  t.throws(() => wrapOpenAI(new OpenAI({ apiKey: 'x' }), { captureOuput: true } as never), /Unknown option `captureOuput`/);
  t.throws(() => wrapOpenAI(null as unknown as object), /Expected `client` to be an OpenAI client/);
  t.ok(wrapOpenAI(new OpenAI({ apiKey: 'x' }), { metadata: {}, captureOutput: true }));
});

t.test('outside any instance a call goes to the default instance of the global tracer', async (t) => {
  const server = await withModelServer(t);
  const sink = new InMemorySink();
  const tracer = init({ sink, logger: false });
  t.teardown(() => tracer.shutdown());
  const client = wrapOpenAI(openaiClient(server));
  await client.chat.completions.create({ model: 'gpt-test', messages });
  const [span] = sink.spans();
  t.equal(span?.schemaName, 'openai:chat');
  t.equal(span?.parentId, undefined);
  t.equal(sink.instances()[0]?.id, span?.instanceId);
});

t.test('a disabled tracer, or a payload the tracer refuses, leaves the call untraced and working', async (t) => {
  const server = await withModelServer(t);
  const disabled = new Tracer({ enabled: false });
  const client = wrapOpenAI(openaiClient(server));
  const answer = await disabled.withSpan('agent', {}, () => client.chat.completions.create({ model: 'gpt-test', messages }));
  t.equal(answer.choices[0]?.message.content, 'Echo: hello there');
  const vectors = await disabled.withSpan('agent', {}, () => client.embeddings.create({ model: 'emb', input: 'x' }));
  t.equal(vectors.data.length, 1);
  const bare = {};
  t.equal(wrapOpenAI(bare), bare, 'an object without resources is left alone');

  const strict = defineSpanType({ name: 'strict', params: z.object({ model: z.literal('only-this') }) });
  const { tracer, sink } = memoryTracer(t, { validatePayloads: 'throw' });
  const refused = wrapOpenAI(openaiClient(server), { spanType: strict });
  const stream = await tracer.withSpan('agent', {}, () => refused.chat.completions.create({ model: 'gpt-test', messages, stream: true }));
  t.match((await collect(stream)).join(''), /Echo: /, 'the call ran');
  t.same(sink.spans().map((span) => span.schemaName), ['agent'], 'untraced');
  t.equal(server.requests.at(-1)?.body['stream_options'], undefined, 'an untraced call is sent as the caller wrote it');
});

t.test('the built-in span types register JSON schemas', async (t) => {
  const entry = openaiChat.schemaEntry();
  t.equal(entry.name, 'openai:chat');
  t.match(entry.params_schema, { type: 'object', properties: { model: { type: 'string' } } });
  t.match(entry.result_schema, { properties: { usage: { properties: { input_tokens: { type: 'number' } } } } });
  t.same(openaiSpanTypes.map((type) => type.name), ['openai:chat', 'openai:responses', 'openai:embeddings']);
});
