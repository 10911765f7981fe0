import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readJournal } from '../../src/server/journal.js';
import { startLocalServer } from '../../src/server/index.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };

t.test('a restarted server replays its journal: instances, spans, counts, idempotency, termination', async (t) => {
  const dataFile = join(t.testdir(), 'nested', 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  const client = clientFor(t, first);
  const instance = await client.agentInstances.register({ ...REGISTER, idempotency_key: 'journal-key-1' });
  await client.agentInstances.start(instance.id);
  const root = await client.agentSpans.create({ agent_instance_id: instance.id, schema_name: 'root', status: 'active' });
  await client.agentSpans.create({ agent_instance_id: instance.id, parent_span_id: root.id, schema_name: 'child', status: 'complete' });
  await client.agentSpans.finish(root.id, { status: 'failed' });
  const other = await client.agentInstances.register(REGISTER);
  first.terminate(other.id, 'stop it');
  const before = { instances: first.instances(), spans: first.spans(instance.id), tree: first.tree(instance.id) };
  await first.close();
  t.equal(readFileSync(dataFile, 'utf8').trim().split('\n').length, 13, 'one line per change and one per idempotency record');

  const second = await withServer(t, { dataFile });
  t.same(second.instances(), before.instances);
  t.same(second.spans(instance.id), before.spans);
  t.same(second.tree(instance.id), before.tree);
  t.match(second.instance(instance.id)?.span_counts, { total: 2, failed: 1, complete: 1, finished: 2 });
  const again = clientFor(t, second);
  t.same(await again.agentInstances.register({ ...REGISTER, idempotency_key: 'journal-key-1' }), instance, 'the idempotency record survived');
  t.equal(second.instances().length, 2);
  t.same((await again.agentSpans.create({ agent_instance_id: other.id, schema_name: 's', status: 'active' })).control, {
    terminate: true,
    reason: 'stop it',
  });
});

t.test('a restarted server replays span creates and bulk items by idempotency key, with the journal lines as written', async (t) => {
  const dataFile = join(t.testdir(), 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  const client = clientFor(t, first);
  const { id } = await client.agentInstances.register(REGISTER);
  const details = { agent_instance_id: id, schema_name: 's', status: 'active' as const, payload: { text: 'é "q"' } };
  const params = { ...details, idempotency_key: 'span key 0001' };
  const span = await client.agentSpans.create(params);
  const items = [{ _type: 'agent_spans/create', idempotency_key: 'bulk-key-01', details: { agent_instance_id: id, schema_name: 'b', status: 'complete' as const } }];
  const bulk = await client.bulk.execute({ items });
  await first.close();
  const { entries, skipped } = readJournal(dataFile);
  t.equal(skipped, 0);
  t.match(entries.filter((entry) => entry.k === 'r' && entry.id.startsWith('agent_spans/')), [
    { id: 'agent_spans/create span key 0001', input: { details }, res: { status: 'success', details: span } },
    { id: 'agent_spans/create bulk-key-01', res: bulk.outputs['bulk-key-01'] },
  ]);
  t.notOk(JSON.stringify(entries).includes('"idempotency_key"'), 'inputs are journaled without their key');
  const second = await withServer(t, { dataFile });
  const again = clientFor(t, second);
  t.same(await again.agentSpans.create(params), span);
  t.same(await again.bulk.execute({ items }), bulk);
  t.equal(second.spans(id).length, 2);
  await t.rejects(again.agentSpans.create({ ...params, schema_name: 'other' }), { code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'idempotency_conflict' });
});

t.test('readJournal skips lines cut short or of unknown kinds, and reads a missing file as empty', async (t) => {
  const dir = t.testdir({ 'data.ndjson': '{"k":"i","v":{"id":"x"}}\n{"k":"zz"}\n\n{"k":"s","v":' });
  t.same(readJournal(join(dir, 'missing.ndjson')), { entries: [], skipped: 0 });
  const { entries, skipped } = readJournal(join(dir, 'data.ndjson'));
  t.equal(entries.length, 1);
  t.equal(skipped, 2);
  t.throws(() => readJournal(dir), { code: 'EISDIR' });
});

t.test('a server started on a journal with a torn last line starts and appends after it', async (t) => {
  const dir = t.testdir();
  const dataFile = join(dir, 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  await clientFor(t, first).agentInstances.register(REGISTER);
  await first.close();
  appendFileSync(dataFile, '{"k":"i","v":{"id');
  const second = await startLocalServer({ dataFile });
  t.equal(second.instances().length, 1);
  await clientFor(t, second).agentInstances.register(REGISTER);
  await second.close();
  const third = await withServer(t, { dataFile });
  t.equal(third.instances().length, 2, 'the line after the torn one is whole');
  t.equal(readJournal(dataFile).skipped, 1);
});
