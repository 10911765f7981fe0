import t from 'tap';
import { BulkRequest } from '../../src/models/index.js';
import { issuesToErrors } from '../../src/server/responses.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };

t.test('POST /api/v1/bulk runs every item type in order and maps outputs by item key', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const counts: number[] = [];
  server.on('request', (info) => info.itemCount !== undefined && counts.push(info.itemCount));
  const response = await client.bulk.execute({
    items: [
      { _type: 'agent_instances/register', idempotency_key: 'item-key-01', ...REGISTER, id: 'inst-1' },
      { _type: 'agent_instances/start', idempotency_key: 'item-key-02', agent_instance_id: 'inst-1' },
      { _type: 'agent_spans/create', idempotency_key: 'item-key-03', details: { id: 'span-1', agent_instance_id: 'inst-1', schema_name: 'a', status: 'active' } },
      { _type: 'agent_spans/create', idempotency_key: 'item-key-04', details: { agent_instance_id: 'inst-1', parent_span_id: 'span-1', schema_name: 'b', status: 'complete' } },
      { _type: 'agent_spans/finish', idempotency_key: 'item-key-05', agent_span_id: 'span-1', status: 'failed', result_payload: { e: 1 } },
      { _type: 'agent_instances/finish', idempotency_key: 'item-key-06', agent_instance_id: 'inst-1', status: 'failed' },
    ],
  });
  t.same(Object.keys(response.outputs), ['item-key-01', 'item-key-02', 'item-key-03', 'item-key-04', 'item-key-05', 'item-key-06']);
  for (const output of Object.values(response.outputs)) t.equal(output.status, 'success');
  t.match(response.outputs['item-key-05'], { details: { id: 'span-1', status: 'failed', result_payload: { e: 1 } } });
  t.match(response.outputs['item-key-06'], { details: { id: 'inst-1', status: 'failed', span_counts: { total: 2, failed: 1, complete: 1 } } });
  t.same(counts, [6]);
});

t.test('bulk stops at the first failing item; later items get no output and are not applied', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const response = await client.bulk.execute({
    items: [
      { _type: 'agent_spans/create', idempotency_key: 'item-key-11', details: { agent_instance_id: id, schema_name: 'a', status: 'active' } },
      { _type: 'agent_spans/create', idempotency_key: 'item-key-12', details: { agent_instance_id: id, schema_name: 'b' } },
      { _type: 'agent_spans/create', idempotency_key: 'item-key-13', details: { agent_instance_id: id, schema_name: 'c', status: 'active' } },
    ],
  });
  t.same(Object.keys(response.outputs), ['item-key-11', 'item-key-12']);
  t.match(response.outputs['item-key-12'], { status: 'error', code: 'validation_error', errors: { 'details.status': String } });
  t.same(server.spans(id).map((s) => s.schema_name), ['a']);
});

t.test('bulk answers unknown_action for an unknown _type and 409/404 outputs like the single endpoints', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const unknown = await client.bulk.execute({ items: [{ _type: 'agent_spans/delete', idempotency_key: 'item-key-21' }] });
  t.match(unknown.outputs['item-key-21'], { status: 'error', code: 'unknown_action' });
  await client.agentInstances.finish(id);
  const invalid = await client.bulk.execute({ items: [{ _type: 'agent_instances/finish', idempotency_key: 'item-key-22', agent_instance_id: id }] });
  t.match(invalid.outputs['item-key-22'], { status: 'error', code: 'invalid_action' });
  const missing = await client.bulk.execute({ items: [{ _type: 'agent_spans/finish', idempotency_key: 'item-key-23', agent_span_id: 'nope' }] });
  t.match(missing.outputs['item-key-23'], { status: 'error', code: 'not_found' });
  const noId = await client.bulk.execute({ items: [{ _type: 'agent_instances/start', idempotency_key: 'item-key-24' }] });
  t.match(noId.outputs['item-key-24'], { status: 'error', code: 'validation_error', errors: { agent_instance_id: String } });
});

t.test('bulk items replay per item type route, also against the single endpoints', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const details = { agent_instance_id: id, schema_name: 'a', status: 'active' as const };
  const single = await client.agentSpans.create({ ...details, idempotency_key: 'item-key-31' });
  const items = [
    { _type: 'agent_spans/create', idempotency_key: 'item-key-31', details },
    { _type: 'agent_spans/create', idempotency_key: 'item-key-32', details },
  ];
  const first = await client.bulk.execute({ items });
  t.same(first.outputs['item-key-31'], { status: 'success', details: single });
  const again = await client.bulk.execute({ items });
  t.same(again, first, 'a retried bulk gets the same outputs');
  t.equal(server.spans(id).length, 2);
  const conflict = await client.bulk.execute({ items: [{ ...items[0]!, details: { ...details, schema_name: 'other' } }] });
  t.match(conflict.outputs['item-key-31'], { status: 'error', code: 'idempotency_conflict' });
});

t.test('bulk bodies that break the envelope are 422 for the whole request', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const infos: Array<number | undefined> = [];
  server.on('request', (info) => infos.push(info.itemCount));
  await t.rejects(client.request('POST', '/api/v1/bulk', { json: { items: [] } }), { statusCode: 422, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'validation_error', errors: { items: String } });
  await t.rejects(
    client.request('POST', '/api/v1/bulk', {
      json: { items: [{ _type: 'agent_instances/start', idempotency_key: 'dup-key-01' }, { _type: 'agent_instances/start', idempotency_key: 'dup-key-01' }] },
    }),
    { statusCode: 422, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'validation_error', errors: { 'items.1.idempotency_key': /duplicate/ } },
  );
  await t.rejects(client.request('POST', '/api/v1/bulk', { body: 'null' }), { statusCode: 422, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'validation_error' });
  await t.rejects(client.request('POST', '/api/v1/bulk', { body: '{' }), { statusCode: 400, code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'invalid_json' });
  t.same(infos, [0, 2, 0, undefined]);
});

t.test('bulk envelope errors are exactly BulkRequest\'s, and nothing of a rejected request is applied', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const good = { _type: 'agent_spans/create', idempotency_key: 'good-key-01', details: { agent_instance_id: id, schema_name: 'a', status: 'active' } };
  const item = (fields: Record<string, unknown>) => ({ _type: 'agent_instances/start', idempotency_key: 'item-key-41', ...fields });
  const bodies: unknown[] = [
    {},
    [],
    'text',
    { items: 'x' },
    { items: [1] },
    { items: [null] },
    { items: [[]] },
    { items: [good, item({ _type: undefined })] },
    { items: [good, item({ _type: '' })] },
    { items: [good, item({ _type: 5 })] },
    { items: [good, item({ idempotency_key: undefined })] },
    { items: [good, item({ idempotency_key: 'short' })] },
    { items: [good, item({ idempotency_key: 'k'.repeat(65) })] },
    { items: [good, item({ idempotency_key: 12345678 })] },
    { items: [good], idempotency_key: 'short' },
    { items: [good], idempotency_key: 12345678 },
  ];
  for (const body of bodies) {
    const expected = issuesToErrors(BulkRequest.safeParse(body).error!.issues);
    const text = JSON.stringify(body);
    const error = (await client.request('POST', '/api/v1/bulk', { body: text }).catch((caught: unknown) => caught)) as { statusCode?: number; apiCode?: string; errors?: unknown };
    t.same({ statusCode: error.statusCode, apiCode: error.apiCode, errors: error.errors }, { statusCode: 422, apiCode: 'validation_error', errors: expected }, text);
  }
  t.same(server.spans(id), [], 'the valid item before a bad one was not applied');
});

t.test('bulk accepts every envelope BulkRequest accepts', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register(REGISTER);
  const details = { agent_instance_id: id, schema_name: 'a', status: 'active' };
  const bodies = [
    { items: [{ _type: 'agent_spans/create', idempotency_key: 'k'.repeat(8), details }], idempotency_key: null, extra: true },
    { items: [{ _type: 'agent_spans/create', idempotency_key: 'k'.repeat(64), details, extra: 1 }], idempotency_key: 'k'.repeat(64) },
  ];
  for (const body of bodies) {
    t.ok(BulkRequest.safeParse(body).success);
    const response = await client.request<{ outputs: Record<string, { status: string }> }>('POST', '/api/v1/bulk', { body: JSON.stringify(body) });
    t.match(Object.values(response.outputs), [{ status: 'success' }]);
  }
  t.equal(server.spans(id).length, 2);
});
