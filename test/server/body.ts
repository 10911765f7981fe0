import { once } from 'node:events';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import t from 'tap';
import { BodyBudget, DepthScanner } from '../../src/server/body.js';
import { MAX_JSON_DEPTH } from '../../src/server/limits.js';
import { clientFor, withServer } from '../fixtures/server.js';

const AUTH = { authorization: 'Bearer dev-token', 'content-type': 'application/json' };

/** Sends headers and `first`, leaves the request open; resolves with the answer. */
async function openRequest(url: string, headers: Record<string, string>, first: string) {
  const req = request(`${url}/api/v1/bulk`, { method: 'POST', headers: { ...AUTH, ...headers } });
  req.on('error', () => {});
  req.write(first);
  const answer = once(req, 'response').then(async (args) => {
    const response = args[0] as IncomingMessage;
    let text = '';
    for await (const chunk of response) text += String(chunk);
    return { status: response.statusCode, headers: response.headers, body: JSON.parse(text) as { code: string; message: string } };
  });
  return { req, answer };
}

t.test('DepthScanner counts nesting outside strings, across chunks', async (t) => {
  const scanner = new DepthScanner(3);
  t.ok(scanner.feed(Buffer.from('{"a":"[[[[{{\\\\\\"[[["')), 'brackets and escaped quotes inside a string do not count');
  t.ok(scanner.feed(Buffer.from(',"b":[[')));
  t.notOk(scanner.feed(Buffer.from('[]]]}')), 'the fourth level is refused');
  t.ok(new DepthScanner(2).feed(Buffer.from('[[]][[]]{"é":{}}')), 'siblings do not add up');
});

t.test('BodyBudget takes what fits and gives it back', async (t) => {
  const budget = new BodyBudget(10);
  t.ok(budget.take(6));
  t.notOk(budget.take(5));
  t.equal(budget.usedBytes, 6);
  budget.release(6);
  t.ok(budget.take(10));
});

t.test('a Content-Length over maxBodyBytes is 413 before the body is sent', async (t) => {
  const server = await withServer(t, { maxBodyBytes: 1024 });
  const { answer } = await openRequest(server.url, { 'content-length': String(100 * 1024 * 1024) }, '{');
  const { status, headers, body } = await answer;
  t.equal(status, 413);
  t.equal(headers.connection, 'close');
  t.match(body, { code: 'payload_too_large', message: /over 1024 bytes/ });
});

t.test('a chunked body is refused 413 as soon as it grows past maxBodyBytes', async (t) => {
  const server = await withServer(t, { maxBodyBytes: 1024 });
  const { req, answer } = await openRequest(server.url, {}, ' '.repeat(2000));
  const { status } = await answer;
  t.equal(status, 413, 'answered while the request is still open');
  req.destroy();
});

t.test('bodies held at once are bounded by maxBufferedBytes: over it, 503 server_busy with Retry-After', async (t) => {
  const server = await withServer(t, { maxBodyBytes: 1000, maxBufferedBytes: 1000 });
  // Holds 800 bytes: an open request that has not sent all it declared.
  const held = await openRequest(server.url, { 'content-length': '1000' }, ' '.repeat(800));
  let busy: Awaited<typeof held.answer> | undefined;
  // Until the server has read the 800 bytes, a 300-byte body still fits: repeat until it does not.
  for (let attempt = 0; attempt < 200 && busy?.status !== 503; attempt++) {
    busy = await (await openRequest(server.url, { 'content-length': '300' }, `{"items":[]}${' '.repeat(288)}`)).answer;
  }
  t.equal(busy!.status, 503);
  t.equal(busy!.headers['retry-after'], '1');
  t.equal(busy!.body.code, 'server_busy');
  held.req.end(' '.repeat(200));
  t.equal((await held.answer).status, 422, 'the held request completes (an empty body is a validation error)');
  const client = clientFor(t, server);
  t.same(await client.request('GET', '/api/v1/ping'), { status: 'success', details: { pong: true } }, 'the budget was given back');
});

t.test('JSON nested deeper than the limit is 400 json_too_deep, not a 500; the limit itself is accepted', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const { id } = await client.agentInstances.register({ agent_id: 'agent-1', agent_version: {}, agent_schema_version: {} });
  const post = (path: string, body: string) =>
    fetch(`${server.url}/api/v1/${path}`, { method: 'POST', headers: AUTH, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: string } }));
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  t.match(await post('bulk', deep), { status: 400, body: { code: 'json_too_deep' } });
  const deepPayload = `{"details":{"agent_instance_id":"${id}","schema_name":"s","status":"active","payload":{"x":${'{"x":'.repeat(100_000)}1${'}'.repeat(100_000)}}}}`;
  t.match(await post('agent_spans', deepPayload), { status: 400, body: { code: 'json_too_deep' } });
  // The body's own two levels (request, details) count: a payload of MAX_JSON_DEPTH - 2 levels is the limit.
  const nested = (levels: number) =>
    `{"details":{"agent_instance_id":"${id}","schema_name":"s","status":"active","payload":${'{"x":'.repeat(levels)}1${'}'.repeat(levels)}}}`;
  t.equal((await post('agent_spans', nested(MAX_JSON_DEPTH - 2))).status, 200);
  t.equal((await post('agent_spans', nested(MAX_JSON_DEPTH - 1))).status, 400);
  t.equal(server.spans(id).length, 1);
});
