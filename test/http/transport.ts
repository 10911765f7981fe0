import t from 'tap';
import util from 'node:util';
import { PrefactorHttpClient, type RetryInfo } from '../../src/api/client.js';
import type { HttpClientConfig } from '../../src/http/config.js';
import {
  PrefactorApiError,
  PrefactorAuthError,
  PrefactorClientError,
  PrefactorNotFoundError,
  PrefactorResponseContractError,
  PrefactorRetryExhaustedError,
  PrefactorValidationError,
  isTransientError,
} from '../../src/http/errors.js';
import { VERSION } from '../../src/version.js';
import { z } from 'zod';
import { apiError, json, startRawServer, success, withRawServer, type RawServer } from '../fixtures/raw-server.js';

const TOKEN = 'tok_secret_0123456789';
const fast = { initialRetryDelayMs: 5, maxRetryDelayMs: 50 };
// Every error any test saw: checked for the token at the end.
const seen: unknown[] = [];

function clientFor(t: { teardown: (fn: () => unknown) => void }, server: RawServer, options: HttpClientConfig = {}): PrefactorHttpClient {
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: TOKEN, ...fast, ...options });
  t.teardown(() => client.close());
  return client;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    seen.push(error);
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

t.test('.request() sends the headers, the query and a JSON body with the idempotency key', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { sdkHeader: 'my-adapter@1.2.0' });
  server.reply(success({ ok: true }));
  t.same(await client.request('POST', '/api/v1/things', { json: { a: 1 }, params: { q: 'x y', n: 2, off: undefined }, idempotencyKey: 'key-12345678' }), {
    status: 'success',
    details: { ok: true },
  });
  const [request] = server.requests;
  t.equal(request!.method, 'POST');
  t.equal(request!.path, '/api/v1/things?q=x+y&n=2');
  t.equal(request!.headers.authorization, `Bearer ${TOKEN}`);
  t.equal(request!.headers.accept, 'application/json');
  t.equal(request!.headers['content-type'], 'application/json');
  t.equal(request!.headers['x-prefactor-sdk'], `my-adapter@1.2.0 prefactor-trace@${VERSION}`);
  t.equal(request!.headers['idempotency-key'], 'key-12345678');
  t.same(JSON.parse(request!.body), { a: 1, idempotency_key: 'key-12345678' });
});

t.test('.request() GET carries no idempotency key and no body', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  server.reply(success({ pong: true }));
  await client.request('get', 'api/v1/ping', { idempotencyKey: 'ignored-key' });
  const [request] = server.requests;
  t.equal(request!.method, 'GET');
  t.equal(request!.path, '/api/v1/ping');
  t.equal(request!.headers['idempotency-key'], undefined);
  t.equal(request!.headers['content-type'], undefined);
  t.equal(request!.headers['x-prefactor-sdk'], `prefactor-trace@${VERSION}`);
  t.equal(request!.body, '');
});

t.test('.request() takes the key from the JSON body, or generates one with the configured prefix', async (t) => {
  const server = await withRawServer(t, success({}));
  const client = clientFor(t, server, { defaultIdempotencyKey: 'svc' });
  await client.request('POST', '/a', { json: { idempotency_key: 'from-body-123' } });
  await client.request('POST', '/b', { json: { x: 1 } });
  await client.request('POST', '/c', { json: [1, 2] });
  await client.request('DELETE', '/d');
  const [fromBody, generated, array, del] = server.requests;
  t.equal(fromBody!.headers['idempotency-key'], 'from-body-123');
  t.match(generated!.headers['idempotency-key'], /^svc-[\w-]{21}$/);
  t.equal(JSON.parse(generated!.body).idempotency_key, generated!.headers['idempotency-key']);
  t.equal(array!.body, '[1,2]', 'a non-object body is sent unchanged');
  t.match(array!.headers['idempotency-key'], /^svc-/);
  t.match(del!.headers['idempotency-key'], /^svc-/);
  t.equal(del!.body, '');
});

t.test('.request() sends a pre-serialised body as is', async (t) => {
  const server = await withRawServer(t, success({}));
  const client = clientFor(t, server);
  const body = '{"items":[],"idempotency_key":"bulk-key-0001"}';
  await client.request('POST', '/api/v1/bulk', { body, idempotencyKey: 'bulk-key-0001' });
  t.equal(server.requests[0]!.body, body);
  t.equal(server.requests[0]!.headers['idempotency-key'], 'bulk-key-0001');
  t.equal(server.requests[0]!.headers['content-type'], 'application/json');
});

t.test('.request() sends a body given as UTF-8 bytes as is, from a view into a larger buffer, on every attempt', async (t) => {
  const server = await withRawServer(t, success({}));
  server.reply({ status: 503, body: '' });
  const client = clientFor(t, server);
  const text = '{"items":[{"text":"é ✓"}],"idempotency_key":"bulk-key-0003"}';
  const backing = Buffer.alloc(200, 0x20);
  const length = backing.write(text, 10, 'utf8');
  await client.request('POST', '/api/v1/bulk', { body: new Uint8Array(backing.buffer, backing.byteOffset + 10, length), idempotencyKey: 'bulk-key-0003', maxRetries: 1 });
  t.equal(server.requests.length, 2, 'retried once');
  for (const request of server.requests) {
    t.equal(request.body, text);
    t.equal(request.headers['content-length'], String(Buffer.byteLength(text)));
  }
});

t.test('.request() sends extra headers, but never lets them replace the token or the idempotency key', async (t) => {
  const server = await withRawServer(t, success({}));
  const client = clientFor(t, server);
  await client.request('POST', '/api/v1/bulk', {
    body: '{}',
    idempotencyKey: 'bulk-key-0002',
    headers: { Prefer: 'return=minimal', Authorization: 'Bearer stolen', 'Idempotency-Key': 'other-key-0001' },
  });
  const { headers } = server.requests[0]!;
  t.equal(headers.prefer, 'return=minimal');
  t.equal(headers.authorization, `Bearer ${TOKEN}`);
  t.equal(headers['idempotency-key'], 'bulk-key-0002');
});

t.test('.request() refuses an idempotency key longer than 64 characters before sending', async (t) => {
  const server = await withRawServer(t, success({}));
  const client = clientFor(t, server);
  const error = await failure(client.request('POST', '/x', { json: {}, idempotencyKey: 'k'.repeat(65) }));
  t.ok(error instanceof PrefactorClientError);
  t.match(error, { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: 'POST /x was not sent: the idempotency key must be 8-64 characters long, got 65.' });
  const short = await failure(client.request('POST', '/x', { json: { idempotency_key: 'short' } }));
  t.match(short, { code: 'ERR_PREFACTOR_INVALID_REQUEST' });
  const retries = await failure(client.request('GET', '/x', { maxRetries: -1 }));
  t.match(retries, { code: 'ERR_PREFACTOR_INVALID_REQUEST', message: /`maxRetries` must be a non-negative integer, got -1/ });
  t.equal(server.requests.length, 0);
});

t.test('.request() maps every error status to its class', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  const cases: Array<[number, Function, string, Record<string, unknown>?]> = [
    [401, PrefactorAuthError, 'unauthorized'],
    [403, PrefactorAuthError, 'forbidden'],
    [404, PrefactorNotFoundError, 'not_found'],
    [400, PrefactorValidationError, 'bad_request'],
    [422, PrefactorValidationError, 'invalid', { 'details.schema_name': "can't be blank", status: ['is invalid'] }],
    [409, PrefactorApiError, 'conflict'],
    [500, PrefactorApiError, 'internal'],
    [418, PrefactorApiError, 'teapot'],
  ];
  for (const [status, Class, code, errors] of cases) {
    server.reply(apiError(status, code, `server says ${code}`, errors ? { errors } : {}));
    const error = (await failure(client.request('POST', '/api/v1/agent_spans', { json: {}, maxRetries: 0 }))) as PrefactorApiError;
    t.ok(error instanceof Class, `${status} is a ${Class.name}`);
    t.equal(error.constructor, Class, `${status} is exactly a ${Class.name}`);
    t.equal(error.statusCode, status);
    t.equal(error.apiCode, code);
    t.match(error.message, `POST /api/v1/agent_spans failed with ${status} ${code}: server says ${code}`);
    t.equal(error.request?.method, 'POST');
    t.equal(error.response?.statusCode, status);
  }
  const validation = seen.at(-4) as PrefactorValidationError;
  t.same(validation.errors, { 'details.schema_name': "can't be blank", status: ['is invalid'] });
  t.match(validation.message, `(details.schema_name: can't be blank; status: ["is invalid"]). Fix the fields named in \`errors\``);
  t.same((seen.at(-5) as PrefactorValidationError).errors, {});
  t.match((seen.at(-8) as Error).message, /Check the API token/);
  t.match((seen.at(-6) as Error).message, /Check the id in the path/);
  t.match((seen.at(-3) as Error).message, /do not resend it unchanged/);
  t.match((seen.at(-2) as Error).message, /trying again later may succeed/);
  t.match((seen.at(-1) as Error).message, /See the API message/);
});

t.test('.request() retries a retryable status with the same idempotency key until it succeeds', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  server.reply(apiError(503, 'unavailable', 'busy'), apiError(500, 'internal', 'oops'), success({ done: true }));
  const retries: RetryInfo[] = [];
  const result = await client.request('POST', '/api/v1/agent_spans', { json: { a: 1 }, onRetry: (info) => retries.push(info) });
  t.same(result, { status: 'success', details: { done: true } });
  t.equal(server.requests.length, 3);
  const keys = new Set(server.requests.flatMap((r) => [r.headers['idempotency-key'], JSON.parse(r.body).idempotency_key]));
  t.equal(keys.size, 1, 'one key in every header and body');
  t.same(retries.map((r) => r.attempt), [1, 2]);
  t.same(retries.map((r) => (r.error as PrefactorApiError).statusCode), [503, 500]);
  t.ok(retries[0]!.delayMs >= 3 && retries[0]!.delayMs <= 7, `first delay ${retries[0]!.delayMs} in 5 +/- 25%`);
  t.ok(retries[1]!.delayMs >= 7 && retries[1]!.delayMs <= 13, `second delay ${retries[1]!.delayMs} in 10 +/- 25%`);
});

t.test('.request() gives up after maxRetries + 1 attempts with PrefactorRetryExhaustedError', async (t) => {
  const server = await withRawServer(t, apiError(503, 'unavailable', 'busy'));
  const client = clientFor(t, server, { maxRetries: 2 });
  const delays: number[] = [];
  const started = Date.now();
  const error = (await failure(
    client.request('POST', '/api/v1/bulk', { json: {}, onRetry: ({ delayMs }) => delays.push(delayMs) }),
  )) as PrefactorRetryExhaustedError;
  t.ok(error instanceof PrefactorRetryExhaustedError);
  t.equal(error.code, 'ERR_PREFACTOR_RETRY_EXHAUSTED');
  t.equal(error.attempts, 3);
  t.equal(server.requests.length, 3);
  t.ok(error.lastError instanceof PrefactorApiError);
  t.equal((error.lastError as PrefactorApiError).statusCode, 503);
  t.match(error.message, 'POST /api/v1/bulk failed after 3 attempts; the last one: POST /api/v1/bulk failed with 503 unavailable');
  t.equal(delays.length, 2);
  t.ok(Date.now() - started >= delays[0]! + delays[1]! - 2, 'waited the delays');

  server.requests.length = 0;
  const override = await failure(client.request('GET', '/x', { maxRetries: 1 }));
  t.match(override, { code: 'ERR_PREFACTOR_RETRY_EXHAUSTED', attempts: 2 });
  t.equal(server.requests.length, 2, 'per-call maxRetries');
});

t.test('.request() with maxRetries 0 throws the original error', async (t) => {
  const server = await withRawServer(t, apiError(503, 'unavailable', 'busy'));
  const client = clientFor(t, server, { maxRetries: 0 });
  const error = await failure(client.request('POST', '/x', { json: {} }));
  t.equal(error.constructor, PrefactorApiError);
  t.equal(server.requests.length, 1);
  const perCall = await failure(clientFor(t, server).request('GET', '/x', { maxRetries: 0 }));
  t.equal(perCall.constructor, PrefactorApiError);
});

t.test('.request() does not retry other 4xx, unlisted statuses, or methods outside retry.methods', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { retryOnStatusCodes: [503] });
  server.reply(apiError(503, 'unavailable', 'busy'), apiError(400, 'bad_request', 'no'));
  const error = await failure(client.request('POST', '/x', { json: {} }));
  t.equal(error.constructor, PrefactorValidationError, 'a 400 after a 503 is thrown as is');
  t.equal(server.requests.length, 2);
  server.reply(apiError(500, 'internal', 'not listed'));
  t.equal((await failure(client.request('GET', '/x'))).constructor, PrefactorApiError);
  t.equal(server.requests.length, 3);
  server.reply(apiError(503, 'unavailable', 'busy'));
  t.equal((await failure(client.request('PATCH', '/x', { json: {} }))).constructor, PrefactorApiError);
  t.equal(server.requests.length, 4);
});

t.test('.request() honours Retry-After in seconds, up to maxRetryDelayMs, and reports retryAfterMs', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { maxRetryDelayMs: 40 });
  server.reply(
    apiError(429, 'rate_limited', 'slow down', {}, { 'retry-after': '0.02' }),
    apiError(429, 'rate_limited', 'slow down', {}, { 'retry-after': '120' }),
    success({}),
  );
  const delays: number[] = [];
  const retryAfters: Array<number | undefined> = [];
  await client.request('POST', '/x', {
    json: {},
    onRetry: ({ delayMs, error }) => {
      delays.push(delayMs);
      retryAfters.push((error as PrefactorApiError).retryAfterMs);
    },
  });
  t.same(delays, [20, 40]);
  t.same(retryAfters, [20, 40]);

  server.reply(apiError(429, 'rate_limited', 'slow down', {}, { 'retry-after': '0.01' }));
  const error = (await failure(client.request('GET', '/x', { maxRetries: 0 }))) as PrefactorApiError;
  t.equal(error.retryAfterMs, 10);
  server.reply(apiError(429, 'rate_limited', 'slow down', {}, { 'retry-after': '0' }), apiError(429, 'rate_limited', 'again', {}, { 'retry-after': '0' }));
  const exhausted = (await failure(client.request('GET', '/x', { maxRetries: 1 }))) as PrefactorRetryExhaustedError;
  t.equal(exhausted.retryAfterMs, 0);
});

t.test('.request() honours Retry-After as an HTTP date', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { maxRetryDelayMs: 30 });
  server.reply(
    apiError(503, 'unavailable', 'later', {}, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() }),
    apiError(503, 'unavailable', 'later', {}, { 'retry-after': new Date(Date.now() - 3_600_000).toUTCString() }),
    success({}),
  );
  const delays: number[] = [];
  await client.request('GET', '/x', { onRetry: ({ delayMs }) => delays.push(delayMs) });
  t.same(delays, [30, 1], 'a far date is capped; a past date retries at once');
});

t.test('.request() times out a hanging server after requestTimeoutMs, and retries the timeout', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { requestTimeoutMs: 150 });
  server.reply('hang');
  const started = Date.now();
  const error = await failure(client.request('GET', '/api/v1/ping', { maxRetries: 0 }));
  t.ok(error instanceof PrefactorClientError);
  t.match(error, {
    code: 'ERR_PREFACTOR_TIMEOUT',
    systemCode: 'ETIMEDOUT',
    message: /^GET \/api\/v1\/ping timed out: no response within 150 ms \(`requestTimeoutMs`\)\. Check that http:\/\/127\.0\.0\.1:\d+ is reachable and healthy, or raise `requestTimeoutMs`\.$/,
  });
  t.ok(Date.now() - started >= 140);
  server.reply('hang', success({ pong: true }));
  t.same(await client.request('POST', '/x', { json: {} }), { status: 'success', details: { pong: true } });
  t.equal(server.requests.at(-1)!.headers['idempotency-key'], server.requests.at(-2)!.headers['idempotency-key']);
});

t.test('.request() retries a dropped connection and reports it when retries run out', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  server.reply('destroy', success({ ok: 1 }));
  t.same(await client.request('POST', '/x', { json: {} }), { status: 'success', details: { ok: 1 } });
  server.reply('destroy');
  const error = await failure(client.request('GET', '/x', { maxRetries: 0 }));
  t.ok(error instanceof PrefactorClientError);
  t.match(error, { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNRESET', message: /^GET \/x could not complete against http:\/\/127\.0\.0\.1:\d+ \(ECONNRESET: socket hang up\)\. Check `apiUrl`/ });
});

t.test('.request() reports a refused connection with code ECONNREFUSED', async (t) => {
  const server = await startRawServer();
  await server.close();
  const client = clientFor(t, server);
  const error = await failure(client.request('GET', '/x', { maxRetries: 0 }));
  t.match(error, { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNREFUSED' });
  t.match(error.cause, { code: 'ECONNREFUSED' }, 'the system error is the cause');
});

t.test('.request() leaves no timer behind once a call settles, even one got ended during a retry wait', async (t) => {
  const server = await startRawServer();
  await server.close();
  const client = clientFor(t, server, { initialRetryDelayMs: 300, maxRetryDelayMs: 300 });
  const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
  const before = timers();
  await failure(client.request('POST', '/x', { json: {}, maxRetries: 3 }));
  // On Node 24 got ends this call while the client still waits out a retry delay: a timer left
  // running would keep a process that is done alive for up to a whole delay.
  t.equal(timers(), before);
});

t.test('.request() on a dead port fails with a transient error, on every Node version', async (t) => {
  const server = await startRawServer();
  await server.close();
  const client = clientFor(t, server);
  const error = await failure(client.request('POST', '/x', { json: {}, maxRetries: 2 }));
  // Node 20 reports ECONNREFUSED on every attempt. Node 24 reports a retry's refused connection as
  // ERR_SOCKET_CLOSED_BEFORE_CONNECTION, and got 14 then gives up without asking calculateDelay.
  const last = error instanceof PrefactorRetryExhaustedError ? error.lastError : error;
  t.match(last, { code: 'ERR_PREFACTOR_NETWORK', systemCode: /^(ECONNREFUSED|ERR_SOCKET_CLOSED_BEFORE_CONNECTION)$/ });
  t.equal(isTransientError(error), true, `${(last as PrefactorClientError).code} is transient`);
});

t.test('.request() sends a string body as bytes it encoded once, with its byte length', async (t) => {
  const server = await withRawServer(t, success({}));
  server.reply({ status: 503, body: '' });
  const client = clientFor(t, server);
  // got measures a string body with `new TextEncoder().encode(body)`: a full copy per attempt.
  const encode = TextEncoder.prototype.encode;
  let encoded = 0;
  TextEncoder.prototype.encode = function (this: InstanceType<typeof TextEncoder>, input?: string) {
    encoded++;
    return encode.call(this, input);
  };
  t.teardown(() => {
    TextEncoder.prototype.encode = encode;
  });
  const body = '{"items":[],"note":"é☃","idempotency_key":"bulk-key-0002"}';
  await client.request('POST', '/api/v1/bulk', { body, idempotencyKey: 'bulk-key-0002', maxRetries: 1 });
  TextEncoder.prototype.encode = encode;
  t.equal(encoded, 0, 'no TextEncoder copy of the body');
  t.equal(server.requests.length, 2);
  for (const request of server.requests) {
    t.equal(request.body, body);
    t.equal(request.headers['content-length'], String(Buffer.byteLength(body)));
  }
});

t.test('.request() turns invalid JSON and non-object bodies into PrefactorResponseContractError', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  const html = `<html>\n  <body>\n    ${'Bad gateway '.repeat(40)}\n  </body>\n</html>`;
  server.reply({ status: 200, body: html });
  const notJson = (await failure(client.request('GET', '/x'))) as PrefactorResponseContractError;
  t.ok(notJson instanceof PrefactorResponseContractError);
  t.equal(notJson.code, 'ERR_PREFACTOR_RESPONSE_CONTRACT');
  t.equal(notJson.statusCode, 200);
  t.ok(notJson.bodySnippet!.length <= 200);
  t.ok(notJson.bodySnippet!.startsWith('<html> <body> Bad gateway Bad'));
  t.match(notJson.message, /^GET \/x returned 200 with a body that is not JSON: "<html> <body>.*"\. Check that `apiUrl` points at the Prefactor API/);
  t.ok(notJson.cause instanceof SyntaxError);
  t.equal(server.requests.length, 1, 'a 2xx contract error is not retried');

  for (const body of ['[1,2]', 'null', '"text"', '42']) {
    server.reply({ status: 200, body });
    const error = (await failure(client.request('GET', '/x'))) as PrefactorResponseContractError;
    t.match(error, { code: 'ERR_PREFACTOR_RESPONSE_CONTRACT', statusCode: 200, bodySnippet: body, message: /JSON that is not an object/ }, body);
  }
  server.reply(json(404, { detail: 'no route' }));
  const shape = (await failure(client.request('GET', '/x', { maxRetries: 0 }))) as PrefactorResponseContractError;
  t.match(shape, { code: 'ERR_PREFACTOR_RESPONSE_CONTRACT', statusCode: 404, message: /an error body that is not \{"status": "error", "code", "message"\}/ });
});

t.test('.request() retries contract errors on 429 and 5xx answers', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { retryOnStatusCodes: [] });
  server.reply({ status: 502, body: '<h1>Bad Gateway</h1>' }, { status: 429, body: '' }, success({}));
  await client.request('GET', '/x');
  t.equal(server.requests.length, 3);
  server.reply({ status: 505, body: 'nope' }, { status: 505, body: 'nope' });
  const error = (await failure(client.request('GET', '/x', { maxRetries: 1 }))) as PrefactorRetryExhaustedError;
  t.match(error.lastError, { code: 'ERR_PREFACTOR_RESPONSE_CONTRACT', statusCode: 505, bodySnippet: 'nope' });
  server.reply({ status: 400, body: 'nope' });
  t.match(await failure(client.request('GET', '/x')), { code: 'ERR_PREFACTOR_RESPONSE_CONTRACT', statusCode: 400 });
  t.equal(server.requests.length, 6, 'a 4xx contract error is not retried');
});

t.test('.request() checks the body against options.schema', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  const schema = z.object({ status: z.literal('success'), details: z.object({ id: z.string() }) });
  server.reply(success({ id: 'abc' }), success({ id: 7 }));
  const ok = await client.request('GET', '/x', { schema });
  t.equal(ok.details.id, 'abc');
  const error = (await failure(client.request('GET', '/x', { schema }))) as PrefactorResponseContractError;
  t.match(error, { code: 'ERR_PREFACTOR_RESPONSE_CONTRACT', statusCode: 200, message: /does not fit the expected response \(details\.id: Invalid input: expected string, received number\)/ });
});

t.test('.request() onRetry that throws does not stop the retry', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  server.reply(apiError(503, 'unavailable', 'busy'), success({}));
  await client.request('GET', '/x', { onRetry: () => { throw new Error('user bug'); } });
  t.equal(server.requests.length, 2);
});

t.test('.request() aborts on the caller signal, before sending, mid-request or between retries', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server);
  const pre = await failure(client.request('GET', '/x', { signal: AbortSignal.abort() }));
  t.match(pre, { code: 'ERR_PREFACTOR_ABORTED', message: "GET /x was aborted by the caller's signal; nothing more will be sent for it." });
  t.equal(server.requests.length, 0);

  server.reply('hang');
  const controller = new AbortController();
  const hanging = failure(client.request('GET', '/x', { signal: controller.signal }));
  await server.waitForRequests(1);
  controller.abort();
  t.match(await hanging, { code: 'ERR_PREFACTOR_ABORTED' });

  const slow = clientFor(t, server, { maxRetryDelayMs: 30_000 });
  const started = Date.now();
  for (const when of ['in onRetry', 'during the wait'] as const) {
    server.reply(apiError(503, 'unavailable', 'busy', {}, { 'retry-after': '30' }));
    const backoff = new AbortController();
    const onRetry = (): void => {
      if (when === 'in onRetry') backoff.abort();
      else setTimeout(() => backoff.abort(), 10);
    };
    const error = await failure(slow.request('POST', '/x', { json: {}, signal: backoff.signal, onRetry }));
    t.ok(error instanceof PrefactorClientError, when);
    t.match(error, { code: 'ERR_PREFACTOR_ABORTED' }, when);
  }
  t.ok(Date.now() - started < 5000, 'did not wait out the 30 s Retry-After');
  t.equal(server.requests.length, 3, 'no retry was sent after the abort');
});

t.test('.close() cancels calls in flight and refuses new ones with CLIENT_CLOSED', async (t) => {
  const server = await withRawServer(t);
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: TOKEN });
  server.reply('hang');
  const inFlight = failure(client.request('GET', '/x'));
  await server.waitForRequests(1);
  t.equal(client.closed, false);
  await client.close();
  t.equal(client.closed, true);
  t.match(await inFlight, { code: 'ERR_PREFACTOR_CLIENT_CLOSED', message: 'GET /x was cancelled because the client was closed. Create a new PrefactorHttpClient to send more requests.' });
  t.match(await failure(client.request('POST', '/y', { json: {} })), { code: 'ERR_PREFACTOR_CLIENT_CLOSED' });
  await client.close();
  t.equal(server.requests.length, 1);
});

t.test('[Symbol.asyncDispose]() closes the client', async (t) => {
  const server = await withRawServer(t);
  const client = new PrefactorHttpClient({ apiUrl: server.url, apiToken: TOKEN });
  await client[Symbol.asyncDispose]();
  t.equal(client.closed, true);
  t.match(await failure(client.validateToken()), { code: 'ERR_PREFACTOR_CLIENT_CLOSED' });
});

t.test('.validateToken() is true on success, false on 401/403, and throws anything else', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { maxRetries: 0 });
  server.reply(success({ pong: true }), apiError(401, 'unauthorized', 'bad token'), apiError(403, 'forbidden', 'no'), apiError(500, 'internal', 'x'));
  t.equal(await client.validateToken(), true);
  t.equal(await client.validateToken(), false);
  t.equal(await client.validateToken(), false);
  t.match(await failure(client.validateToken()), { statusCode: 500 });
  t.same(server.requests.map((r) => `${r.method} ${r.path}`), Array(4).fill('GET /api/v1/ping'));
});

t.test('the API token never appears in an error, its string, JSON or inspection', async (t) => {
  const server = await withRawServer(t);
  const client = clientFor(t, server, { maxRetries: 0 });
  server.reply(apiError(401, 'unauthorized', `token ${TOKEN} is revoked`), { status: 502, body: `upstream saw Bearer ${TOKEN}` });
  const echoed = await failure(client.request('GET', '/x'));
  t.match(echoed.message, 'token [redacted] is revoked');
  const snippet = (await failure(client.request('GET', '/x'))) as PrefactorResponseContractError;
  t.match(snippet.bodySnippet, 'upstream saw Bearer [redacted]');
  server.reply(apiError(422, 'invalid', 'bad fields', { errors: { [`key ${TOKEN}`]: `got ${TOKEN}`, nested: [{ value: TOKEN, count: 3 }] } }));
  const fields = (await failure(client.request('POST', '/x', { json: {} }))) as PrefactorValidationError;
  t.same(fields.errors, { 'key [redacted]': 'got [redacted]', nested: [{ value: '[redacted]', count: 3 }] }, 'an echoed token is cut out of the errors map');
  t.notMatch(util.inspect(client, { showHidden: true, depth: 5 }), TOKEN);
  const shortToken = clientFor(t, server, { apiToken: 'abc', maxRetries: 0 });
  server.reply(apiError(500, 'internal', 'abc is not a real token'));
  t.match(await failure(shortToken.request('GET', '/x')), { message: /500 internal: abc is not a real token/ }, 'a short string is left alone');
  t.ok(seen.length > 40, `checked ${seen.length} errors`);
  for (const error of seen) {
    const views = [
      String(error),
      (error as Error).stack ?? '',
      JSON.stringify(error),
      util.inspect(error, { depth: 10 }),
      util.inspect((error as Error).cause, { depth: 10 }),
    ];
    for (const view of views) if (view.includes(TOKEN)) t.fail(`token leaked: ${view.slice(0, 300)}`);
  }
});
