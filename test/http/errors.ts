import t from 'tap';
import { PrefactorError } from '../../src/errors.js';
import util from 'node:util';
import {
  bodySnippet,
  isTransientError,
  PrefactorApiError,
  PrefactorAuthError,
  PrefactorClientError,
  PrefactorHttpError,
  PrefactorNotFoundError,
  PrefactorResponseContractError,
  PrefactorRetryExhaustedError,
  PrefactorValidationError,
} from '../../src/http/errors.js';

const api = (statusCode: number): PrefactorApiError => new PrefactorApiError('failed', { apiCode: 'x', statusCode });

t.test('error classes form the prefactor_http hierarchy with stable codes and names', async (t) => {
  const auth = new PrefactorAuthError('no', { apiCode: 'unauthorized', statusCode: 401 });
  t.ok(auth instanceof PrefactorApiError && auth instanceof PrefactorHttpError && auth instanceof Error);
  t.equal(auth.name, 'PrefactorAuthError');
  t.ok(auth instanceof PrefactorError, 'every error of the package extends PrefactorError');
  t.equal(auth.code, 'ERR_PREFACTOR_AUTH');
  t.equal(auth.apiCode, 'unauthorized');
  t.equal(new PrefactorNotFoundError('no', { apiCode: 'not_found', statusCode: 404 }).code, 'ERR_PREFACTOR_NOT_FOUND');
  t.equal(new PrefactorValidationError('bad', { apiCode: 'invalid', statusCode: 422 }).code, 'ERR_PREFACTOR_VALIDATION');
  t.equal(api(500).code, 'ERR_PREFACTOR_API');
  t.ok(new PrefactorNotFoundError('no', { apiCode: 'not_found', statusCode: 404 }) instanceof PrefactorApiError);
  const validation = new PrefactorValidationError('bad', { apiCode: 'invalid', statusCode: 422 });
  t.same(validation.errors, {});
  const contract = new PrefactorResponseContractError('odd');
  t.equal(contract.code, 'ERR_PREFACTOR_RESPONSE_CONTRACT');
  t.equal(contract.statusCode, undefined);
  t.equal(contract.bodySnippet, undefined);
  t.equal(new PrefactorResponseContractError('odd', { statusCode: 200, bodySnippet: '<html>' }).bodySnippet, '<html>');
  const last = new PrefactorApiError('slow down', { apiCode: 'rate_limited', statusCode: 429, retryAfterMs: 3000 });
  const exhausted = new PrefactorRetryExhaustedError('gave up', last, 4);
  t.equal(exhausted.code, 'ERR_PREFACTOR_RETRY_EXHAUSTED');
  t.equal(exhausted.lastError, last);
  t.equal(exhausted.cause, last);
  t.equal(exhausted.attempts, 4);
  t.equal(exhausted.retryAfterMs, 3000);
  t.equal(new PrefactorRetryExhaustedError('gave up', api(500), 2).retryAfterMs, undefined);
});

t.test('error request/response details are non-enumerable and stay out of inspect and JSON', async (t) => {
  const error = new PrefactorApiError('POST /api/v1/x failed', {
    apiCode: 'boom',
    statusCode: 500,
    request: { method: 'POST', path: '/api/v1/x' },
    response: { statusCode: 500, headers: { 'x-secret-header': 'hidden-value' }, bodySnippet: 'body' },
  });
  t.equal(error.request?.path, '/api/v1/x');
  t.equal(error.response?.statusCode, 500);
  t.notMatch(util.inspect(error), 'hidden-value');
  t.notMatch(JSON.stringify(error), 'hidden-value');
  t.same(JSON.parse(JSON.stringify(error)), { name: 'PrefactorApiError', code: 'ERR_PREFACTOR_API', apiCode: 'boom', message: 'POST /api/v1/x failed', statusCode: 500 });
  const exhausted = JSON.parse(JSON.stringify(new PrefactorRetryExhaustedError('gave up', error, 2)));
  t.equal(exhausted.lastError.apiCode, 'boom');
});

t.test('isTransientError() is true for network errors, timeouts, 429, 5xx and what wraps them', async (t) => {
  const cases: Array<[string, unknown, boolean]> = [
    ['ECONNRESET', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNRESET' }), true],
    ['ECONNREFUSED', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNREFUSED' }), true],
    ['ETIMEDOUT', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_TIMEOUT', systemCode: 'ETIMEDOUT' }), true],
    // What Node 24 reports for a dead port or an unreachable host, instead of Node 20's system errors.
    ...['ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND'].map(
      (code): [string, unknown, boolean] => [code, new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK', systemCode: code }), true],
    ),
    ['exhausted ERR_SOCKET_CLOSED_BEFORE_CONNECTION', new PrefactorRetryExhaustedError('x', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION' }), 3), true],
    ['ABORTED', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_ABORTED' }), false],
    ['CLIENT_CLOSED', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_CLIENT_CLOSED' }), false],
    ['invalid_request', new PrefactorClientError('x', { code: 'ERR_PREFACTOR_INVALID_REQUEST' }), false],
    ['429', api(429), true],
    ['500', api(500), true],
    ['503', api(503), true],
    ['400', api(400), false],
    ['409', api(409), false],
    ['401', new PrefactorAuthError('x', { apiCode: 'x', statusCode: 401 }), false],
    ['contract 502', new PrefactorResponseContractError('x', { statusCode: 502 }), true],
    ['contract 429', new PrefactorResponseContractError('x', { statusCode: 429 }), true],
    ['contract 200', new PrefactorResponseContractError('x', { statusCode: 200 }), false],
    ['contract without status', new PrefactorResponseContractError('x'), false],
    ['exhausted 503', new PrefactorRetryExhaustedError('x', api(503), 4), true],
    ['exhausted 404', new PrefactorRetryExhaustedError('x', api(404), 4), false],
    ['plain Error', new Error('x'), false],
    ['not an error', 'ECONNRESET', false],
  ];
  for (const [name, error, expected] of cases) t.equal(isTransientError(error), expected, name);
});

t.test('bodySnippet() collapses whitespace and keeps at most 200 characters', async (t) => {
  t.equal(bodySnippet('  a \n\t b  '), 'a b');
  const long = bodySnippet('x'.repeat(500));
  t.equal(long.length, 200);
  t.ok(long.endsWith('...'));
  t.equal(bodySnippet('y'.repeat(200)), 'y'.repeat(200));
});
