import t from 'tap';
import { PrefactorHttpClient } from '../../src/api/client.js';
import { PrefactorResponseContractError } from '../../src/http/errors.js';
import { json, withRawServer } from '../fixtures/raw-server.js';

const outputs = {
  'item-key-0001': { status: 'success', details: { id: 'span_1' }, control: { terminate: true, reason: 'stop' } },
  'item-key-0002': { status: 'error', code: 'not_found', message: 'no such instance', errors: { agent_instance_id: 'unknown' } },
};

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const server = await withRawServer(t, json(200, { status: 'success', outputs }));
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: 'secret-token', initialRetryDelayMs: 5 });
  t.teardown(() => client.close());
  return { server, client };
}

t.test('bulk.execute() posts the items with a request key and returns the outputs', async (t) => {
  const { server, client } = await setup(t);
  const items = [
    { _type: 'agent_spans/create', idempotency_key: 'item-key-0001', details: { agent_instance_id: 'i', schema_name: 's', status: 'active' } },
    { _type: 'agent_instances/finish', idempotency_key: 'item-key-0002', agent_instance_id: 'i', timestamp: new Date('2026-01-01T00:00:00Z') },
  ];
  const response = await client.bulk.execute({ items });
  t.same(response, { status: 'success', outputs });
  const [request] = server.requests;
  t.equal(request!.method, 'POST');
  t.equal(request!.path, '/api/v1/bulk');
  const body = JSON.parse(request!.body);
  t.same(body.items, [items[0], { ...items[1], timestamp: '2026-01-01T00:00:00.000Z' }]);
  t.match(body.idempotency_key, /^[\w-]{21}$/);
  t.equal(request!.headers['idempotency-key'], body.idempotency_key);
});

t.test('bulk.execute() uses the given request key and keeps it across retries', async (t) => {
  const { server, client } = await setup(t);
  server.reply('destroy');
  await client.bulk.execute({ items: [{ _type: 'agent_instances/start', idempotency_key: 'item-key-0001', agent_instance_id: 'i' }], idempotency_key: 'bulk-key-0001' });
  t.equal(server.requests.length, 2);
  for (const request of server.requests) {
    t.equal(request.headers['idempotency-key'], 'bulk-key-0001');
    t.equal(JSON.parse(request.body).idempotency_key, 'bulk-key-0001');
  }
});

t.test('bulk.execute() refuses empty, short, long and duplicate keys before sending', async (t) => {
  const { server, client } = await setup(t);
  await t.rejects(client.bulk.execute({ items: [] }), { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /^Invalid argument to bulk\.execute\(\): items: Too small/ });
  await t.rejects(client.bulk.execute({ items: [{ _type: 'x', idempotency_key: 'short' }] }), { message: /items\.0\.idempotency_key: Too small/ });
  await t.rejects(client.bulk.execute({ items: [{ _type: 'x', idempotency_key: 'k'.repeat(65) }] }), { message: /items\.0\.idempotency_key: Too big/ });
  await t.rejects(
    client.bulk.execute({ items: [{ _type: 'x', idempotency_key: 'same-key-1' }, { _type: 'y', idempotency_key: 'same-key-1' }] }),
    { message: /items\.1\.idempotency_key: duplicate idempotency_key "same-key-1"/ },
  );
  await t.rejects(client.bulk.execute({ items: [{ _type: '', idempotency_key: 'item-key-0001' }] }), { message: /items\.0\._type/ });
  t.equal(server.requests.length, 0);
});

t.test('bulk.execute() rejects a response without outputs', async (t) => {
  const { server, client } = await setup(t);
  server.reply(json(200, { status: 'success', details: {} }));
  await t.rejects(client.bulk.execute({ items: [{ _type: 'x', idempotency_key: 'item-key-0001' }] }), PrefactorResponseContractError);
});
