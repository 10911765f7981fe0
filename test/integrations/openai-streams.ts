import t from 'tap';
import OpenAI from 'openai';
import { collect, openaiSetup as setup } from '../fixtures/model-server.js';

const messages = [{ role: 'user' as const, content: 'hello there' }];
const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

t.test('a stream: the caller gets the same chunks; the span stays open until the stream ends, then holds text and usage', async (t) => {
  const { plain, client, run, calls, server } = await setup(t);
  const expected = await collect(await plain.chat.completions.create({ model: 'gpt-test', messages, stream: true }));
  const stream = await run(() => client.chat.completions.create({ model: 'gpt-test', messages, stream: true }));
  t.type(stream, 'Stream', 'the client\'s own Stream class');
  t.ok(stream.controller instanceof AbortController);
  t.equal(calls()[0]?.status, 'active', 'open while the stream is unread');
  t.same(await collect(stream), expected, 'same chunks, no usage chunk the caller did not ask for');
  t.same(server.requests.at(-1)?.body['stream_options'], { include_usage: true }, 'usage asked for on the wire');
  t.equal(server.requests.at(-2)?.body['stream_options'], undefined, 'the unwrapped client did not ask');
  const [span] = calls();
  t.equal(span?.status, 'complete');
  t.same(span?.payload, { model: 'gpt-test', messages, stream: true }, 'the payload is the caller\'s request');
  t.same(span?.resultPayload, {
    response_id: JSON.parse(expected[0]!).id,
    response_model: 'gpt-test-2026-01-01',
    finish_reasons: ['stop'],
    output_text: 'Echo: hello there',
    usage: { input_tokens: 2, output_tokens: 3, total_tokens: 5, cache_read_input_tokens: 2, reasoning_output_tokens: 3 },
  });
});

t.test('a stream whose caller set stream_options is sent as it is, the usage chunk included', async (t) => {
  const { plain, client, run, calls, server } = await setup(t);
  const request = { model: 'gpt-test', messages, stream: true as const, stream_options: { include_usage: true } };
  const expected = await collect(await plain.chat.completions.create(request));
  t.same(await run(async () => collect(await client.chat.completions.create(request))), expected);
  t.match(expected.at(-1), /"choices":\[\],"usage":\{"prompt_tokens":2/);
  t.same(server.requests.at(-1)?.body['stream_options'], { include_usage: true });
  t.equal((calls()[0]?.resultPayload?.['usage'] as { total_tokens?: number })?.total_tokens, 5);
  const withoutUsage = { ...request, stream_options: { include_usage: false } };
  await run(async () => collect(await client.chat.completions.create(withoutUsage)));
  t.same(server.requests.at(-1)?.body['stream_options'], { include_usage: false });
  t.equal(calls()[1]?.resultPayload?.['usage'], undefined, 'no usage when the caller declined it');
});

t.test('streamed tool calls are assembled from their deltas', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'gpt-test', messages, tools: [weather], stream: true as const };
  const expected = await collect(await plain.chat.completions.create(request));
  t.same(await run(async () => collect(await client.chat.completions.create(request))), expected);
  const result = calls()[0]?.resultPayload;
  t.equal((result?.['tool_calls'] as { name: string; arguments: string }[])[0]?.arguments, '{"city":"Paris"}');
  t.equal((result?.['tool_calls'] as { name: string }[])[0]?.name, 'get_weather');
  t.same(result?.['finish_reasons'], ['tool_calls']);
});

t.test('a stream read through toReadableStream(): getReader, new Response, pipeTo; same bytes, span complete', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'gpt-test', messages, stream: true as const };
  const expected = await new Response((await plain.chat.completions.create(request)).toReadableStream()).text();

  const viaReader = await run(async () => {
    const reader = (await client.chat.completions.create(request)).toReadableStream().getReader();
    const parts: Uint8Array[] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) parts.push(read.value as Uint8Array);
    return Buffer.concat(parts).toString('utf8');
  });
  t.equal(viaReader, expected, 'getReader()');
  t.equal(calls()[0]?.status, 'complete');

  t.equal(await run(async () => new Response((await client.chat.completions.create(request)).toReadableStream()).text()), expected, 'new Response(...)');
  t.equal(calls()[1]?.status, 'complete');

  const piped: string[] = [];
  await run(async () =>
    (await client.chat.completions.create(request)).toReadableStream().pipeTo(
      new WritableStream({ write: (chunk: Uint8Array) => void piped.push(Buffer.from(chunk).toString('utf8')) }),
    ),
  );
  t.equal(piped.join(''), expected, 'pipeTo');
  t.equal(calls()[2]?.status, 'complete');
  t.equal(calls()[2]?.resultPayload?.['output_text'], 'Echo: hello there');
});

t.test('a stream left early (break, a cancelled reader, controller.abort()) ends its span cancelled with what was read', async (t) => {
  const { client, run, calls } = await setup(t);
  const request = { model: 'gpt-test', messages, stream: true as const };
  await run(async () => {
    for await (const chunk of await client.chat.completions.create(request)) if (chunk.choices[0]?.delta.content) break;
  });
  t.equal(calls()[0]?.status, 'cancelled', 'break');
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: ');

  await run(async () => {
    const reader = (await client.chat.completions.create(request)).toReadableStream().getReader();
    await reader.read();
    await reader.cancel();
  });
  t.equal(calls()[1]?.status, 'cancelled', 'reader.cancel()');

  await run(async () => {
    const stream = await client.chat.completions.create(request);
    for await (const _ of stream) stream.controller.abort();
  });
  t.equal(calls()[2]?.status, 'cancelled', 'controller.abort()');
});

t.test('tee(): both branches get every chunk; one span, complete once both are read', async (t) => {
  const { client, run, calls } = await setup(t);
  const [left, right] = await run(async () => (await client.chat.completions.create({ model: 'gpt-test', messages, stream: true })).tee());
  const [a, b] = await Promise.all([collect(left), collect(right)]);
  t.same(a, b);
  t.equal(calls().length, 1);
  t.equal(calls()[0]?.status, 'complete');
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: hello there');
});

t.test('chat.completions.stream() and finalChatCompletion(), parse(): one span each, helpers work', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const expected = await plain.chat.completions.stream({ model: 'gpt-test', messages }).finalChatCompletion();
  const deltas: string[] = [];
  const final = await run(() =>
    client.chat.completions
      .stream({ model: 'gpt-test', messages })
      .on('content', (delta) => void deltas.push(delta))
      .finalChatCompletion(),
  );
  t.same(final, expected, 'the helper aggregates the same completion');
  t.equal(deltas.join(''), 'Echo: hello there');
  t.equal(calls().length, 1);
  t.equal(calls()[0]?.resultPayload?.['output_text'], 'Echo: hello there');

  const parsed = await run(() =>
    client.chat.completions.parse({ model: 'gpt-test', messages: [{ role: 'user', content: '{"a":1}' }], response_format: { type: 'json_object' } }),
  );
  t.equal(parsed.choices[0]?.message.content, 'Echo: {"a":1}');
  t.equal(calls().length, 2, 'parse() is one span, through create()');
  t.equal(calls()[1]?.status, 'complete');
});

t.test('an error in the middle of a stream fails the span and reaches the reader', async (t) => {
  const { client, run, calls } = await setup(t);
  const thrown = await run(async () => collect(await client.chat.completions.create({ model: 'error-stream', messages, stream: true }))).catch(
    (error: unknown) => error,
  );
  t.type(thrown, OpenAI.APIError);
  t.equal(calls()[0]?.status, 'failed');
  t.match(calls()[0]?.resultPayload, { error: { message: /The model overloaded mid-stream/ } });
});

t.test('responses.create, streamed or not, and responses.parse', async (t) => {
  const { plain, client, run, calls } = await setup(t);
  const request = { model: 'gpt-resp', input: 'hello there', instructions: 'be brief' };
  const expected = await plain.responses.create(request);
  const answer = await run(() => client.responses.create(request));
  t.equal(JSON.stringify(answer), JSON.stringify(expected));
  t.equal(answer.output_text, 'Echo: hello there', 'the client\'s own output_text helper');
  const usage = { input_tokens: 2, output_tokens: 3, total_tokens: 5, cache_read_input_tokens: 1, reasoning_output_tokens: 2 };
  t.same(calls()[0]?.resultPayload, { response_id: expected.id, response_model: 'gpt-resp-2026-01-01', finish_reasons: ['completed'], output_text: 'Echo: hello there', usage });
  t.same(calls()[0]?.payload, request);

  const events = await collect(await plain.responses.create({ ...request, stream: true }));
  t.same(await run(async () => collect(await client.responses.create({ ...request, stream: true }))), events);
  t.same(calls()[1]?.resultPayload, calls()[0]?.resultPayload, 'the stream folds into the same result');

  await run(async () => {
    for await (const event of await client.responses.create({ ...request, stream: true })) if (event.type === 'response.output_text.delta') break;
  });
  t.equal(calls()[2]?.status, 'cancelled');
  t.same(calls()[2]?.resultPayload, { response_id: expected.id, response_model: 'gpt-resp-2026-01-01', output_text: 'Echo: ' });

  const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object' }, strict: false }];
  await run(() => client.responses.create({ model: 'gpt-resp', input: [{ role: 'user', content: 'weather?' }], tools }));
  t.same(calls()[3]?.resultPayload?.['tool_calls'], [{ id: 'call_' + String(calls()[3]?.resultPayload?.['response_id']).slice(5), name: 'get_weather', arguments: '{"city":"Paris"}' }]);

  const parsed = await run(() => client.responses.parse(request));
  t.equal(parsed.output_text, 'Echo: hello there');
  t.equal(calls().length, 5, 'parse() is one span');
});
