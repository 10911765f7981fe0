import t from 'tap';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { external_identifier: 'v1' }, agent_schema_version: {} };

t.test('the instance state machine: pending -> active -> finished, anything else 409 invalid_action', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  await client.agentInstances.start(id);
  await t.rejects(client.agentInstances.start(id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action', message: /only a pending instance/ });
  const finished = await client.agentInstances.finish(id);
  t.equal(finished.status, 'complete', 'finish defaults to complete');
  await t.rejects(client.agentInstances.finish(id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action' });
  await t.rejects(client.agentInstances.start(id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action' });
  const pending = await client.agentInstances.register(REGISTER);
  t.equal((await client.agentInstances.finish(pending.id, { status: 'cancelled' })).status, 'cancelled', 'a pending instance may finish');
});

t.test('the span state machine: finishing a finished span is 409 invalid_action', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const span = await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'complete' });
  await t.rejects(client.agentSpans.finish(span.id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action', message: /already complete/ });
  const active = await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active', result_payload: { a: 1 } });
  t.same((await client.agentSpans.finish(active.id)).result_payload, { a: 1 }, 'an earlier result is kept');
  await t.rejects(client.agentSpans.finish(active.id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action' });
});

t.test('.terminate() cancels the instance and marks every later span response with control', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  await client.agentInstances.start(id);
  const open = await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active' });
  t.equal(server.terminate(id, 'budget exceeded'), true);
  t.match(server.instance(id), { status: 'cancelled', termination_reason: 'budget exceeded' });
  t.ok(server.instance(id)?.finished_at);
  const control = { terminate: true, reason: 'budget exceeded' };
  t.same((await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active' })).control, control);
  t.same((await client.agentSpans.finish(open.id)).control, control);
  await t.rejects(client.agentInstances.finish(id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action' });
  t.match(await client.agentInstances.get(id), { status: 'cancelled', termination_reason: 'budget exceeded' });
});

t.test('.terminate() of a finished instance keeps its status and still sends control', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  await client.agentInstances.finish(id, { status: 'failed', timestamp: '2026-01-01T00:00:00.000Z' });
  server.terminate(id);
  t.match(server.instance(id), { status: 'failed', finished_at: '2026-01-01T00:00:00.000Z', termination_reason: 'terminated' });
  t.same((await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active' })).control, { terminate: true, reason: 'terminated' });
});

t.test('.terminate() of an id not registered yet applies when it registers', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  t.equal(server.terminate('future-instance', 'not wanted'), false);
  const instance = await client.agentInstances.register({ ...REGISTER, id: 'future-instance' });
  t.match(instance, { status: 'cancelled', termination_reason: 'not wanted' });
  await t.rejects(client.agentInstances.start(instance.id), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'invalid_action' });
});

t.test('span_counts move spans between statuses and count finished ones', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const a = await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'pending' });
  await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active' });
  t.match(server.instance(id)?.span_counts, { total: 2, pending: 1, active: 1, finished: 0 });
  await client.agentSpans.finish(a.id, { status: 'cancelled' });
  t.same(server.instance(id)?.span_counts, { total: 2, pending: 0, active: 1, complete: 0, failed: 0, cancelled: 1, finished: 1 });
});
