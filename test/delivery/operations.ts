import t from 'tap';
import {
  CREATE,
  DONE,
  INSTANCE_FINISH,
  OperationTable,
  QUEUED,
  REGISTER,
  SPAN_FINISH,
  START,
} from '../../src/delivery/operations.js';
import type { OperationKind } from '../../src/delivery/operations.js';
import { bulkItem as bulkItemOf } from '../../src/delivery/operations.js';
import { bulkItem, operation, singleRequest, TIMESTAMP } from '../fixtures/operations.js';
import { CHUNK_BYTES } from '../../src/delivery/text-arena.js';
import type { OperationFields, TestOperation } from '../fixtures/operations.js';

const op = (kind: OperationKind, fields: OperationFields = {}): TestOperation => operation(kind, fields, { id: 'id/1', instanceId: 'inst"1', key: 'key-12345' });

t.test('bulkItem() builds each item around the pre-serialised payloads', async (t) => {
  t.same(JSON.parse(bulkItem(op(REGISTER, { payload: '{"agent_id":"a"}' }))), {
    _type: 'agent_instances/register',
    idempotency_key: 'key-12345',
    agent_id: 'a',
  });
  t.same(JSON.parse(bulkItem(op(REGISTER, { payload: '{}' }))), { _type: 'agent_instances/register', idempotency_key: 'key-12345' });
  t.same(JSON.parse(bulkItem(op(START))), {
    _type: 'agent_instances/start',
    idempotency_key: 'key-12345',
    agent_instance_id: 'id/1',
    timestamp: '2026-01-01T00:00:00.000Z',
  });
  t.same(JSON.parse(bulkItem(op(INSTANCE_FINISH, { status: 'failed' }))), {
    _type: 'agent_instances/finish',
    idempotency_key: 'key-12345',
    agent_instance_id: 'id/1',
    status: 'failed',
    timestamp: '2026-01-01T00:00:00.000Z',
  });
  t.same(JSON.parse(bulkItem(op(CREATE, { schemaName: 'agent:"x"', payload: '{"a":[1]}', parentId: 'p' }))), {
    _type: 'agent_spans/create',
    idempotency_key: 'key-12345',
    details: {
      id: 'id/1',
      agent_instance_id: 'inst"1',
      parent_span_id: 'p',
      schema_name: 'agent:"x"',
      status: 'active',
      payload: { a: [1] },
      started_at: '2026-01-01T00:00:00.000Z',
    },
  });
  const coalesced = op(CREATE, { schemaName: 's', payload: '{}', status: 'complete', finishedAt: 'f', result: '{"r":1}' });
  t.same(JSON.parse(bulkItem(coalesced)).details, {
    id: 'id/1',
    agent_instance_id: 'inst"1',
    schema_name: 's',
    status: 'complete',
    payload: {},
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: 'f',
    result_payload: { r: 1 },
  });
  t.same(JSON.parse(bulkItem(op(SPAN_FINISH, { status: 'complete' }))), {
    _type: 'agent_spans/finish',
    idempotency_key: 'key-12345',
    agent_span_id: 'id/1',
    status: 'complete',
    timestamp: '2026-01-01T00:00:00.000Z',
  });
  t.same(JSON.parse(bulkItem(op(SPAN_FINISH, { status: 'failed', result: '{"e":1}' }))).result_payload, { e: 1 });
});

t.test('singleRequest() gives the path under /api/v1 and the body of the single endpoint', async (t) => {
  const cases: Array<[TestOperation, string, Record<string, unknown>]> = [
    [op(REGISTER, { payload: '{"agent_id":"a"}' }), 'agent_instance/register', { idempotency_key: 'key-12345', agent_id: 'a' }],
    [op(START), 'agent_instance/id%2F1/start', { idempotency_key: 'key-12345', timestamp: '2026-01-01T00:00:00.000Z' }],
    [
      op(INSTANCE_FINISH, { status: 'complete' }),
      'agent_instance/id%2F1/finish',
      { idempotency_key: 'key-12345', status: 'complete', timestamp: '2026-01-01T00:00:00.000Z' },
    ],
    [
      op(SPAN_FINISH, { status: 'complete' }),
      'agent_spans/id%2F1/finish',
      { idempotency_key: 'key-12345', status: 'complete', timestamp: '2026-01-01T00:00:00.000Z' },
    ],
  ];
  for (const [operation, path, body] of cases) {
    const request = singleRequest(operation);
    t.equal(request.path, path);
    t.same(JSON.parse(request.body), body);
  }
  const create = singleRequest(op(CREATE, { schemaName: 's', payload: '{}' }));
  t.equal(create.path, 'agent_spans');
  t.equal(JSON.parse(create.body).details.schema_name, 's');
});

t.test('an operation that is freed lets go of its texts: their chunk is reused or released', async (t) => {
  const table = new OperationTable('k');
  const big = 'x'.repeat(CHUNK_BYTES);
  const create = table.add(CREATE, 1, 'id-1', 'inst-1', undefined, 's', TIMESTAMP, `{"big":"${big}"}`);
  table.finish(create, 'complete', TIMESTAMP, '{}');
  const start = table.add(START, 2, 'inst-1', '', undefined, '', TIMESTAMP, '');
  const finish = table.add(INSTANCE_FINISH, 3, 'inst-1', '', undefined, '', TIMESTAMP, '');
  table.setDep(finish, start);
  t.equal(table.arena.chunks, 2, 'a chunk of its own for the large payload; one for the rest');
  table.free(create);
  t.equal(table.arena.chunks, 1, 'the large payload\'s chunk released at once');
  t.equal(table.depState(finish), QUEUED);
  table.free(start);
  t.equal(table.depState(finish), DONE, 'a freed slot reads as done to a dependant');
  table.free(finish);
  t.equal(table.arena.chunks, 1, 'the chunk written into stays for what comes next');
});

t.test('texts that are not ASCII are written one by one, each with its own UTF-8 length', async (t) => {
  const table = new OperationTable('k');
  const create = table.add(CREATE, 1, 'span-\u00e9', 'inst-✓', 'parent-1', 'agent:ü', TIMESTAMP, '{"a":"😀"}');
  table.finish(create, 'failed', 'finished-é', '{"r":"✓"}');
  table.keyNumber[create] = 1;
  t.same(JSON.parse(bulkItemOf(table, create)).details, {
    id: 'span-\u00e9',
    agent_instance_id: 'inst-✓',
    parent_span_id: 'parent-1',
    schema_name: 'agent:ü',
    status: 'failed',
    payload: { a: '😀' },
    started_at: TIMESTAMP,
    finished_at: 'finished-é',
    result_payload: { r: '✓' },
  });
  t.equal(table.bodyBytes(create), Buffer.byteLength('{"a":"😀"}'));
  t.equal(table.instanceId(create), 'inst-✓');
});

t.test('the table grows past its first capacity, keeping what it holds', async (t) => {
  const table = new OperationTable('k');
  const ops = Array.from({ length: 1000 }, (_, n) => table.add(START, n + 1, `inst-${n}`, '', undefined, '', TIMESTAMP, ''));
  t.ok(table.capacity >= 1000);
  t.same([table.id(ops[0]!), table.id(ops[999]!)], ['inst-0', 'inst-999']);
  t.same([table.seq[ops[0]!], table.seq[ops[999]!]], [1, 1000]);
});
