import t from 'tap';
import { withServer } from '../fixtures/server.js';

/**
 * The request shapes of the official Python client (`prefactor_http` 0.4, `prefactor_core` 0.5),
 * sent over raw HTTP as it sends them: what today's API accepts, the local server must accept.
 */

const post = async (url: string, path: string, body: unknown, token = 'dev-token') => {
  const response = await fetch(`${url}/api/v1/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { status: string; details: Record<string, unknown>; outputs?: Record<string, { status: string; details?: Record<string, unknown> }> } };
};

/** Python's `datetime.now().isoformat()`: microseconds, no offset. */
const naive = (date: Date) => date.toISOString().replace('Z', '123');

t.test('a Python client session: register without agent_id, naive timestamps, span key inside details, record_quality, flat bulk item', async (t) => {
  const server = await withServer(t, { token: 'deploy-token', agentId: 'agent-py', agentDeploymentId: 'dep-py' });
  const url = server.url;
  const registered = await post(url, 'agent_instance/register', {
    agent_version: { name: 'Py agent', external_identifier: 'v1.0.0', description: '' },
    agent_schema_version: { external_identifier: 'v1.0.0', span_type_schemas: [] },
    update_current_version: true,
    idempotency_key: 'reg-1',
  }, 'deploy-token');
  t.equal(registered.status, 200);
  t.match(registered.body.details, { agent_id: 'agent-py', agent_deployment_id: 'dep-py', status: 'pending' });
  const id = registered.body.details.id as string;

  const started = await post(url, `agent_instance/${id}/start`, { timestamp: naive(new Date('2026-03-01T10:00:00.000Z')) }, 'deploy-token');
  t.equal(started.status, 200);
  t.equal(started.body.details.started_at, '2026-03-01T10:00:00.000123Z', 'a naive timestamp is read as UTC');

  const create = {
    details: { agent_instance_id: id, schema_name: 'agent:llm', status: 'active', payload: { model: 'm' }, started_at: naive(new Date()), idempotency_key: 'span-k1' },
  };
  const first = await post(url, 'agent_spans', create, 'deploy-token');
  const retried = await post(url, 'agent_spans', create, 'deploy-token');
  t.equal(first.status, 200);
  t.same(retried.body, first.body, 'a retried create with its key inside details is replayed, not stored twice');
  t.equal(server.spans(id).length, 1);

  const finished = await post(url, `agent_spans/${first.body.details.id as string}/finish`, { status: 'complete', result_payload: { text: 'ok' }, timestamp: naive(new Date()) }, 'deploy-token');
  t.equal(finished.status, 200);

  const quality = await post(url, `agent_instance/${id}/record_quality`, { name: 'helpfulness', payload: { score: 0.9 }, idempotency_key: 'q-1' }, 'deploy-token');
  t.equal(quality.status, 200);
  t.same(quality.body.details.quality_payloads, { helpfulness: { score: 0.9 } });
  const second = await post(url, `agent_instance/${id}/record_quality`, { name: 'accuracy', payload: { score: 1 } }, 'deploy-token');
  t.same(second.body.details.quality_payloads, { helpfulness: { score: 0.9 }, accuracy: { score: 1 } });
  const removed = await post(url, `agent_instance/${id}/record_quality`, { name: 'helpfulness', payload: null }, 'deploy-token');
  t.same(removed.body.details.quality_payloads, { accuracy: { score: 1 } }, 'payload null removes that name only');

  const bulk = await post(url, 'bulk', {
    items: [{ _type: 'agent_spans/create', idempotency_key: 'create-span-001', agent_instance_id: id, schema_name: 'agent:llm', status: 'active' }],
  }, 'deploy-token');
  t.equal(bulk.status, 200);
  t.match(bulk.body.outputs!['create-span-001'], { status: 'success', details: { schema_name: 'agent:llm', agent_instance_id: id } });

  const done = await post(url, `agent_instance/${id}/finish`, { status: 'complete' }, 'deploy-token');
  t.match(done.body.details, { status: 'complete', agent_deployment_id: 'dep-py' });
  t.equal(server.spans(id).length, 2);
});
