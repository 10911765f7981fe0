import t from 'tap';
import { PrefactorApiError, PrefactorAuthError, PrefactorNotFoundError, PrefactorValidationError } from '../../src/http/errors.js';
import { isPrefactorId } from '../../src/util/ids.js';
import { AgentInstance, AgentSpan } from '../../src/models/index.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: { external_identifier: 's1' } };

t.test('GET /api/v1/ping answers pong to an authenticated client', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  t.same(await client.request('GET', '/api/v1/ping'), { status: 'success', details: { pong: true } });
  t.equal(await client.validateToken(), true);
});

t.test('requests without the bearer token are 401 unauthorized', async (t) => {
  const server = await withServer(t, { token: 'right-token' });
  const client = clientFor(t, server, { apiToken: 'wrong-token' });
  t.equal(await client.validateToken(), false);
  const error = await client.agentInstances.register(REGISTER).catch((e: unknown) => e);
  t.ok(error instanceof PrefactorAuthError);
  t.match(error, { statusCode: 401, code: 'ERR_PREFACTOR_AUTH', apiCode: 'unauthorized' });
  t.same(server.instances(), [], 'nothing applied');
  const bare = await fetch(`${server.url}/api/v1/ping`);
  t.equal(bare.status, 401);
});

t.test('register, start, finish and get return full AgentInstance shapes', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const registered = await client.agentInstances.register(REGISTER);
  t.ok(AgentInstance.safeParse(registered).success);
  t.ok(isPrefactorId(registered.id));
  t.match(registered, { type: 'agent_instance', agent_id: 'agent-1', status: 'pending', account_id: 'local', environment_id: 'local', started_at: null });
  t.same(registered.span_counts, { total: 0, pending: 0, active: 0, complete: 0, failed: 0, cancelled: 0, finished: 0 });
  const started = await client.agentInstances.start(registered.id, { timestamp: '2026-01-01T00:00:00.000Z' });
  t.match(started, { status: 'active', started_at: '2026-01-01T00:00:00.000Z' });
  const finished = await client.agentInstances.finish(registered.id, { status: 'failed' });
  t.match(finished, { status: 'failed' });
  t.ok(finished.finished_at);
  t.match(await client.agentInstances.get(registered.id), { id: registered.id, status: 'failed' });
  const second = await client.agentInstances.register({ ...REGISTER, environment_id: 'prod' });
  t.equal(second.agent_version_id, registered.agent_version_id, 'the same agent version keeps its id');
  t.equal(second.environment_id, 'prod');
  const unnamed = await client.agentInstances.register({ ...REGISTER, agent_version: {} });
  t.not(unnamed.agent_version_id, registered.agent_version_id, 'another agent version gets another id');
  const listed = (await client.agentInstances.list()).slice(1);
  t.same(listed.map((i) => i.id), [second.id, registered.id], 'newest first');
});

t.test('an agent id in the API format gives instance and span ids its partition', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const agentId = '01m84qqfsxbdqk5vzvqc5pyg0w6t1gme';
  const instance = await client.agentInstances.register({ ...REGISTER, agent_id: agentId });
  t.equal(instance.id.slice(10, 16), agentId.slice(10, 16));
  const span = await client.agentSpans.create({ agent_instance_id: instance.id, schema_name: 's', status: 'active' });
  t.equal(span.id.slice(10, 16), agentId.slice(10, 16));
});

t.test('span create and finish return full AgentSpan shapes and keep span_counts current', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const root = await client.agentSpans.create({ agent_instance_id: id, schema_name: 'agent:run', status: 'active', payload: { q: 1 } });
  t.ok(AgentSpan.safeParse(root).success);
  t.match(root, { type: 'agent_span', agent_instance_id: id, agent_id: 'agent-1', parent_span_id: null, status: 'active', payload: { q: 1 }, finished_at: null });
  t.ok(root.started_at);
  t.equal(root.control, undefined, 'no control before a terminate');
  const pending = await client.agentSpans.create({ agent_instance_id: id, parent_span_id: root.id, schema_name: 'tool', status: 'pending' });
  t.equal(pending.started_at, null);
  const done = await client.agentSpans.create({
    agent_instance_id: id,
    parent_span_id: root.id,
    schema_name: 'llm',
    status: 'complete',
    result_payload: { text: 'hi' },
  });
  t.ok(done.finished_at, 'a span created complete gets finished_at');
  const finished = await client.agentSpans.finish(root.id, { status: 'failed', result_payload: { error: 'x' } });
  t.match(finished, { status: 'failed', result_payload: { error: 'x' } });
  const plain = await client.agentSpans.finish(pending.id);
  t.match(plain, { status: 'complete', result_payload: null });
  t.same((await client.agentInstances.get(id)).span_counts, { total: 3, pending: 0, active: 0, complete: 2, failed: 1, cancelled: 0, finished: 3 });
  const listed = await client.agentSpans.list(id);
  t.same(listed.map((s) => s.id), [root.id, pending.id, done.id], 'creation order');
});

t.test('a span may be created finished with finished_at given (coalesced create+finish)', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const span = await client.agentSpans.create({
    agent_instance_id: id,
    schema_name: 'llm',
    status: 'cancelled',
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.000Z',
  });
  t.match(span, { status: 'cancelled', started_at: '2026-01-01T00:00:00.000Z', finished_at: '2026-01-01T00:00:01.000Z' });
});

t.test('unknown routes and unknown ids are 404 not_found', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  for (const [method, path] of [
    ['GET', '/api/v1/nothing'],
    ['POST', '/api/v1/agent_instance'],
    ['GET', '/api/v1/agent_instance/x/y/z'],
    ['GET', '/elsewhere'],
    ['DELETE', '/api/v1/agent_spans/%E0%A4%A/finish'],
  ] as const) {
    const error = await client.request(method, path).catch((e: unknown) => e);
    t.ok(error instanceof PrefactorNotFoundError, `${method} ${path}`);
    t.match(error, { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
  }
  await t.rejects(client.agentInstances.get('missing'), { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
  await t.rejects(client.agentInstances.start('missing'), { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
  await t.rejects(client.agentInstances.finish('missing'), { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
  await t.rejects(client.agentSpans.finish('missing'), { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
  await t.rejects(client.agentSpans.list('missing'), { statusCode: 404, code: 'ERR_PREFACTOR_NOT_FOUND', apiCode: 'not_found' });
});

t.test('invalid bodies are 422 validation_error with a field -> message errors map', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const register = await client.request('POST', '/api/v1/agent_instance/register', { json: { agent_id: 5, agent_version: 'v1' } }).catch((e: unknown) => e);
  t.ok(register instanceof PrefactorValidationError);
  t.match(register, { statusCode: 422, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'validation_error', errors: { agent_id: String, agent_version: String } });
  const { id } = await client.agentInstances.register(REGISTER);
  const span = await client
    .request('POST', '/api/v1/agent_spans', { json: { details: { agent_instance_id: id, schema_name: 'x', status: 'done' } } })
    .catch((e: unknown) => e);
  t.match(span, { statusCode: 422, errors: { 'details.status': /expected one of/ } });
  const notObject = await client.request('POST', '/api/v1/agent_spans', { body: '[1]' }).catch((e: unknown) => e);
  t.match(notObject, { statusCode: 422, errors: { body: 'Expected a JSON object' } });
  const badJson = await client.request('POST', '/api/v1/agent_spans', { body: '{"details":' }).catch((e: unknown) => e);
  t.match(badJson, { statusCode: 400, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'invalid_json' });
  const badStart = await client
    .request('POST', `/api/v1/agent_instance/${id}/start`, { json: { timestamp: 'yesterday' } })
    .catch((e: unknown) => e);
  t.match(badStart, { statusCode: 422, errors: { timestamp: String } });
  const noQuery = await client.request('GET', '/api/v1/agent_spans').catch((e: unknown) => e);
  t.match(noQuery, { statusCode: 422, errors: { agent_instance_id: 'Required' } });
});

t.test('an empty POST body is an empty object', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const response = await fetch(`${server.url}/api/v1/agent_instance/${id}/start`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
  });
  t.equal(response.status, 200);
  t.equal(server.instance(id)?.status, 'active');
});

t.test('span create checks its instance (404) and parent (422) and span ids (409)', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const other = await client.agentInstances.register(REGISTER);
  await t.rejects(client.agentSpans.create({ agent_instance_id: 'nope', schema_name: 's', status: 'active' }), {
    statusCode: 404,
    apiCode: 'not_found',
    message: /No agent instance with id nope/,
  });
  const foreign = await client.agentSpans.create({ agent_instance_id: other.id, schema_name: 's', status: 'active' });
  await t.rejects(client.agentSpans.create({ agent_instance_id: id, parent_span_id: foreign.id, schema_name: 's', status: 'active' }), {
    statusCode: 422,
    code: 'ERR_PREFACTOR_VALIDATION',
    apiCode: 'validation_error',
    errors: { 'details.parent_span_id': /no span/ },
  });
  const mine = await client.agentSpans.create({ id: 'span-id-1', agent_instance_id: id, schema_name: 's', status: 'active' });
  t.equal(mine.id, 'span-id-1', 'a client-supplied id is kept');
  const dup = await client.agentSpans.create({ id: 'span-id-1', agent_instance_id: id, schema_name: 's', status: 'active' }).catch((e: unknown) => e);
  t.ok(dup instanceof PrefactorApiError);
  t.match(dup, { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'already_exists' });
  await t.rejects(client.agentInstances.register({ ...REGISTER, id }), { statusCode: 409, code: 'ERR_PREFACTOR_API', apiCode: 'already_exists' });
});
