import { once } from 'node:events';
import { request } from 'node:http';
import t from 'tap';
import { PrefactorConfigError } from '../../src/util/option-checks.js';
import { startLocalServer } from '../../src/server/index.js';
import type { AgentSpan } from '../../src/models/index.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };

t.test('startLocalServer binds 127.0.0.1 on a free port with the dev-token default', async (t) => {
  const server = await withServer(t);
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.equal(server.token, 'dev-token');
  t.equal(server.dataFile, undefined);
  t.same(server.instances(), []);
  t.same(server.spans('unknown'), []);
  t.same(server.tree('unknown'), []);
  t.equal(server.instance('unknown'), undefined);
  t.same(server.faultCounts(), { drop: 0, error: 0, rateLimit: 0, stall: 0, malformed: 0, outage: 0, latency: 0 });
});

t.test('startLocalServer rejects bad options naming the key', async (t) => {
  await t.rejects(startLocalServer({ port: -1 }), PrefactorConfigError);
  await t.rejects(startLocalServer({ port: 1.5 }), { message: /`port`/ });
  await t.rejects(startLocalServer({ token: '' }), { message: /`token`/ });
  await t.rejects(startLocalServer({ seed: -1 }), { message: /`seed`/ });
  await t.rejects(startLocalServer({ maxBodyBytes: 0 }), { message: /`maxBodyBytes`/ });
  await t.rejects(startLocalServer({ dataFile: '' }), { message: /`dataFile`/ });
  await t.rejects(startLocalServer({ faults: { errorRate: 5 } }), { message: /errorRate/ });
  await t.rejects(startLocalServer({ prot: 1 } as never), { message: /Unknown option `prot`/ });
  await t.rejects(startLocalServer(null as never), PrefactorConfigError);
});

t.test('startLocalServer explains a port in use', async (t) => {
  const server = await withServer(t);
  const port = Number(new URL(server.url).port);
  await t.rejects(startLocalServer({ port }), {
    message: `The local server could not listen on 127.0.0.1:${port} (EADDRINUSE): stop the process using that port or choose another port`,
  });
});

t.test("'span' events carry each span created or finished with its stored state", async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const events: Array<[string, AgentSpan]> = [];
  server.on('span', (span, change) => events.push([change, span]));
  const { id } = await client.agentInstances.register(REGISTER);
  const created = once(server, 'span');
  const span = await client.agentSpans.create({ agent_instance_id: id, schema_name: 's', status: 'active' });
  t.same((await created)[0], span);
  await client.agentSpans.finish(span.id, { status: 'failed' });
  t.same(events.map(([change, s]) => [change, s.status]), [
    ['created', 'active'],
    ['finished', 'failed'],
  ]);
  t.equal(events[0]![1].status, 'active', 'an event keeps the state it was emitted with');
});

t.test("'request' events report method, path, status and fault", async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const seen = once(server, 'request');
  await client.agentInstances.list();
  t.same((await seen)[0], { method: 'GET', path: '/api/v1/agent_instance', status: 200, fault: null, idempotencyKey: null });
});

t.test('bodies over maxBodyBytes are 413 payload_too_large', async (t) => {
  const server = await withServer(t, { maxBodyBytes: 1024 });
  const response = await fetch(`${server.url}/api/v1/bulk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: 'x'.repeat(64 * 1024),
  });
  t.equal(response.status, 413);
  t.match(await response.json(), { code: 'payload_too_large' });
});

t.test('a client that goes away mid-body is dropped without an answer', async (t) => {
  const server = await withServer(t);
  const seen = once(server, 'request');
  const req = request(`${server.url}/api/v1/bulk`, { method: 'POST', headers: { authorization: 'Bearer dev-token', 'content-length': '1000', expect: '100-continue' } });
  req.on('error', () => {});
  req.flushHeaders();
  await once(req, 'continue'); // the server is handling the request
  req.write('{"items":', () => req.destroy());
  t.match((await seen)[0], { status: null, fault: null });
});

t.test('LocalServer supports await using (Symbol.asyncDispose)', async (t) => {
  const server = await startLocalServer();
  await server[Symbol.asyncDispose]();
  await t.rejects(fetch(`${server.url}/api/v1/ping`), TypeError);
});

t.test('Prefer: return=minimal leaves details out of successful writes and bulk outputs, keeping control and errors', async (t) => {
  const server = await withServer(t);
  const post = async (path: string, body: unknown, prefer?: string) => {
    const response = await fetch(`${server.url}/api/v1/${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json', ...(prefer ? { prefer } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, applied: response.headers.get('preference-applied'), body: (await response.json()) as Record<string, unknown> };
  };
  const registered = await post('agent_instance/register', { ...REGISTER, idempotency_key: 'register-1' }, 'return=minimal');
  t.same(registered, { status: 200, applied: 'return=minimal', body: { status: 'success' } });
  const id = server.instances()[0]!.id;

  const full = await post('agent_instance/' + id + '/start', { idempotency_key: 'start-key-1' });
  t.equal(full.applied, null);
  t.equal((full.body.details as { status: string }).status, 'active', 'without the header the resource is echoed');

  server.terminate(id, 'stop now');
  const bulk = await post(
    'bulk',
    {
      items: [
        { _type: 'agent_spans/create', idempotency_key: 'create-key-1', details: { agent_instance_id: id, schema_name: 's', status: 'active' } },
        { _type: 'agent_instances/start', idempotency_key: 'start-key-2', agent_instance_id: id },
      ],
    },
    'respond-async, return=minimal',
  );
  t.same(bulk.body.outputs, {
    'create-key-1': { status: 'success', control: { terminate: true, reason: 'stop now' } },
    'start-key-2': (bulk.body.outputs as Record<string, { status: string }>)['start-key-2'],
  });
  t.equal((bulk.body.outputs as Record<string, { status: string; code: string }>)['start-key-2']!.code, 'invalid_action', 'errors keep their body');
  const single = await post('agent_instance/' + id + '/finish', { idempotency_key: 'finish-key-1' }, 'return=minimal');
  t.equal(single.status, 409);
  t.equal(single.body.code, 'invalid_action');
});
