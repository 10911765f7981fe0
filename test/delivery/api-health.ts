import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { Tracer } from '../../src/tracing/tracer.js';
import type { TracerOptions } from '../../src/tracing/tracer-options.js';
import { ApiHealth, NOTHING_HELD } from '../../src/delivery/api-health.js';
import { PrefactorClientError, PrefactorRetryExhaustedError } from '../../src/http/errors.js';
import { recordingLogger, withProxy, type RecordingLogger } from '../fixtures/delivery.js';
import { withServer } from '../fixtures/server.js';

const TOKEN = 'sk-planted-secret-7d1f';

function tracerFor(t: { teardown(fn: () => unknown): void }, options: TracerOptions & Record<string, unknown>): { tracer: Tracer; logger: RecordingLogger } {
  const logger = recordingLogger();
  const tracer = new Tracer({ logger, ...options });
  t.teardown(() => tracer.shutdown({ timeoutMs: 0 }));
  return { tracer, logger };
}

/** Every line logged, details included, as one text. */
const everything = (logger: RecordingLogger): string => JSON.stringify(logger.lines);

async function closedPort(): Promise<number> {
  const server = http.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('a refused token (401) is said at once, at warn level, once, with the status, the API origin and what to do; never the token', async (t) => {
  const server = await withServer(t, { token: 'the-right-one' });
  const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: TOKEN });
  await tracer.withSpan('a', {}, async () => tracer.withSpan('b', {}, () => 1));
  t.equal(await tracer.flush(), false);
  await tracer.withInstance(() => tracer.withSpan('c', {}, () => 1));
  t.equal(await tracer.flush(), false);
  const said = logger.of('warn').filter((line) => line.includes('refused the API token'));
  t.same(said, [
    `The API at ${server.url} refused the API token (401 unauthorized): check \`apiToken\` (PREFACTOR_API_TOKEN): it is missing, wrong, expired or revoked. Spans are dropped until then (counted in stats().dropped.rejected_by_server)`,
  ]);
  t.notMatch(everything(logger), TOKEN, 'the token is in no line and no details');
});

t.test('a bulk refused with 401 drops its operations at once: no request per operation to be refused again', async (t) => {
  const server = await withServer(t, { token: 'the-right-one' });
  const proxy = await withProxy(t, server.url, () => undefined);
  const { tracer } = tracerFor(t, { apiUrl: proxy.url, apiToken: TOKEN });
  // 20 instances: their 20 registers go in the first bulk.
  for (let i = 0; i < 20; i++) tracer.withInstance(() => tracer.withSpan('a', { i }, () => i));
  t.equal(await tracer.flush(), false);
  const { dropped, operationsEnqueued } = tracer.stats();
  t.equal(dropped.rejected_by_server, 100, 'the 100 operations of the bulk (5 per instance) rejected');
  t.equal(operationsEnqueued, 100);
  t.equal(proxy.requests.length, 1, 'one bulk request, refused: not one more request per operation');
});

t.test('bulk items refused one by one as unauthorized: the token is said refused, as for a whole 401', async (t) => {
  const server = await withServer(t);
  // An API that answers the bulk, but refuses each item for the token.
  const proxy = await withProxy(t, server.url, ({ body }) => {
    const items = (JSON.parse(body) as { items: Array<{ idempotency_key: string }> }).items;
    const refused = { status: 'error', code: 'unauthorized', message: 'token refused' };
    return { status: 200, body: { status: 'success', outputs: Object.fromEntries(items.map((item) => [item.idempotency_key, refused])) } };
  });
  const { tracer, logger } = tracerFor(t, { apiUrl: proxy.url, apiToken: TOKEN });
  tracer.withSpan('a', {}, () => 1);
  t.equal(await tracer.flush(), false);
  t.match(logger.of('warn'), [/refused the API token \(401 unauthorized\)/]);
  t.ok(tracer.stats().dropped.rejected_by_server > 0);
});

t.test('a token of another agent (403) is said once, pointing at agentId', async (t) => {
  const server = await withServer(t, { token: 'deploy-token', agentId: 'agent-a' });
  const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: 'deploy-token', agentId: 'agent-b' });
  tracer.withSpan('a', {}, () => 1);
  t.equal(await tracer.flush(), false);
  await tracer.withInstance(() => tracer.withSpan('b', {}, () => 1));
  t.equal(await tracer.flush(), false);
  const said = logger.of('warn').filter((line) => line.includes('refused the API token'));
  t.equal(said.length, 1, 'the API answered the later bulk requests, refusing the token again: still said once');
  t.match(said[0], /\(403 forbidden\): the token may not do this: check that `agentId` \(PREFACTOR_AGENT_ID\)/);
});

t.test('an unreachable API is said after the first failed redelivery, and again when it answers, with how long it was down', async (t) => {
  const server = await withServer(t);
  server.setFaults({ outageMs: 800 });
  const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: server.token, maxRetries: 0, redeliveryDelayMs: 50, maxRedeliveryDelayMs: 100 });
  tracer.withSpan('a', {}, () => 1);
  await logger.waitFor('warn', 1);
  t.ok(server.faultCounts().outage >= 2, 'said after the first request and a redelivery failed, not before');
  t.match(logger.of('warn')[0], new RegExp(`^The API at ${server.url} is unreachable \\((ECONNRESET|ECONNREFUSED|ERR_[A-Z_]+)\\): \\d+ operation\\(s\\) are held and sent again with backoff; check \`apiUrl\``));
  t.equal(await tracer.flush({ timeoutMs: 10_000 }), true);
  const warnings = logger.of('warn');
  t.equal(warnings.length, 2, 'the outage is said once');
  t.match(warnings[1], new RegExp(`^The API at ${server.url} answers again, after \\d+\\.\\d s down: the held operations are being delivered$`));
  const downMs = logger.lines.find((line) => line.message === warnings[1])?.details?.['downMs'] as number;
  t.ok(downMs >= 400 && downMs < 10_000, `down for ${downMs} ms`);
});

t.test('a single failed request that the redelivery gets through is not said', async (t) => {
  const server = await withServer(t, { faults: { dropRate: 1, maxFaults: 1 } });
  const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: server.token, maxRetries: 0, redeliveryDelayMs: 20 });
  tracer.withSpan('a', {}, () => 1);
  t.equal(await tracer.flush({ timeoutMs: 10_000 }), true);
  t.equal(server.faultCounts().drop, 1);
  t.same(logger.of('warn'), []);
});

t.test('drops at the shutdown deadline get advice that fits the cause', async (t) => {
  t.test('a refused connection: check apiUrl, not "raise shutdownTimeoutMs"', async (t) => {
    const port = await closedPort();
    const { tracer, logger } = tracerFor(t, { apiUrl: `http://127.0.0.1:${port}`, apiToken: TOKEN, shutdownTimeoutMs: 300 });
    tracer.withSpan('a', {}, () => 1);
    t.equal(await tracer.shutdown(), false);
    const dropped = logger.of('warn').filter((line) => line.includes('(shutdown_timeout)'));
    t.equal(dropped.length, 1);
    // Node 24 may report the connection closed before it connected (the shutdown aborts the attempt).
    t.match(dropped[0], new RegExp(`because the API at http://127\\.0\\.0\\.1:${port} is unreachable \\((ECONNREFUSED|ERR_SOCKET_CLOSED_BEFORE_CONNECTION)\\): more time would not help; check \`apiUrl\``));
    t.notMatch(dropped[0], 'shutdownTimeoutMs');
  });
  t.test('an API that keeps answering 503: it keeps failing', async (t) => {
    const server = await withServer(t, { faults: { errorRate: 1, errorStatusCodes: [503] } });
    const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: server.token, shutdownTimeoutMs: 300, maxRetries: 0, redeliveryDelayMs: 10 });
    tracer.withSpan('a', {}, () => 1);
    await logger.waitFor('warn', 1);
    t.match(logger.of('warn')[0], /keeps failing \(503 /);
    t.equal(await tracer.shutdown(), false);
    t.match(logger.of('warn').find((line) => line.includes('(shutdown_timeout)')), /keeps failing \(503 [a-z_]+\): more time would not help/);
  });
  t.test('an API that takes the requests and answers late: raise shutdownTimeoutMs', async (t) => {
    const server = await withServer(t, { faults: { latencyMs: 5_000 } });
    const { tracer, logger } = tracerFor(t, { apiUrl: server.url, apiToken: server.token, shutdownTimeoutMs: 300 });
    tracer.withSpan('a', {}, () => 1);
    t.equal(await tracer.shutdown(), false);
    t.match(logger.of('warn').find((line) => line.includes('(shutdown_timeout)')), `with no failure from the API at ${server.url} (raise \`shutdownTimeoutMs\` if it is slow)`);
  });
});

t.test('ApiHealth: an abort says nothing; an origin never shows credentials; causes without a code', async (t) => {
  const logger = recordingLogger();
  const health = new ApiHealth(logger, 'https://user:pass@api.example.com/base', () => 3);
  health.unanswered(new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK' } as never), true);
  t.same(logger.of('warn'), ['The API at https://api.example.com is unreachable (ERR_PREFACTOR_NETWORK): 3 operation(s) are held and sent again with backoff; check `apiUrl` (PREFACTOR_API_URL) and that the API is up']);
  health.unanswered(new PrefactorRetryExhaustedError('x', new PrefactorClientError('y', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNRESET' } as never), 3), true);
  t.match(health.shutdownHint(), '(ECONNRESET)', 'the last attempt of exhausted retries');
  health.unanswered({ statusCode: 502 }, true);
  t.equal(logger.of('warn').length, 1, 'said once per outage');
  t.match(health.shutdownHint(), '(status 502)');
  health.unanswered(undefined, false);
  t.match(health.shutdownHint(), '(no answer)');
  health.answered(true, Date.now());
  t.equal(logger.of('warn').length, 2);
  health.answered();
  t.equal(logger.of('warn').length, 2, 'a recovery is said once');
  health.refused(401, 'unauthorized');
  health.refused(401, 'unauthorized');
  health.answered(false);
  health.refused(401, 'unauthorized');
  health.answered();
  health.refused(401, 'unauthorized');
  t.equal(logger.of('warn').filter((line) => line.includes('refused the API token')).length, 2, 'said again after the token worked in between');
  const unknown = new ApiHealth(logger, undefined, NOTHING_HELD);
  t.match(unknown.shutdownHint(), 'the API at the configured `apiUrl`');
  unknown.unanswered({ statusCode: 503 }, true);
  t.match(logger.of('warn').at(-1), 'The API at the configured `apiUrl` keeps failing (status 503): 0 operation(s) are held');
});
