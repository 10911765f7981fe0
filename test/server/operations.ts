import t from 'tap';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };

t.test('a repeated idempotency key replays the stored response without applying twice', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const first = await client.agentInstances.register({ ...REGISTER, idempotency_key: 'register-key-1' });
  const again = await client.agentInstances.register({ ...REGISTER, idempotency_key: 'register-key-1' });
  t.same(again, first);
  t.equal(server.instances().length, 1);
  const created: string[] = [];
  server.on('span', (span, change) => created.push(`${change} ${span.id}`));
  const params = { agent_instance_id: first.id, schema_name: 's', status: 'active' as const, idempotency_key: 'span-key-0001' };
  const span = await client.agentSpans.create(params);
  t.same(await client.agentSpans.create(params), span);
  await client.agentSpans.finish(span.id, { idempotency_key: 'finish-key-01' });
  const replayed = await client.agentSpans.finish(span.id, { idempotency_key: 'finish-key-01' });
  t.equal(replayed.status, 'complete', 'a replayed finish is not a 409');
  t.same(created, [`created ${span.id}`, `finished ${span.id}`]);
  t.equal(server.spans(first.id).length, 1);
});

t.test('the Idempotency-Key header is the key when the body has none', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const keys: Array<string | null> = [];
  server.on('request', (info) => keys.push(info.idempotencyKey));
  const send = () =>
    fetch(`${server.url}/api/v1/agent_instance/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'idempotency-key': 'header-key-1' },
      body: JSON.stringify(REGISTER),
    }).then((r) => r.json() as Promise<{ details: { id: string } }>);
  const first = await send();
  const second = await send();
  t.equal(second.details.id, first.details.id);
  t.equal(server.instances().length, 1);
  t.same(keys, ['header-key-1', 'header-key-1']);
  const unkeyed = await fetch(`${server.url}/api/v1/agent_instance/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify(REGISTER),
  });
  t.equal(unkeyed.status, 200, 'a request without a key is applied');
  t.equal(server.instances().length, 2);
  await client.agentInstances.list();
  t.equal(keys.at(-1), null, 'GET has no key');
});

t.test('the same key with a different body is 422 idempotency_conflict', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register({ ...REGISTER, idempotency_key: 'register-key-2' });
  await t.rejects(client.agentInstances.register({ ...REGISTER, agent_id: 'other', idempotency_key: 'register-key-2' }), {
    statusCode: 422,
    code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'idempotency_conflict',
  });
  await client.agentInstances.start(id, { idempotency_key: 'start-key-01' });
  const other = await client.agentInstances.register(REGISTER);
  await t.rejects(client.agentInstances.start(other.id, { idempotency_key: 'start-key-01' }), { code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'idempotency_conflict' });
});

t.test('keys are scoped per route: the same key on another route is a new request', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register({ ...REGISTER, idempotency_key: 'shared-key-1' });
  const started = await client.agentInstances.start(id, { idempotency_key: 'shared-key-1' });
  t.equal(started.status, 'active');
});

t.test('a client-supplied id with the same key replays; under another key it is 409', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const params = { id: 'my-span-0001', agent_instance_id: id, schema_name: 's', status: 'active' as const };
  const first = await client.agentSpans.create({ ...params, idempotency_key: 'span-key-aaaa' });
  t.same(await client.agentSpans.create({ ...params, idempotency_key: 'span-key-aaaa' }), first);
  await t.rejects(client.agentSpans.create({ ...params, idempotency_key: 'span-key-bbbb' }), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'already_exists' });
});

t.test('errors are not stored: the same key is evaluated again', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const params = { agent_instance_id: id, parent_span_id: 'later-span', schema_name: 's', status: 'active' as const, idempotency_key: 'span-key-cccc' };
  await t.rejects(client.agentSpans.create(params), { statusCode: 422, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'validation_error' });
  await client.agentSpans.create({ id: 'later-span', agent_instance_id: id, schema_name: 'p', status: 'active' });
  const child = await client.agentSpans.create(params);
  t.equal(child.parent_span_id, 'later-span');
});
