import { join } from 'node:path';
import t from 'tap';
import { renderSpanTree, startLocalServer } from '../../src/server/index.js';
import { withServer } from '../fixtures/server.js';

/** The local server as tolerant as the API it stands in for (issue #10), and the rules it keeps. */

const REGISTER = { agent_version: { name: 'v1' }, agent_schema_version: {} };

function poster(url: string, token = 'dev-token') {
  return async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/api/v1/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
}

t.test('a deployment-scoped token registers its own agent without agent_id and refuses another agent (403)', async (t) => {
  const server = await withServer(t, { token: 'scoped', agentId: 'agent-a', agentDeploymentId: 'dep-a' });
  t.equal(server.agentId, 'agent-a');
  t.equal(server.agentDeploymentId, 'dep-a');
  const post = poster(server.url, 'scoped');
  t.match(await post('agent_instance/register', REGISTER), { status: 200, body: { details: { agent_id: 'agent-a', agent_deployment_id: 'dep-a' } } });
  t.match(await post('agent_instance/register', { ...REGISTER, agent_id: 'agent-a' }), { status: 200 });
  const other = await post('agent_instance/register', { ...REGISTER, agent_id: 'agent-b' });
  t.match(other, { status: 403, body: { code: 'forbidden', message: /belongs to agent agent-a \(deployment dep-a\), not agent-b/ } });
  const bulk = await post('bulk', { items: [{ _type: 'agent_instances/register', idempotency_key: 'reg-key-01', ...REGISTER, agent_id: 'agent-b' }] });
  t.match(bulk.body.outputs['reg-key-01'], { status: 'error', code: 'forbidden' });
  t.equal(server.instances().length, 2);
});

t.test('the default token is account-wide: the default agent without agent_id, any named agent in a deployment of its own, kept across a restart', async (t) => {
  const dataFile = join(t.testdir(), 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  const post = poster(first.url);
  t.match(await post('agent_instance/register', REGISTER), { body: { details: { agent_id: 'local-agent', agent_deployment_id: 'local-deployment' } } });
  const b1 = (await post('agent_instance/register', { ...REGISTER, agent_id: 'agent-b' })).body.details;
  const b2 = (await post('agent_instance/register', { ...REGISTER, agent_id: 'agent-b' })).body.details;
  t.not(b1.agent_deployment_id, 'local-deployment');
  t.equal(b2.agent_deployment_id, b1.agent_deployment_id, 'one deployment per agent');
  await first.close();
  const second = await withServer(t, { dataFile });
  const b3 = (await poster(second.url)('agent_instance/register', { ...REGISTER, agent_id: 'agent-b' })).body.details;
  t.equal(b3.agent_deployment_id, b1.agent_deployment_id, 'the deployment survives a restart');
});

t.test('startLocalServer checks agentId and agentDeploymentId', async (t) => {
  await t.rejects(startLocalServer({ agentId: '' }), { message: /`agentId`/ });
  await t.rejects(startLocalServer({ agentDeploymentId: '' }), { message: /`agentDeploymentId`/ });
});

t.test('the idempotency key: body top level, then details, then the Idempotency-Key header', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  const { id } = (await post('agent_instance/register', REGISTER)).body.details;
  const details = { agent_instance_id: id, schema_name: 's', status: 'active' };
  const keys: Array<string | null> = [];
  server.on('request', (info) => keys.push(info.idempotencyKey));
  await post('agent_spans', { details: { ...details, idempotency_key: 'inner' }, idempotency_key: 'outer' }, { 'idempotency-key': 'header' });
  await post('agent_spans', { details: { ...details, idempotency_key: 'inner' } }, { 'idempotency-key': 'header' });
  await post('agent_spans', { details }, { 'idempotency-key': 'header' });
  t.same(keys, ['outer', 'inner', 'header']);
  t.equal(server.spans(id).length, 3);
  const replay = await post('agent_spans', { details, idempotency_key: 'inner' });
  t.equal(replay.status, 200);
  t.equal(server.spans(id).length, 3, 'a key given in details or at the top level is the same key');
});

t.test('single endpoints take any key of 1 to 64 characters; bulk items keep 8 to 64', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  t.equal((await post('agent_instance/register', { ...REGISTER, idempotency_key: 'k' })).status, 200);
  const long = await post('agent_instance/register', { ...REGISTER, idempotency_key: 'k'.repeat(65) });
  t.match(long, { status: 422, body: { errors: { idempotency_key: String } } });
  t.match(await post('agent_instance/register', REGISTER, { 'idempotency-key': 'k'.repeat(65) }), { status: 422 });
  t.match(await post('agent_instance/register', { ...REGISTER, details: { idempotency_key: '' } }), { status: 422 });
  const bulk = await post('bulk', { items: [{ _type: 'agent_instances/register', idempotency_key: 'short', ...REGISTER }] });
  t.match(bulk, { status: 422, body: { errors: { 'items.0.idempotency_key': String } } });
});

t.test('timestamps without an offset are read as UTC; other malformed ones are still 422', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  const { id } = (await post('agent_instance/register', REGISTER)).body.details;
  const span = await post('agent_spans', { details: { agent_instance_id: id, schema_name: 's', status: 'complete', started_at: '2026-01-02T03:04:05', finished_at: '2026-01-02T03:04:06.5+02:00' } });
  t.match(span.body.details, { started_at: '2026-01-02T03:04:05Z', finished_at: '2026-01-02T03:04:06.5+02:00' });
  t.match(await post(`agent_instance/${id}/start`, { timestamp: '2026-01-02' }), { status: 422, body: { errors: { timestamp: String } } });
});

t.test('record_quality: 404 for an unknown instance, idempotent, in bulk, shown by view', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  t.match(await post('agent_instance/nope/record_quality', { name: 'q', payload: {} }), { status: 404, body: { code: 'not_found' } });
  const { id } = (await post('agent_instance/register', REGISTER)).body.details;
  t.match(await post(`agent_instance/${id}/record_quality`, { name: '', payload: {} }), { status: 422, body: { errors: { name: String } } });
  t.match(await post(`agent_instance/${id}/record_quality`, { name: 'q', payload: [1] }), { status: 422, body: { errors: { payload: String } } });
  const first = await post(`agent_instance/${id}/record_quality`, { name: 'q', payload: { score: 1 }, idempotency_key: 'quality-1' });
  t.same(await post(`agent_instance/${id}/record_quality`, { name: 'q', payload: { score: 1 }, idempotency_key: 'quality-1' }), first);
  t.match(await post(`agent_instance/${id}/record_quality`, { name: 'q', payload: { score: 2 }, idempotency_key: 'quality-1' }), { status: 422, body: { code: 'idempotency_conflict' } });
  const bulk = await post('bulk', { items: [{ _type: 'agent_instances/record_quality', idempotency_key: 'quality-2', agent_instance_id: id, name: 'tone', payload: { ok: true } }] });
  t.match(bulk.body.outputs['quality-2'], { status: 'success', details: { quality_payloads: { q: { score: 1 }, tone: { ok: true } } } });
  const text = renderSpanTree(server.tree(id), { instance: server.instance(id)! });
  t.match(text, /quality q {2}\{"score":1\}\nquality tone {2}\{"ok":true\}/);
});

t.test('a register may leave out every field; a span create without details or with null details is 422', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  t.match(await post('agent_instance/register', {}), { status: 200, body: { details: { agent_id: 'local-agent' } } });
  t.match(await post('agent_spans', {}), { status: 422, body: { errors: { details: String } } });
  t.match(await post('agent_spans', { details: null }), { status: 422, body: { errors: { details: String } } });
});

t.test('a span create on an unknown instance is 404 not_found, in bulk too', async (t) => {
  const server = await withServer(t);
  const post = poster(server.url);
  t.match(await post('agent_spans', { details: { agent_instance_id: 'nope', schema_name: 's', status: 'active' } }), { status: 404, body: { code: 'not_found' } });
  const bulk = await post('bulk', { items: [{ _type: 'agent_spans/create', idempotency_key: 'span-key-1', agent_instance_id: 'nope', schema_name: 's', status: 'active' }] });
  t.match(bulk.body.outputs['span-key-1'], { status: 'error', code: 'not_found' });
});
