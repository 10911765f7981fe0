import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readJournal, replayJournal } from '../../src/server/journal.js';
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
  t.equal(readFileSync(dataFile, 'utf8').trim().split('\n').length, 7, 'one line per change; idempotency records ride on them');

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
  const { entries, skipped } = await readJournal(dataFile);
  t.equal(skipped, 0);
  t.match(entries.filter((entry) => entry.k === 's'), [
    { r: 'agent_spans/create span key 0001', h: /^[A-Za-z0-9+/]{43}=$/, v: span },
    { r: 'agent_spans/create bulk-key-01', v: bulk.outputs['bulk-key-01']!.details },
  ]);
  t.notOk(JSON.stringify(entries).includes('"idempotency_key"'), 'inputs are not journaled');
  t.equal(readFileSync(dataFile, 'utf8').split('é \\"q\\"').length - 1, 1, 'the payload is written once');
  const second = await withServer(t, { dataFile });
  const again = clientFor(t, second);
  t.same(await again.agentSpans.create(params), span);
  t.same(await again.bulk.execute({ items }), bulk);
  t.equal(second.spans(id).length, 2);
  await t.rejects(again.agentSpans.create({ ...params, schema_name: 'other' }), { code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'idempotency_conflict' });
});

t.test('readJournal counts damaged lines and a torn last line apart, and reads a missing file as empty', async (t) => {
  const dir = t.testdir({ 'data.ndjson': '{"k":"i","v":{"id":"x"}}\n{"k":"zz"}\n{"k":\n\n{"k":"s","v":' });
  t.same(await readJournal(join(dir, 'missing.ndjson')), { applied: 0, skipped: 0, torn: 0, entries: [] });
  const { entries, skipped, torn, applied } = await readJournal(join(dir, 'data.ndjson'));
  t.equal(entries.length, 1);
  t.equal(applied, 1);
  t.equal(skipped, 2, 'an unknown kind and a damaged whole line');
  t.equal(torn, 1);
  await t.rejects(readJournal(dir), { code: 'EISDIR' });
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
  t.match(await readJournal(dataFile), { skipped: 1, torn: 0 }, 'the torn line is now a damaged line in the middle');
});

t.test('replayJournal streams lines split across chunks, multi-byte characters included', async (t) => {
  const lines = ['{"k":"i","v":{"id":"é-1"}}', '{"k":"s","v":{"id":"span","text":"ünïcødé ✓ 𝄞"}}', '{"k":"i","v":{"id":"x"}}'];
  const dir = t.testdir({ 'data.ndjson': `${lines.join('\n')}\n` });
  for (const chunkBytes of [1, 3, 7, 1024]) {
    const seen: unknown[] = [];
    const summary = await replayJournal(join(dir, 'data.ndjson'), (entry) => seen.push(entry), chunkBytes);
    t.same(seen, lines.map((line) => JSON.parse(line)), `chunks of ${chunkBytes} bytes`);
    t.same(summary, { applied: 3, skipped: 0, torn: 0 });
  }
});

t.test('a torn last line is counted in journalReplay and logged once; the server starts', async (t) => {
  const dataFile = join(t.testdir(), 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  await clientFor(t, first).agentInstances.register(REGISTER);
  await first.close();
  appendFileSync(dataFile, '{"k":"s","v":{"id":"cut sh');
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (message: string) => warnings.push(message), error: (message: string) => warnings.push(message) };
  const second = await withServer(t, { dataFile, logger });
  t.same(second.journalReplay, { applied: 1, skipped: 0, torn: 1 });
  t.equal(warnings.length, 1);
  t.match(warnings[0], /^Journal .*data\.ndjson: its last line was cut short .* and was skipped; 1 entries replayed/);
  t.equal(second.instances().length, 1);
  const quiet = await withServer(t, { dataFile: join(t.testdir(), 'other.ndjson'), logger });
  t.same(quiet.journalReplay, { applied: 0, skipped: 0, torn: 0 });
  t.equal(warnings.length, 1, 'a clean journal logs nothing');
});

t.test('a journal with damaged lines in the middle says how many it skipped', async (t) => {
  const orphan = '{"k":"s","v":{"type":"agent_span","id":"orphan","agent_instance_id":"none","schema_name":"s","status":"active","payload":{}}}';
  const old = '{"k":"i","v":{"type":"agent_instance","id":"old-1","agent_id":"a","agent_version_id":"v","environment_id":"e","status":"pending","inserted_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}}';
  const dir = t.testdir({ 'data.ndjson': `garbage\n{"k":"unknown"}\nnull\n${orphan}\n${old}\n` });
  const warnings: string[] = [];
  const server = await withServer(t, { dataFile: join(dir, 'data.ndjson'), logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } });
  t.same(server.journalReplay, { applied: 2, skipped: 3, torn: 0 });
  t.match(warnings, [/damaged lines skipped: 3; 2 entries replayed/]);
  t.match(server.instance('old-1'), { status: 'pending', agent_deployment_id: undefined }, 'an instance of an older journal, without a deployment');
  t.same(server.spans('none'), [], 'a span of an unknown instance is not listed');
});

t.test('a journal keeps each payload once, and replays an older journal with records on their own lines', async (t) => {
  const dataFile = join(t.testdir(), 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  const client = clientFor(t, first);
  const { id } = await client.agentInstances.register(REGISTER);
  const payload = { text: 'p'.repeat(10_000) };
  await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active', payload, idempotency_key: 'payload-key-1' });
  await first.close();
  const size = readFileSync(dataFile).length;
  t.ok(size > 10_000 && size < 12_000, `${size} bytes for a 10 kB payload`);

  const span = { type: 'agent_span', id: 'old-span', agent_instance_id: id, schema_name: 's', status: 'active', payload: {} };
  appendFileSync(dataFile, `${JSON.stringify({ k: 's', v: span })}\n${JSON.stringify({ k: 'r', id: 'agent_spans/create old-key-1', input: { details: { agent_instance_id: id, schema_name: 's', status: 'active' } }, res: { status: 'success', details: span } })}\n`);
  const second = await withServer(t, { dataFile });
  const again = clientFor(t, second);
  t.same(await again.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active', idempotency_key: 'old-key-1' }), span);
  t.match(await again.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active', payload, idempotency_key: 'payload-key-1' }), { payload });
  await t.rejects(again.agentSpans.create({ agent_instance_id: id, schema_name: 'other', status: 'active', idempotency_key: 'payload-key-1' }), { code: 'ERR_PREFACTOR_VALIDATION', apiCode: 'idempotency_conflict' });
  t.equal(second.spans(id).length, 2);
});

t.test('a replayed key answers with the killswitch its first answer carried', async (t) => {
  const dataFile = join(t.testdir(), 'data.ndjson');
  const first = await startLocalServer({ dataFile });
  const client = clientFor(t, first);
  const { id } = await client.agentInstances.register(REGISTER);
  first.terminate(id, 'stop now');
  const params = { agent_instance_id: id, schema_name: 's', status: 'active' as const, idempotency_key: 'killed-key-1' };
  const span = await client.agentSpans.create(params);
  t.same(span.control, { terminate: true, reason: 'stop now' });
  await first.close();
  const second = await withServer(t, { dataFile });
  t.same(await clientFor(t, second).agentSpans.create(params), span);
});
