import t from 'tap';
import { contextHeaders, parentIdOf, readContext, traceIdOf, MAX_CONTEXT_LENGTH } from '../../src/tracing/propagation.js';
import { generateId } from '../../src/util/ids.js';

const INSTANCE = '01jd2x8f9g0000000000000000000000';
const SPAN = '01jd2x8f9h0000000000000000000001';

t.test('traceIdOf() maps a Prefactor id to its timestamp and random bits, as 32 hex digits', async (t) => {
  // 48-bit timestamp 0x0000000001 (digits 0000000001), partition ignored, random 0...01.
  t.equal(traceIdOf('0000000001abcdef0000000000000001'), '000000000001' + '0'.repeat(19) + '1');
  const id = generateId(5, 1_700_000_000_000);
  const traceId = traceIdOf(id);
  t.match(traceId, /^[0-9a-f]{32}$/);
  t.equal(traceId.slice(0, 12), (1_700_000_000_000).toString(16).padStart(12, '0'), 'the timestamp comes first');
  t.equal(traceIdOf(id), traceId, 'deterministic');
  t.not(traceIdOf(generateId(5, 1_700_000_000_000)), traceId, 'another id, another trace id');
});

t.test('traceIdOf() and parentIdOf() hash ids in another format, and never give all zeros', async (t) => {
  t.match(traceIdOf('my-run-42'), /^[0-9a-f]{32}$/);
  t.equal(traceIdOf('my-run-42'), traceIdOf('my-run-42'));
  t.match(parentIdOf('span-7'), /^[0-9a-f]{16}$/);
  const zero = '0'.repeat(32);
  t.not(traceIdOf(zero), '0'.repeat(32), 'an all-zero id gets a digest');
  t.not(parentIdOf(zero), '0'.repeat(16));
  t.equal(parentIdOf('00000000000000000000000000000001'), '0000000000000001', 'the last 64 random bits');
});

t.test('contextHeaders() writes traceparent and prefactor-context', async (t) => {
  t.same(contextHeaders({ instanceId: INSTANCE, spanId: SPAN, sampled: true }), {
    traceparent: `00-${traceIdOf(INSTANCE)}-${parentIdOf(SPAN)}-01`,
    'prefactor-context': `v1;instance=${INSTANCE};span=${SPAN};sampled=1`,
  });
  t.same(contextHeaders({ instanceId: 'a;b c', spanId: undefined, sampled: false }), {
    traceparent: `00-${traceIdOf('a;b c')}-${parentIdOf('a;b c')}-00`,
    'prefactor-context': 'v1;instance=a%3Bb%20c;sampled=0',
  });
});

t.test('readContext() reads what contextHeaders() wrote, from a plain object, Headers or a message', async (t) => {
  const headers = contextHeaders({ instanceId: INSTANCE, spanId: SPAN, sampled: true });
  const expected = { instanceId: INSTANCE, spanId: SPAN, sampled: true };
  t.same(readContext(headers), expected);
  t.same(readContext(new Headers(headers)), expected);
  t.same(readContext({ headers }), expected, 'an IncomingMessage-like object');
  t.same(readContext(new Request('http://127.0.0.1/', { headers })), expected, 'a Fetch Request');
  t.same(readContext({ 'Prefactor-Context': headers['prefactor-context'] }), expected, 'names are case-insensitive');
  t.same(readContext({ 'prefactor-context': ' v1 ; sampled=0 ; instance=a%3Bb ; future=x' }), { instanceId: 'a;b', spanId: undefined, sampled: false }, 'unknown keys are ignored');
});

t.test('readContext() says why headers are ignored, and never throws', async (t) => {
  const cases: [unknown, string][] = [
    [undefined, 'absent'],
    [null, 'absent'],
    ['text', 'absent'],
    [{}, 'absent'],
    [new Headers(), 'absent'],
    [{ traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` }, 'foreign'],
    [{ traceparent: 'garbage' }, 'malformed'],
    [{ 'prefactor-context': 'v2;whatever' }, 'foreign'],
    [{ 'prefactor-context': 'x1;instance=a;sampled=1' }, 'malformed'],
    [{ 'prefactor-context': ['v1;instance=a;sampled=0', 'v1;instance=b;sampled=0'] }, 'malformed'],
    [{ 'prefactor-context': `v1;instance=${'a'.repeat(MAX_CONTEXT_LENGTH)};sampled=0` }, 'oversized'],
    [{ 'prefactor-context': 'v1;instance=a;sampled=1' }, 'malformed'],
    [{ 'prefactor-context': 'v1;instance=a;sampled=yes' }, 'malformed'],
    [{ 'prefactor-context': 'v1;span=b;sampled=1' }, 'malformed'],
    [{ 'prefactor-context': 'v1;instance=%E0%A4%A;sampled=0' }, 'malformed'],
    [{ 'prefactor-context': 'v1;instance=a b;sampled=0' }, 'malformed'],
    [{ 'prefactor-context': 'v1;instance=a;span=%ZZ;sampled=1' }, 'malformed'],
    [{ 'prefactor-context': 'v1;instance=a;instance=b;sampled=0' }, 'malformed'],
    [{ 'prefactor-context': 'v1;novalue;sampled=0' }, 'malformed'],
    [{ get: () => { throw new Error('boom'); } }, 'malformed'],
  ];
  for (const [headers, reason] of cases) t.equal(readContext(headers), reason, JSON.stringify(headers) ?? String(headers));
});
