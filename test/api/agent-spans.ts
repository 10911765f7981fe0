import t from 'tap';
import { PrefactorHttpClient } from '../../src/api/client.js';
import { PrefactorResponseContractError } from '../../src/http/errors.js';
import { success, withRawServer } from '../fixtures/raw-server.js';
import { spanSample } from '../fixtures/wire-samples.js';

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const server = await withRawServer(t, success(spanSample));
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: 'secret-token', initialRetryDelayMs: 5 });
  t.teardown(() => client.close());
  return { server, client };
}

t.test('agentSpans.create() posts {details, idempotency_key} with ISO timestamps', async (t) => {
  const { server, client } = await setup(t);
  const span = await client.agentSpans.create({
    agent_instance_id: 'inst_1',
    schema_name: 'agent:llm',
    status: 'active',
    payload: { model: 'gpt' },
    id: 'span_1',
    parent_span_id: 'span_0',
    started_at: new Date('2026-01-01T00:00:02Z'),
    idempotency_key: 'create-key-1',
  });
  t.same(span, { ...spanSample, payload: { model: 'gpt' } });
  t.notOk('control' in span, 'no control when the API sent none');
  const [request] = server.requests;
  t.equal(request!.method, 'POST');
  t.equal(request!.path, '/api/v1/agent_spans');
  t.equal(request!.headers['idempotency-key'], 'create-key-1');
  t.same(JSON.parse(request!.body), {
    details: {
      agent_instance_id: 'inst_1',
      schema_name: 'agent:llm',
      status: 'active',
      payload: { model: 'gpt' },
      id: 'span_1',
      parent_span_id: 'span_0',
      started_at: '2026-01-01T00:00:02.000Z',
    },
    idempotency_key: 'create-key-1',
  });
});

t.test('agentSpans.create() generates the key and keeps it across retries', async (t) => {
  const { server, client } = await setup(t);
  server.reply({ status: 503, body: '{"status":"error","code":"unavailable","message":"busy"}' }, success(spanSample));
  await client.agentSpans.create({ agent_instance_id: 'inst_1', schema_name: 'agent:llm', status: 'active' });
  const [first, second] = server.requests;
  t.match(first!.headers['idempotency-key'], /^[\w-]{21}$/);
  t.equal(second!.headers['idempotency-key'], first!.headers['idempotency-key']);
  t.equal(first!.body, second!.body);
  t.equal(JSON.parse(second!.body).idempotency_key, first!.headers['idempotency-key']);
});

t.test('agentSpans.create() and .finish() attach the response control to the span', async (t) => {
  const { server, client } = await setup(t);
  const control = { terminate: true, reason: 'killswitch' };
  server.reply(success(spanSample, { control }), success({ ...spanSample, status: 'complete' }, { control }));
  const created = await client.agentSpans.create({ agent_instance_id: 'inst_1', schema_name: 'agent:llm', status: 'active' });
  t.same(created.control, control);
  const finished = await client.agentSpans.finish('span_1', { status: 'complete' });
  t.same(finished.control, control);
  t.equal(finished.status, 'complete');
});

t.test('agentSpans.finish() posts to the span path', async (t) => {
  const { server, client } = await setup(t);
  await client.agentSpans.finish('span_1', {
    status: 'failed',
    result_payload: { error: 'boom' },
    timestamp: new Date('2026-01-01T00:00:03Z'),
    idempotency_key: 'finish-key-1',
  });
  await client.agentSpans.finish('span_2');
  const [finish, bare] = server.requests;
  t.equal(finish!.path, '/api/v1/agent_spans/span_1/finish');
  t.same(JSON.parse(finish!.body), {
    status: 'failed',
    result_payload: { error: 'boom' },
    timestamp: '2026-01-01T00:00:03.000Z',
    idempotency_key: 'finish-key-1',
  });
  t.equal(bare!.path, '/api/v1/agent_spans/span_2/finish');
  t.same(Object.keys(JSON.parse(bare!.body)), ['idempotency_key']);
});

t.test('agentSpans.list() GETs the spans of an instance', async (t) => {
  const { server, client } = await setup(t);
  server.reply(success([spanSample]));
  const spans = await client.agentSpans.list('inst 1');
  t.equal(spans.length, 1);
  t.equal(server.requests[0]!.path, '/api/v1/agent_spans?agent_instance_id=inst+1');
  t.equal(server.requests[0]!.method, 'GET');
});

t.test('agentSpans refuse bad arguments before sending, naming the field', async (t) => {
  const { server, client } = await setup(t);
  await t.rejects(client.agentSpans.create({ agent_instance_id: 'i', schema_name: '', status: 'active' }), {
    code: 'ERR_PREFACTOR_INVALID_REQUEST',
    message: /^Invalid argument to agentSpans\.create\(\): schema_name: /,
  });
  await t.rejects(client.agentSpans.create({ agent_instance_id: 'i', schema_name: 's', status: 'active', idempotency_key: 'x'.repeat(65) }), {
    message: /idempotency_key: Too big/,
  });
  await t.rejects(client.agentSpans.finish('s', { result_payload: [] as never }), { message: /result_payload: / });
  await t.rejects(client.agentSpans.finish(''), { message: /`spanId` must be a non-empty string, got string/ });
  await t.rejects(client.agentSpans.list(''), { message: /`agentInstanceId` must be a non-empty string/ });
  t.equal(server.requests.length, 0);
});

t.test('agentSpans reject a response that is not a span', async (t) => {
  const { server, client } = await setup(t);
  server.reply(success({ ...spanSample, type: 'agent_instance' }));
  await t.rejects(client.agentSpans.finish('s'), PrefactorResponseContractError);
});
