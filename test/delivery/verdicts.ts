import t from 'tap';
import { PrefactorApiError, PrefactorClientError, PrefactorNotFoundError, PrefactorResponseContractError } from '../../src/http/errors.js';
import { CREATE, INSTANCE_FINISH, REGISTER, SPAN_FINISH, START } from '../../src/delivery/operations.js';
import { itemVerdict, redeliveryDelayMs, requestVerdict } from '../../src/delivery/verdicts.js';

const apiError = (statusCode: number, code = 'x'): PrefactorApiError => new PrefactorApiError('failed', { code, statusCode });

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
  const notFound = new PrefactorNotFoundError('no', { code: 'not_found', statusCode: 404 });
  const cases: Array<[unknown, boolean, number, ReturnType<typeof requestVerdict>]> = [
    [notFound, true, 5, 'no_bulk'],
    [notFound, false, 1, 'rejected'],
    [apiError(413), true, 5, 'too_large'],
    [apiError(413), true, 1, 'rejected'],
    [apiError(503), true, 5, 'transient'],
    [apiError(429), false, 1, 'transient'],
    [new PrefactorClientError('reset', { code: 'ECONNRESET' }), true, 1, 'transient'],
    [new PrefactorResponseContractError('truncated', { statusCode: 200 }), true, 3, 'transient'],
    [apiError(422), true, 3, 'isolate'],
    [apiError(401), true, 1, 'rejected'],
    [new Error('bug'), false, 1, 'rejected'],
  ];
  for (const [error, bulk, count, verdict] of cases) t.equal(requestVerdict(error, bulk, count), verdict, `${String(error)} ${bulk} ${count}`);
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
