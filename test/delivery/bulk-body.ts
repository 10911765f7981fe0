import t from 'tap';
import { BodyPool } from '../../src/delivery/bulk-body.js';
import { BULK_ENVELOPE_LENGTH, bulkItem, CREATE, OperationTable } from '../../src/delivery/operations.js';
import { TIMESTAMP } from '../fixtures/operations.js';

const KEY = 'k'.repeat(21);

t.test('a BulkBody writes the items as UTF-8 between the envelope, with the request key', async (t) => {
  const body = new BodyPool(1024, 1).body();
  t.ok(body.add('{"a":"é"}'));
  t.ok(body.add('{"b":"✓ 😀"}'));
  t.equal(body.count, 2);
  const bytes = body.finish(KEY);
  t.same(JSON.parse(bytes.toString('utf8')), { items: [{ a: 'é' }, { b: '✓ 😀' }], idempotency_key: KEY });
  t.equal(bytes.length, Buffer.byteLength(`{"items":[{"a":"é"},{"b":"✓ 😀"}],"idempotency_key":"${KEY}"}`));
});

t.test('a BulkBody refuses an item that would take the body past maxBatchBytes, counted in UTF-8 bytes', async (t) => {
  const maxBatchBytes = BULK_ENVELOPE_LENGTH + 20;
  const body = new BodyPool(maxBatchBytes, 1).body();
  t.ok(body.add('"éééé"'), '10 bytes');
  // 6 characters but 10 bytes: with the comma the items would take 21 bytes, one too many.
  t.notOk(body.add('"éééé"'), 'the next 10 bytes do not fit');
  t.ok(body.add('"ab"'), 'a smaller item still does');
  const bytes = body.finish(KEY);
  t.equal(bytes.length, BULK_ENVELOPE_LENGTH + 10 + 1 + 4);
  t.ok(bytes.length <= maxBatchBytes);
  t.same(JSON.parse(bytes.toString('utf8')).items, ['éééé', 'ab']);
});

t.test('a first item larger than a batch goes alone, in a Buffer of its own that the pool does not keep', async (t) => {
  const pool = new BodyPool(BULK_ENVELOPE_LENGTH + 8, 2);
  const body = pool.body();
  const item = JSON.stringify('x'.repeat(100));
  t.ok(body.add(item), 'the first item always fits');
  t.notOk(body.add('1'), 'nothing after it');
  const bytes = body.finish(KEY);
  t.same(JSON.parse(bytes.toString('utf8')).items, ['x'.repeat(100)]);
  pool.giveBack(body.buffer);
  t.equal(pool.free, 0, 'an oversized Buffer is left to the collector');
});

t.test('BodyPool reuses the Buffers given back, and keeps at most one per request in flight', async (t) => {
  const pool = new BodyPool(256, 2);
  const bodies = [pool.body(), pool.body(), pool.body()];
  const buffers = bodies.map((body) => body.buffer);
  t.equal(new Set(buffers).size, 3, 'three bodies at once: three Buffers');
  for (const buffer of buffers) pool.giveBack(buffer);
  t.equal(pool.free, 2, 'two kept');
  const again = pool.body();
  t.ok(buffers.includes(again.buffer), 'a kept Buffer is reused');
  again.add('{"n":1}');
  t.same(JSON.parse(again.finish(KEY).toString('utf8')), { items: [{ n: 1 }], idempotency_key: KEY }, 'and written over from the start');
  t.equal(pool.free, 1);
});

t.test('a BulkBody writes held operations as items, copying their texts, and closes the batch at maxBatchBytes', async (t) => {
  const table = new OperationTable('key-');
  const payload = JSON.stringify({ text: 'é'.repeat(40) });
  // Ids that need escaping: measured exactly near the end of the Buffer.
  const ops = Array.from({ length: 6 }, (_, n) => table.add(CREATE, n + 1, `span-"${n}"`, 'inst-1', undefined, 'agent:x', TIMESTAMP, payload));
  for (const op of ops) table.keyNumber[op] = op + 1;
  const itemBytes = Buffer.byteLength(bulkItem(table, ops[0]!));
  const pool = new BodyPool(BULK_ENVELOPE_LENGTH + itemBytes * 3 + 2, 1);
  const body = pool.body();
  const added = ops.map((op) => body.addOperation(table, op));
  t.same(added, [true, true, true, false, false, false], 'three items and their commas fit, exactly');
  const parsed = JSON.parse(body.finish(KEY).toString('utf8')) as { items: Array<{ details: { id: string; payload: unknown } }> };
  t.same(
    parsed.items.map((item) => item.details.id),
    ['span-"0"', 'span-"1"', 'span-"2"'],
  );
  t.same(parsed.items[2]!.details.payload, JSON.parse(payload));
  const alone = new BodyPool(BULK_ENVELOPE_LENGTH + 10, 1).body();
  t.ok(alone.addOperation(table, ops[3]!), 'a first item larger than a batch goes alone');
  t.notOk(alone.addOperation(table, ops[4]!));
  t.same(JSON.parse(alone.finish(KEY).toString('utf8')).items.length, 1);
});
