import t from 'tap';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tracedFetch, withPropagationHeaders, wrapFetch } from '../../src/propagation/fetch.js';
import { memoryTracer } from '../fixtures/tracer.js';

/** A server on 127.0.0.1 that answers each request's headers as JSON. */
async function echoServer(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const server = http.createServer((request, response) => response.end(JSON.stringify(request.headers)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const headersOf = async (response: Response): Promise<Record<string, string>> => (await response.json()) as Record<string, string>;

t.test('tracedFetch adds the propagation headers inside a span, and nothing outside', async (t) => {
  const url = await echoServer(t);
  const { tracer } = memoryTracer(t);
  const outside = await headersOf(await tracedFetch(url));
  t.notOk('prefactor-context' in outside);
  const [sent, expected] = await tracer.withSpan('call', async () => [await headersOf(await tracedFetch(`${url}/x`, { headers: { 'x-mine': '1' } })), tracer.propagationHeaders()] as const);
  t.equal(sent['prefactor-context'], expected['prefactor-context']);
  t.equal(sent['traceparent'], expected['traceparent']);
  t.equal(sent['x-mine'], '1', 'the caller\'s headers stay');
});

t.test('headers the caller set win; a Request keeps its own headers', async (t) => {
  const url = await echoServer(t);
  const { tracer } = memoryTracer(t);
  await tracer.withSpan('call', async () => {
    const own = await headersOf(await tracedFetch(url, { headers: { traceparent: 'mine' } }));
    t.equal(own['traceparent'], 'mine');
    t.match(own['prefactor-context'], /^v1;/);
    const fromRequest = await headersOf(await tracedFetch(new Request(url, { headers: { 'x-request': 'r' } })));
    t.equal(fromRequest['x-request'], 'r');
    t.match(fromRequest['prefactor-context'], /^v1;/);
  });
});

t.test('wrapFetch wraps a given fetch; withPropagationHeaders merges into any headers', async (t) => {
  const { tracer } = memoryTracer(t);
  const seen: Headers[] = [];
  const fake = wrapFetch(async (_input, init) => {
    seen.push(new Headers(init?.headers));
    return new Response('ok');
  });
  await fake('http://127.0.0.1:9/never');
  await tracer.withSpan('call', () => fake('http://127.0.0.1:9/never'));
  t.equal(seen[0]!.has('prefactor-context'), false);
  t.equal(seen[1]!.has('prefactor-context'), true);
  const merged = tracer.withSpan('call', () => withPropagationHeaders({ a: '1', traceparent: 'kept' }));
  t.equal(merged.get('a'), '1');
  t.equal(merged.get('traceparent'), 'kept');
  t.match(merged.get('prefactor-context'), /^v1;/);
  t.same([...withPropagationHeaders().keys()], [], 'outside a span, nothing added');
});
