import t from 'tap';
import { PrefactorHttpClient } from '../../src/api/client.js';
import { PrefactorClientError, PrefactorResponseContractError } from '../../src/http/errors.js';
import { success, withRawServer } from '../fixtures/raw-server.js';
import { instanceSample } from '../fixtures/wire-samples.js';

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const server = await withRawServer(t, success(instanceSample));
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: 'secret-token', initialRetryDelayMs: 5 });
  t.teardown(() => client.close());
  return { server, client };
}

t.test('agentInstances.register() posts the flat body with its idempotency key', async (t) => {
  const { server, client } = await setup(t);
  const instance = await client.agentInstances.register({
    agent_id: 'agent_1',
    agent_version: { name: 'v1', external_identifier: '1.0.0' },
    agent_schema_version: {
      external_identifier: 's1',
      span_type_schemas: [{ name: 'agent:llm', params_schema: { type: 'object' }, data_risk: {} }],
    },
    idempotency_key: 'register-key-1',
    update_current_version: true,
    environment_id: 'env_1',
    purpose: 'test',
  });
  t.same(instance, instanceSample);
  const [request] = server.requests;
  t.equal(request!.method, 'POST');
  t.equal(request!.path, '/api/v1/agent_instance/register');
  t.equal(request!.headers['idempotency-key'], 'register-key-1');
  const body = JSON.parse(request!.body);
  t.same(body, {
    agent_id: 'agent_1',
    agent_version: { name: 'v1', external_identifier: '1.0.0' },
    agent_schema_version: {
      external_identifier: 's1',
      span_type_schemas: [
        {
          name: 'agent:llm',
          params_schema: { type: 'object' },
          data_risk: body.agent_schema_version.span_type_schemas[0].data_risk,
        },
      ],
    },
    idempotency_key: 'register-key-1',
    update_current_version: true,
    environment_id: 'env_1',
    purpose: 'test',
  });
  t.equal(body.agent_schema_version.span_type_schemas[0].data_risk.action_profile.read_data, 'unknown', 'data-risk defaults filled');
});

t.test('agentInstances.register() generates a key, the same in header and body', async (t) => {
  const { server, client } = await setup(t);
  await client.agentInstances.register({ agent_id: 'a', agent_version: {}, agent_schema_version: {} });
  const [request] = server.requests;
  t.match(request!.headers['idempotency-key'], /^[\w-]{21}$/);
  t.equal(JSON.parse(request!.body).idempotency_key, request!.headers['idempotency-key']);
});

t.test('agentInstances.start() and .finish() post to the instance path with ISO timestamps', async (t) => {
  const { server, client } = await setup(t);
  await client.agentInstances.start('inst/1', { timestamp: new Date('2026-02-03T04:05:06Z') });
  await client.agentInstances.finish('inst_1', { status: 'complete', timestamp: '2026-02-03T04:05:07+01:00', idempotency_key: 'finish-key-1' });
  await client.agentInstances.start('inst_2');
  await client.agentInstances.finish('inst_2');
  const [start, finish, bareStart, bareFinish] = server.requests;
  t.equal(start!.path, '/api/v1/agent_instance/inst%2F1/start');
  t.same(JSON.parse(start!.body), { timestamp: '2026-02-03T04:05:06.000Z', idempotency_key: start!.headers['idempotency-key'] });
  t.equal(finish!.path, '/api/v1/agent_instance/inst_1/finish');
  t.same(JSON.parse(finish!.body), { status: 'complete', timestamp: '2026-02-03T04:05:07+01:00', idempotency_key: 'finish-key-1' });
  t.equal(finish!.headers['idempotency-key'], 'finish-key-1');
  t.same(Object.keys(JSON.parse(bareStart!.body)), ['idempotency_key']);
  t.same(Object.keys(JSON.parse(bareFinish!.body)), ['idempotency_key']);
});

t.test('agentInstances.get() and .list() GET without a key', async (t) => {
  const { server, client } = await setup(t);
  t.same(await client.agentInstances.get('inst_1'), instanceSample);
  server.reply(success([instanceSample, { ...instanceSample, id: 'x', extra_field: 1 }]));
  const list = await client.agentInstances.list();
  t.equal(list.length, 2);
  t.equal((list[1] as Record<string, unknown>).extra_field, 1, 'extra fields are kept');
  t.same(server.requests.map((r) => `${r.method} ${r.path} ${r.headers['idempotency-key']}`), [
    'GET /api/v1/agent_instance/inst_1 undefined',
    'GET /api/v1/agent_instance undefined',
  ]);
});

t.test('agentInstances refuse bad arguments before sending, naming the field', async (t) => {
  const { server, client } = await setup(t);
  const register = client.agentInstances.register({ agent_id: '', agent_version: {}, agent_schema_version: {} });
  await t.rejects(register, { name: 'PrefactorClientError', code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /^Invalid argument to agentInstances\.register\(\): agent_id: Too small/ });
  await t.rejects(client.agentInstances.start('i', { timestamp: 'yesterday' }), { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /timestamp: / });
  await t.rejects(client.agentInstances.finish('i', { status: 'done' as never }), { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /status: / });
  await t.rejects(client.agentInstances.finish('i', { idempotency_key: 'k'.repeat(65) }), { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /idempotency_key: Too big/ });
  await t.rejects(client.agentInstances.get(''), PrefactorClientError);
  await t.rejects(client.agentInstances.start(undefined as never), { message: /`id` must be a non-empty string, got undefined/ });
  await t.rejects(client.agentInstances.finish(null as never), { message: /got null/ });
  t.equal(server.requests.length, 0);
});

t.test('agentInstances reject a response that is not an instance', async (t) => {
  const { server, client } = await setup(t);
  server.reply(success({ ...instanceSample, status: 'exploded' }));
  await t.rejects(client.agentInstances.get('i'), PrefactorResponseContractError);
  t.equal(server.requests.length, 1);
});

t.test('agentInstances.register() without agent_id leaves it out (a deployment-scoped token decides the agent)', async (t) => {
  const { server, client } = await setup(t);
  await client.agentInstances.register({ agent_version: { name: 'v1' }, agent_schema_version: {} });
  const body = JSON.parse(server.requests[0]!.body) as Record<string, unknown>;
  t.notOk('agent_id' in body);
});

t.test('agentInstances.recordQuality() posts {name, payload, idempotency_key} and answers the instance', async (t) => {
  const { server, client } = await setup(t);
  const instance = await client.agentInstances.recordQuality('inst/1', { name: 'helpfulness', payload: { score: 0.9 }, idempotencyKey: 'quality-key-1' });
  t.same(instance, instanceSample);
  await client.agentInstances.recordQuality('inst-1', { name: 'helpfulness', payload: null });
  const [first, second] = server.requests;
  t.equal(first!.path, '/api/v1/agent_instance/inst%2F1/record_quality');
  t.same(JSON.parse(first!.body), { name: 'helpfulness', payload: { score: 0.9 }, idempotency_key: 'quality-key-1' });
  t.equal(first!.headers['idempotency-key'], 'quality-key-1');
  const removal = JSON.parse(second!.body) as Record<string, unknown>;
  t.equal(removal.payload, null, 'null removes the name');
  t.type(removal.idempotency_key, 'string', 'a key is generated');
  await t.rejects(client.agentInstances.recordQuality('inst-1', { name: '', payload: {} }), PrefactorClientError);
  await t.rejects(client.agentInstances.recordQuality('inst-1', { name: 'q' } as never), PrefactorClientError);
  await t.rejects(client.agentInstances.recordQuality('', { name: 'q', payload: null }), PrefactorClientError);
  await t.rejects(client.agentInstances.recordQuality('inst-1', undefined as never), PrefactorClientError, 'no params from a JS caller');
});

t.test('client.generateIdempotencyKey() makes keys the API accepts, with the configured prefix', async (t) => {
  const client = new PrefactorHttpClient({ apiUrl: 'http://127.0.0.1:9', apiToken: 'secret-token', defaultIdempotencyKey: 'run-7' });
  t.teardown(() => client.close());
  const [a, b] = [client.generateIdempotencyKey(), client.generateIdempotencyKey()];
  t.match(a, /^run-7/);
  t.not(a, b);
  t.ok(a.length >= 8 && a.length <= 64);
});

t.test('AgentInstance answers parse with or without agent_deployment_id, and with status terminated', async (t) => {
  const server = await withRawServer(t, success({ ...instanceSample, agent_deployment_id: 'dep-1', status: 'terminated', termination_reason: 'stop', quality_payloads: { q: { s: 1 } } }));
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: 'secret-token' });
  t.teardown(() => client.close());
  t.match(await client.agentInstances.get('inst-1'), { agent_deployment_id: 'dep-1', status: 'terminated', termination_reason: 'stop' });
});
