import t from 'tap';
import { UNSERIALIZABLE_JSON, isPlainObject, serializePayload } from '../../src/tracing/serialize.js';

const parse = (value: unknown): unknown => JSON.parse(serializePayload(value));

t.test('serializePayload() sends a plain object as itself and wraps anything else as {value}', async (t) => {
  t.equal(serializePayload({ i: 1, text: 'x' }), '{"i":1,"text":"x"}');
  t.equal(serializePayload(undefined), '{}');
  t.same(parse('text'), { value: 'text' });
  t.same(parse(null), { value: null });
  t.same(parse([1, undefined]), { value: [1, null] });
  for (const value of [0, -0, 1, 999, -99, 1000, -100, 1.5, NaN, Infinity, 2 ** 60, true, false]) {
    t.equal(serializePayload(value), JSON.stringify({ value }), `{value: ${String(value)}}`);
  }
  t.same(parse(new Date(0)), { value: '1970-01-01T00:00:00.000Z' });
  t.same(parse(Object.assign(Object.create(null), { a: 1 })), { a: 1 });
  t.same(parse({ nested: { date: new Date(0), skipped: undefined } }), { nested: { date: '1970-01-01T00:00:00.000Z' } });
});

t.test('serializePayload() copes with what JSON cannot carry', async (t) => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular['self'] = circular;
  const shared = { n: 1 };
  const error = new TypeError('bad', { cause: new Error('root') });
  t.same(parse({ circular }), { circular: { name: 'loop', self: '[Circular]' } });
  t.same(parse({ a: shared, b: shared }), { a: { n: 1 }, b: { n: 1 } }, 'a shared reference is not a cycle');
  t.same(parse({ big: 10n, none: null }), { big: '10', none: null });
  t.same(parse({ fn: function named() {}, anon: (() => () => {})() }), { fn: '[Function named]', anon: '[Function anonymous]' });
  t.same(parse({ symbol: Symbol('s') }), { symbol: 'Symbol(s)' });
  t.match(parse({ error }), { error: { type: 'TypeError', message: 'bad', stack: /TypeError: bad/, cause: { type: 'Error', message: 'root' } } });
  t.same(parse({ map: new Map<unknown, unknown>([['k', 1], [2, new Set([1n])]]) }), { map: { k: 1, '2': ['1'] } });
  t.same(parse({ list: [1n, undefined] }), { list: ['1', null] });
  t.same(parse({ throws: { toJSON() { throw new Error('toJSON failed'); } } }), { throws: '[toJSON threw: toJSON failed]' });
  t.same(parse({ throws: { toJSON() { throw 'plain'; } } }), { throws: '[toJSON threw: plain]' });
  t.same(parse({ via: { toJSON: () => ({ big: 1n }) } }), { via: { big: '1' } });
  const getter = Object.defineProperty({ ok: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('getter failed'); } });
  t.same(parse(getter), { ok: 1, bad: '[getter threw: getter failed]' });
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 100; i++) deep = (deep['d'] = {}) as Record<string, unknown>;
  root['big'] = 1n;
  t.match(serializePayload(root), /\[MaxDepth\]/);
  const deepCircular: Record<string, unknown> = {};
  let cursor = deepCircular;
  for (let i = 0; i < 12; i++) cursor = (cursor['d'] = {}) as Record<string, unknown>;
  cursor['loop'] = deepCircular;
  t.match(serializePayload(deepCircular), /"loop":"\[Circular\]"/, 'a cycle deeper than the scan');
});

t.test('serializePayload() returns a placeholder when nothing can be read', async (t) => {
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); }, getPrototypeOf: () => Object.prototype });
  t.equal(serializePayload({ hostile, big: 1n }), UNSERIALIZABLE_JSON);
});

t.test('isPlainObject() accepts literals and null-prototype objects only', async (t) => {
  t.equal(isPlainObject({}), true);
  t.equal(isPlainObject(Object.create(null)), true);
  t.equal(isPlainObject(new Date()), false);
  t.equal(isPlainObject({ toJSON: () => 1 }), false);
  t.equal(isPlainObject(null), false);
  t.equal(isPlainObject([]), false);
});
