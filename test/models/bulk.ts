import t from 'tap';
import { BulkItem, BulkItemType, BulkOutput, BulkRequest, BulkResponse } from '../../src/models/bulk.js';

t.test('BulkRequest needs at least one item with unique 8-64 character keys', async (t) => {
  t.ok(BulkRequest.safeParse({ items: [{ _type: 'agent_instances/start', idempotency_key: 'key-00001', agent_instance_id: 'i' }] }).success);
  t.notOk(BulkRequest.safeParse({ items: [] }).success);
  const duplicate = BulkRequest.safeParse({ items: [{ _type: 'a', idempotency_key: 'key-00001' }, { _type: 'b', idempotency_key: 'key-00001' }] });
  t.notOk(duplicate.success);
  t.same(duplicate.error!.issues[0]!.path, ['items', 1, 'idempotency_key']);
  t.notOk(BulkRequest.safeParse({ items: [{ _type: 'a', idempotency_key: 'key-00001' }], idempotency_key: 'short' }).success);
});

t.test('BulkItem keeps the operation fields', async (t) => {
  t.same(BulkItem.parse({ _type: 'agent_spans/finish', idempotency_key: 'key-00001', agent_span_id: 's' }), {
    _type: 'agent_spans/finish',
    idempotency_key: 'key-00001',
    agent_span_id: 's',
  });
  t.notOk(BulkItem.safeParse({ idempotency_key: 'key-00001' }).success);
  t.ok(BulkItemType.safeParse('agent_spans/create').success);
  t.notOk(BulkItemType.safeParse('agents/list').success);
});

t.test('BulkResponse defaults status and parses success and error outputs', async (t) => {
  const parsed = BulkResponse.parse({ outputs: { a: { status: 'success', details: {} }, b: { status: 'error', code: 'x', message: 'y' } } });
  t.equal(parsed.status, 'success');
  t.equal(parsed.outputs.b!.status, 'error');
  t.notOk(BulkOutput.safeParse({ status: 'partial' }).success);
  t.notOk(BulkResponse.safeParse({ status: 'success' }).success);
});
