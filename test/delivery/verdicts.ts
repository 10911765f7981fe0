import t from 'tap';
import type { PrefactorErrorCode } from '../../src/errors.js';
import {
  PrefactorApiError,
  PrefactorClientError,
  PrefactorNotFoundError,
  PrefactorResponseContractError,
  PrefactorRetryExhaustedError,
} from '../../src/http/errors.js';
import { CREATE, INSTANCE_FINISH, REGISTER, SPAN_FINISH, START } from '../../src/delivery/operations.js';
import { isMissingReference, isUnanswered, itemVerdict, redeliveryDelayMs, requestVerdict } from '../../src/delivery/verdicts.js';

const apiError = (statusCode: number, code = 'x'): PrefactorApiError => new PrefactorApiError('failed', { apiCode: code, statusCode });

t.test('itemVerdict() by operation kind and error code', async (t) => {
  const cases: Array<[Parameters<typeof itemVerdict>[0], unknown, ReturnType<typeof itemVerdict>]> = [
    [CREATE, 'unknown_action', 'unsupported'],
    [SPAN_FINISH, 'invalid_action', 'delivered'],
    [START, 'invalid_action', 'delivered'],
    [INSTANCE_FINISH, 'invalid_action', 'delivered'],
    [CREATE, 'invalid_action', 'rejected'],
    [REGISTER, 'already_exists', 'delivered'],
    [CREATE, 'already_exists', 'delivered'],
    [SPAN_FINISH, 'already_exists', 'rejected'],
    [CREATE, 'internal_error', 'transient'],
    [CREATE, 'rate_limited', 'transient'],
    [CREATE, 'validation_error', 'rejected'],
    [CREATE, undefined, 'rejected'],
  ];
  for (const [kind, code, verdict] of cases) t.equal(itemVerdict(kind, code), verdict, `${kind} ${String(code)}`);
});

t.test('requestVerdict() by error, endpoint and batch size', async (t) => {
  const notFound = new PrefactorNotFoundError('no', { apiCode: 'not_found', statusCode: 404 });
  const cases: Array<[unknown, boolean, number, ReturnType<typeof requestVerdict>]> = [
    [notFound, true, 5, 'no_bulk'],
    [notFound, false, 1, 'rejected'],
    [apiError(413), true, 5, 'too_large'],
    [apiError(413), true, 1, 'rejected'],
    [apiError(503), true, 5, 'transient'],
    [apiError(429), false, 1, 'transient'],
    [new PrefactorClientError('reset', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ECONNRESET' }), true, 1, 'transient'],
    // A network failure under a code the client does not know (a new Node version's) is no rejection by the server.
    [new PrefactorClientError('closed', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_SOME_NEW_SOCKET_ERROR' }), true, 1, 'transient'],
    [new PrefactorClientError('closed', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_SOME_NEW_SOCKET_ERROR' }), true, 5, 'transient'],
    [new PrefactorClientError('closed', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_SOME_NEW_SOCKET_ERROR' }), false, 1, 'transient'],
    [new PrefactorRetryExhaustedError('gave up', new PrefactorClientError('closed', { code: 'ERR_PREFACTOR_NETWORK', systemCode: 'ERR_SOME_NEW_SOCKET_ERROR' }), 3), false, 1, 'transient'],
    [new PrefactorClientError('aborted', { code: 'ERR_PREFACTOR_ABORTED' }), false, 1, 'rejected'],
    [new PrefactorClientError('closed', { code: 'ERR_PREFACTOR_CLIENT_CLOSED' }), true, 1, 'rejected'],
    [new PrefactorClientError('bad key', { code: 'ERR_PREFACTOR_INVALID_REQUEST' }), false, 1, 'rejected'],
    [new PrefactorResponseContractError('truncated', { statusCode: 200 }), true, 3, 'transient'],
    [apiError(422), true, 3, 'isolate'],
    [apiError(401), true, 1, 'rejected'],
    // A refused token: isolating the operations would only have each refused again.
    [apiError(401), true, 5, 'rejected'],
    [apiError(403), true, 5, 'isolate'],
    [new Error('bug'), false, 1, 'rejected'],
  ];
  for (const [error, bulk, count, verdict] of cases) t.equal(requestVerdict(error, bulk, count), verdict, `${String(error)} ${bulk} ${count}`);
});

t.test('isUnanswered() is true for client-side failures but aborts, closes and refusals, bare or exhausted', async (t) => {
  const network = (systemCode: string): PrefactorClientError => new PrefactorClientError('x', { code: 'ERR_PREFACTOR_NETWORK', systemCode });
  const client = (code: PrefactorErrorCode): PrefactorClientError => new PrefactorClientError('x', { code });
  const cases: Array<[string, unknown, boolean]> = [
    ['ERR_SOCKET_CLOSED_BEFORE_CONNECTION', network('ERR_SOCKET_CLOSED_BEFORE_CONNECTION'), true],
    ['an unknown code', network('ERR_FUTURE'), true],
    ['exhausted on an unknown code', new PrefactorRetryExhaustedError('x', network('ERR_FUTURE'), 2), true],
    ['ABORTED', client('ERR_PREFACTOR_ABORTED'), false],
    ['CLIENT_CLOSED', client('ERR_PREFACTOR_CLIENT_CLOSED'), false],
    ['invalid_request', client('ERR_PREFACTOR_INVALID_REQUEST'), false],
    ['exhausted on a 503', new PrefactorRetryExhaustedError('x', apiError(503), 2), false],
    ['an API error', apiError(400), false],
    ['a plain Error', new Error('x'), false],
  ];
  for (const [name, error, expected] of cases) t.equal(isUnanswered(error), expected, name);
});

t.test('redeliveryDelayMs() doubles from the base, caps, and jitters by +/-20%', async (t) => {
  const cases: Array<[number, number, number, number, number]> = [
    // failures, base, max, random, expected
    [1, 100, 10_000, 0.5, 100],
    [2, 100, 10_000, 0.5, 200],
    [4, 100, 10_000, 0.5, 800],
    [20, 100, 10_000, 0.5, 10_000],
    [1000, 100, 10_000, 0.5, 10_000],
    [0, 100, 10_000, 0.5, 100],
    [1, 100, 10_000, 0, 80],
    [1, 100, 10_000, 0.999_999, 119.99996],
    [3, 0, 10_000, 0.5, 0],
  ];
  for (const [failures, base, max, random, expected] of cases) {
    t.ok(Math.abs(redeliveryDelayMs(failures, base, max, random) - expected) < 1e-6, `${failures} failures -> ${expected}`);
  }
  const unseeded = redeliveryDelayMs(1, 100, 1000);
  t.ok(unseeded >= 80 && unseeded < 120);
});

t.test('isMissingReference() spots a create refused for its instance or parent', async (t) => {
  const cases: Array<[unknown, unknown, boolean]> = [
    ['not_found', undefined, true],
    ['validation_error', { 'details.agent_instance_id': 'no agent instance x' }, true],
    ['validation_error', { 'details.parent_span_id': 'no span y' }, true],
    ['validation_error', { parent_span_id: 'no span y' }, true],
    ['validation_error', { 'details.payload': 'bad', 'details.parent_span_id': 'no span y' }, false],
    ['validation_error', {}, false],
    ['validation_error', undefined, false],
    ['validation_error', null, false],
    ['already_exists', undefined, false],
  ];
  for (const [code, errors, missing] of cases) t.equal(isMissingReference(code, errors), missing, `${String(code)} ${JSON.stringify(errors)}`);
});
