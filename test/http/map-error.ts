import t from 'tap';
import { TimeoutError } from 'got';
import { z } from 'zod';
import { errorFromGot, type CallContext } from '../../src/http/map-error.js';
import { PrefactorClientError } from '../../src/http/errors.js';

const ctx: CallContext = {
  request: { method: 'GET', path: '/x' },
  origin: 'http://api.example',
  requestTimeoutMs: 1000,
  connectTimeoutMs: 50,
  maxRetryDelayMs: 100,
  redact: (text) => text,
};

t.test('errorFromGot() names connectTimeoutMs for a connect timeout', async (t) => {
  const timeout = new TimeoutError(Object.assign(new Error("Timeout awaiting 'connect' for 50ms"), { event: 'connect', code: 'ETIMEDOUT' }) as never, {} as never, {} as never);
  const error = errorFromGot(timeout, ctx);
  t.ok(error instanceof PrefactorClientError);
  t.equal(error.code, 'ERR_PREFACTOR_TIMEOUT');
  t.equal((error as PrefactorClientError).systemCode, 'ETIMEDOUT');
  t.equal(
    error.message,
    'GET /x timed out: no connection within 50 ms (`connectTimeoutMs`). Check that http://api.example is reachable and healthy, or raise `connectTimeoutMs`.',
  );
});

t.test('errorFromGot() maps unknown failures to a client error with a code', async (t) => {
  const plain = errorFromGot(new Error('weird'), ctx);
  t.match(plain, { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_REQUEST', message: 'GET /x could not complete against http://api.example (ERR_REQUEST: weird). Check `apiUrl` and that the API is reachable.' });
  t.equal(plain.cause, undefined);
  t.match(errorFromGot('a string', ctx), { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_REQUEST', message: /\(ERR_REQUEST: a string\)/ });
  t.match(errorFromGot(Object.assign(new Error('x'), { code: 'EPIPE' }), ctx), { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'EPIPE' });
});
