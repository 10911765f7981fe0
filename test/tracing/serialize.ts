import t from 'tap';
import { PayloadSerializer, UNSERIALIZABLE_JSON, isPlainObject, serializePayload } from '../../src/tracing/serialize.js';

const parse = (value: unknown): unknown => JSON.parse(serializePayload(value));
/** The object sent for key `key` of `value`. */
const field = (value: unknown, key: string): Record<string, unknown> => (parse(value) as Record<string, Record<string, unknown>>)[key]!;
/** The array sent for key `key` of `value`. */
const items = (value: unknown, key: string): unknown[] => (parse(value) as Record<string, unknown[]>)[key]!;

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
  t.same(parse({ circular }), { circular: { name: 'loop', self: '[Circular: $.circular]' } });
  t.same(parse({ a: shared, b: shared, list: [shared] }), { a: { n: 1 }, b: '[Shared: $.a]', list: ['[Shared: $.a]'] }, 'a shared object is written once');
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
  t.match(serializePayload(deepCircular), /"loop":"\[Circular: \$\]"/, 'a cycle deep down');
});

t.test('serializePayload() writes a marker for what cannot be read, and flags the payload', async (t) => {
  const serializer = new PayloadSerializer();
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); }, getPrototypeOf: () => Object.prototype });
  t.same(JSON.parse(serializer.serialize({ hostile, big: 1n })), { hostile: '[Unreadable: no keys]', big: '1' });
  t.equal(serializer.lastFailed, true);
  const everyTrap = new Proxy({}, new Proxy({}, { get: () => () => { throw new Error('trap'); } }));
  t.same(JSON.parse(serializer.serialize(everyTrap)), { value: '[Unreadable: trap]' });
  t.same(JSON.parse(serializer.serialize({ x: everyTrap })), { x: '[Unreadable: trap]' });
  const rootProxy = new Proxy({}, { ownKeys: () => { throw 'plain'; }, getPrototypeOf: () => Object.prototype });
  t.same(JSON.parse(serializer.serialize(rootProxy)), { _prefactor_error: 'payload could not be read: plain' });
  const badMap = new Proxy(new Map([['a', 1]]), {});
  t.same(JSON.parse(serializer.serialize({ badMap })), { badMap: '[Unreadable: Method get Map.prototype.size called on incompatible receiver #<Map>]' });
  const badMessage = new Proxy({}, { ownKeys: () => { throw new Proxy(new Error('x'), { getPrototypeOf: () => { throw new Error('again'); } }); } });
  t.same(JSON.parse(serializer.serialize({ badMessage })), { badMessage: '[Unreadable: an unreadable value]' });
  const longMessage = new Proxy({}, { ownKeys: () => { throw new Error('m'.repeat(500)); } });
  t.equal((JSON.parse(serializer.serialize({ longMessage })) as { longMessage: string }).longMessage.length, '[Unreadable: ]'.length + 201);
  const fn = Object.defineProperty(() => 1, 'name', { get: () => { throw new Error('name'); } });
  t.same(JSON.parse(serializer.serialize({ fn, big: 1n })), { fn: '[Function anonymous]', big: '1' });
  serializer.serialize({ fine: 1 });
  t.equal(serializer.lastFailed, false);
});

t.test('serializePayload() writes a shared object once: the 30 users with 3 friends each', async (t) => {
  const users = [...Array(30)].map((_, id) => ({ id, friends: [] as unknown[] }));
  for (const user of users) for (let k = 1; k <= 3; k++) user.friends.push(users[(user.id * 7 + k * 13) % 30]);
  const text = serializePayload({ user: users[0] });
  t.ok(text.length < 20_000, `${text.length} characters`);
  const ids = new Set([...text.matchAll(/"id":(\d+)/g)].map((match) => match[1]));
  t.equal(ids.size, 30, 'every user is written once');
  t.equal([...text.matchAll(/"id":/g)].length, 30);
  t.match(text, /"\[Shared: \$\.user\.friends\[0\][^"]*\]"/);
  const longest = Math.max(...[...text.matchAll(/"\[(?:Shared|Circular): ([^"]*)\]"/g)].map((match) => match[1]!.length));
  t.ok(longest <= 121, `a marker's path is cut to its last 120 characters (longest: ${longest})`);
});

t.test('serializePayload() summarises binary data instead of copying it', async (t) => {
  const shared = new SharedArrayBuffer(8);
  t.same(parse({ bytes: new Uint8Array(10_000_000), floats: new Float64Array(4), buffer: Buffer.from('abc'), raw: new ArrayBuffer(16), view: new DataView(new ArrayBuffer(2)), shared }), {
    bytes: '[Uint8Array: 10000000 bytes]',
    floats: '[Float64Array: 32 bytes]',
    buffer: '[Buffer: 3 bytes]',
    raw: '[ArrayBuffer: 16 bytes]',
    view: '[DataView: 2 bytes]',
    shared: '[SharedArrayBuffer: 8 bytes]',
  });
  t.same(parse(new Uint8Array(3)), { value: '[Uint8Array: 3 bytes]' });
});

t.test('serializePayload() keeps within maxPayloadBytes and marks what it cut', async (t) => {
  const serializer = new PayloadSerializer(4096);
  const text = serializer.serialize({ id: 7, text: 'y'.repeat(100_000) });
  t.ok(Buffer.byteLength(text) <= 4096, `${Buffer.byteLength(text)} bytes`);
  t.equal(serializer.lastTruncated, true);
  const cut = JSON.parse(text) as { id: number; text: string; _prefactor_truncated: unknown };
  t.equal(cut.id, 7, 'what fits is kept');
  t.match(cut.text, /^y+…\[\+\d+ chars\]$/);
  t.same(cut._prefactor_truncated, { maxPayloadBytes: 4096, stringsCut: 1, keysOmitted: 0, itemsOmitted: 0 });
  const many: Record<string, number> = {};
  for (let i = 0; i < 5000; i++) many[`k${i}`] = i;
  const keys = JSON.parse(serializer.serialize(many)) as Record<string, unknown>;
  t.match(keys['_truncated'], /^\d+ more keys$/);
  t.match(keys['_prefactor_truncated'], { keysOmitted: Number });
  const sentKeys = Object.keys(keys).filter((key) => key.startsWith('k')).length;
  t.equal(sentKeys + Number.parseInt(String(keys['_truncated']), 10), 5000, 'the keys sent and the count of the others add up (the kept key list is cut to the budget)');
  const some = JSON.parse(serializer.serialize(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])))) as Record<string, unknown>;
  t.equal(Object.keys(some).filter((key) => key.startsWith('k')).length + Number.parseInt(String(some['_truncated']), 10), 1000, 'also with a key list kept whole');
  const items = JSON.parse(serializer.serialize({ list: Array.from({ length: 5000 }, (_, i) => i) })) as { list: unknown[] };
  t.match(items.list.at(-1), /^\[Truncated: \d+ more items\]$/);
  const map = JSON.parse(serializer.serialize({ map: new Map(Array.from({ length: 5000 }, (_, i) => [i, i])) })) as { map: Record<string, unknown> };
  t.match(map.map['_truncated'], /^\d+ more keys$/);
  const nested = JSON.parse(serializer.serialize({ a: { b: { c: 'z'.repeat(10_000) } }, d: 'after' })) as Record<string, unknown>;
  t.match(nested, { a: { b: { c: /…/ } }, d: 'after' }, 'a later key takes the room the cut string left');
  const later = JSON.parse(serializer.serialize({ a: 'z'.repeat(10_000), b: 1, c: 2 })) as Record<string, unknown>;
  t.match(later, { a: /…/, _truncated: '2 more keys' });
  for (const value of [
    { emoji: '😀'.repeat(10_000) },
    { accents: 'é'.repeat(10_000), more: 'é'.repeat(10_000) },
    { controls: '\u0001'.repeat(10_000) },
    { big: 10n ** 5000n },
    { sparse: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, undefined])) },
    { deep: Array.from({ length: 100 }, () => ({ a: Array.from({ length: 100 }, () => ({ b: 'text' })) })) },
    { set: new Set(Array.from({ length: 5000 }, (_, i) => i)) },
    { long: `${'x'.repeat(4000)}` , error: new Error('e'.repeat(5000)) },
  ]) {
    const json = serializer.serialize(value);
    t.ok(Buffer.byteLength(json) <= 4096, `${Object.keys(value).join()} in ${Buffer.byteLength(json)} bytes`);
    t.doesNotThrow(() => JSON.parse(json));
  }
  t.equal(new PayloadSerializer(10).maxBytes, 1024, 'at least room for the markers');
  const small = new PayloadSerializer(1024);
  for (let pad = 700; pad < 1000; pad++) {
    for (const tail of ['x'.repeat(5000), '\u0001'.repeat(5000), Array(100).fill('abc'), new Map(Array.from({ length: 100 }, (_, i) => [i, 'abc']))]) {
      const json = small.serialize({ pad: 'p'.repeat(pad), flag: true, off: false, tail, more: [1n, Symbol('s')] });
      if (Buffer.byteLength(json) > 1024) t.fail(`pad ${pad}: ${Buffer.byteLength(json)} bytes`);
      JSON.parse(json);
    }
  }
  t.same(parse({ yes: true, no: false, nan: NaN, bad: new Date(NaN), date: new Date(0), big: 1n }), { yes: true, no: false, nan: null, bad: null, date: '1970-01-01T00:00:00.000Z', big: '1' }, 'JSON values beside awkward ones');
});

t.test('serializePayload() writes runs of primitives in arrays as JSON does, and cuts them at the budget', async (t) => {
  // A BigInt beside them sends the payload through the walker, which writes the arrays in runs.
  const primitives = [1, 'a', null, undefined, true, false, NaN, -0, 1.5e300, 'é', '\u0001"\\', '😀', '\ud800', 'q'.repeat(100)];
  t.same(parse({ big: 1n, list: primitives, sparse: [1, , 3], mixed: [1, { a: [2, 'b'] }, 3, [4, 5], 'x'], map: new Map([['gone', undefined]]) }), {
    big: '1',
    list: JSON.parse(JSON.stringify(primitives)) as unknown,
    sparse: [1, null, 3],
    mixed: [1, { a: [2, 'b'] }, 3, [4, 5], 'x'],
    map: { gone: null },
  });
  const long = Array.from({ length: 200 }, (_, i) => i);
  t.same(parse({ big: 1n, long }), { big: '1', long }, 'runs that grow, each item once and in order');
  const serializer = new PayloadSerializer(4096);
  const check = (list: unknown[], what: string): unknown[] => {
    const json = serializer.serialize({ list });
    const bytes = Buffer.byteLength(json);
    t.ok(bytes <= 4096 && bytes > 4096 - 300, `${what}: ${bytes} bytes, the budget filled`);
    const sent = (JSON.parse(json) as { list: unknown[] }).list;
    const marker = /^\[Truncated: (\d+) more items\]$/.exec(String(sent.at(-1)));
    t.ok(marker, `${what}: ends with the marker`);
    t.equal(sent.length - 1 + Number(marker?.[1]), list.length, `${what}: the marker counts what was left`);
    return sent.slice(0, -1);
  };
  // Numbers longer than the first ones: the runs shrink to the room left, the last items go one by one.
  const growing = Array.from({ length: 5000 }, (_, i) => (i < 16 ? i : i * 1000003.123));
  const numbers = check(growing, 'growing numbers');
  t.same(numbers, growing.slice(0, numbers.length));
  // After short items, escapes make a run six times longer than its estimate: it is cut in proportion.
  const escapes = Array.from({ length: 500 }, (_, i) => (i < 16 ? 'a' : `\u0001${i}`.repeat(10)));
  const sent = check(escapes, 'escaped strings');
  const whole = sent.findIndex((item, index) => item !== escapes[index]);
  t.ok(whole > 40, `${whole} items sent whole`);
  for (const item of sent.slice(whole)) t.match(item, /…\[\+\d+ chars\]$|^\[Truncated\]$/, 'then the last ones cut');
  const cut = check(['a', 'z'.repeat(10_000), 'b'], 'a long string');
  t.equal(cut[0], 'a');
  t.match(cut[1], /^z+…\[\+\d+ chars\]$/, 'a string too long for the room left is cut');
});

t.test('serializePayload() cuts a container that cannot fit at 1,000 keys or items, and leaves one that can whole', async (t) => {
  const entries = (object: unknown): number => Object.keys(object as object).length;
  const huge = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
  const cut = parse(huge) as Record<string, unknown>;
  t.equal(entries(cut), 1002, 'an object too large for the budget: its first 1,000 keys, its marker and the summary');
  t.equal(cut['k999'], 999);
  t.equal(cut['_truncated'], '99000 more keys');
  t.match(cut['_prefactor_truncated'], { keysOmitted: 99_000 });
  // Few keys, but too long to fit: found by their lengths, not their count.
  const longKeys = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`${'k'.repeat(100)}${i}`, i]));
  t.equal(field({ big: 1n, longKeys }, 'longKeys')['_truncated'], '2000 more keys');
  // 2,000 keys that fit are all written, by the walker too (a BigInt after them sends the payload there,
  // with the key list the scan made).
  const fits = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i]));
  t.same(field({ fits, big: 1n }, 'fits'), fits);
  const map = field({ map: new Map(Array.from({ length: 100_000 }, (_, i) => [i, i])) }, 'map');
  t.equal(entries(map), 1001, 'a Map too large: 1,000 entries and its marker');
  t.equal(map['_truncated'], '99000 more keys');
  const numbers = Array.from({ length: 1_000_000 }, (_, i) => i);
  const list = items({ numbers }, 'numbers');
  t.same(list.slice(0, -1), numbers.slice(0, 1000), 'an array too large for the budget: its first 1,000 items');
  t.equal(list.at(-1), '[Truncated: 999000 more items]');
  const set = items({ set: new Set(numbers) }, 'set');
  t.same(set.slice(0, -1), numbers.slice(0, 1000), 'a Set too large: its first 1,000 items');
  t.equal(set.at(-1), '[Truncated: 999000 more items]');
  // Records: 2,000 of them would fit at their size, so all are written; 100,000 would not: the first 1,000.
  const records = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `user ${id}` }));
  t.same(items({ big: 1n, records: records.slice(0, 2000) }, 'records'), records.slice(0, 2000));
  const cutRecords = items({ records }, 'records');
  t.same(cutRecords.slice(0, -1), records.slice(0, 1000), 'records that cannot fit: the first 1,000');
  t.equal(cutRecords.at(-1), '[Truncated: 99000 more items]');
  const whole = Array.from({ length: 30_000 }, (_, i) => i % 10);
  t.same(items({ big: 1n, whole }, 'whole'), whole, '30,000 items that fit are all written');
});

t.test('serializePayload() writes runs of plain items by the engine, and still marks their objects met again', async (t) => {
  const inner = { x: 1 };
  const record = { id: 1, inner };
  const cell = { c: 3 };
  // A BigInt at the end sends the payload through the walker; its arrays' plain items are written in runs.
  t.same(parse({ list: [5, record, { id: 2 }, record], again: record, nested: inner, rows: [[0, cell]], cell, big: 1n }), {
    list: [5, { id: 1, inner: { x: 1 } }, { id: 2 }, '[Shared: $.list[1]]'],
    again: '[Shared: $.list[1]]',
    nested: '[Shared: $.list[1].inner]',
    rows: [[0, { c: 3 }]],
    cell: '[Shared: $.rows[0][1]]',
    big: '1',
  });
  // An item whose getter throws is the walker's (a marker in its place); the items around it are not.
  const throwing = {
    get bad(): never {
      throw new Error('no');
    },
  };
  t.same(items({ list: [{ ok: 1 }, throwing, { ok: 2 }], big: 1n }, 'list'), [{ ok: 1 }, { bad: '[getter threw: no]' }, { ok: 2 }]);
  // A getter that gives the object written on one read and something else on the next: the marker
  // names the run where it was written.
  const shared = { s: 1 };
  const reads = { changing: 0, throwing: 0, cycle: 0 };
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  const changing = { get x(): unknown { return reads.changing++ === 1 ? shared : {}; } };
  const rethrowing = {
    get x(): unknown {
      if (reads.throwing++ === 3) throw new Error('gone');
      return reads.throwing === 2 ? shared : {};
    },
  };
  const cycling = { get x(): unknown { return reads.cycle++ === 1 ? shared : reads.cycle > 3 ? cycle : {}; } };
  for (const [name, item] of Object.entries({ changing, rethrowing, cycling })) {
    t.same(parse({ list: [item], ref: shared, big: 1n }), { list: [{ x: {} }], ref: '[Shared: $.list[0…0]]', big: '1' }, name);
  }
  // Records cut at the budget's end within a run: those not written are not marked as written.
  const records = Array.from({ length: 300 }, (_, id) => ({ id, score: id / 7 }));
  const send = (later: unknown): Record<string, unknown> => JSON.parse(new PayloadSerializer(4096).serialize({ records, later, big: 1n })) as Record<string, unknown>;
  const sentRecords = send(undefined)['records'] as unknown[];
  const written = sentRecords.length - 1;
  t.ok(written > 10 && written < 200, `${written} records written`);
  t.same(sentRecords.slice(0, -1), records.slice(0, written));
  // The record just after the last one written was scanned with it, in its run, but not written.
  t.equal(send(records[written])['later'], '[Truncated]', 'a record left out is not said to be written');
  t.equal(send(records[written - 1])['later'], `[Shared: $.records[${written - 1}]]`, 'the last one written is');
});

t.test('serializePayload() reads each item of an array once, and nothing else of it', async (t) => {
  // A plain array is read a chunk at a time by slice(): an index getter runs once.
  const reads: number[] = [];
  const plain = Array.from({ length: 100 }, (_, i) => i);
  Object.defineProperty(plain, 50, { get: () => (reads.push(50), { at: 50 }), enumerable: true });
  t.same(items({ big: 1n, plain }, 'plain'), [...plain.slice(0, 50), { at: 50 }, ...plain.slice(51)]);
  t.same(reads, [50], 'its getter ran once');
  // A subclass's constructor (which slice() would call) and a Proxy's traps (which it would go through) are left alone.
  let constructed = 0;
  class Tracked extends Array<unknown> {
    constructor(...items: unknown[]) {
      super(...items);
      constructed++;
    }
  }
  const tracked = Tracked.from([1, 2, { three: 3 }]);
  constructed = 0;
  t.same(items({ big: 1n, tracked }, 'tracked'), [1, 2, { three: 3 }]);
  t.equal(constructed, 0, 'no instance of the subclass made');
  const trapped: string[] = [];
  const proxy = new Proxy([1, 'two', [3]], { get: (target, key, receiver) => (trapped.push(String(key)), Reflect.get(target, key, receiver) as unknown) });
  t.same(items({ big: 1n, proxy }, 'proxy'), [1, 'two', [3]]);
  t.same(trapped.filter((key) => /^\d+$/.test(key)), ['0', '1', '2'], 'each item read once through the Proxy');
  t.notOk(trapped.includes('constructor'), 'nor its constructor');
});

t.test('serializePayload() quotes keys and strings as JSON does', async (t) => {
  const keys = { 'a"b': 1, 'c\\d': 2, 'e\u0001': 3, '\ud800': 4, 'é😀': 5, ['q"'.repeat(40)]: 6, ['k'.repeat(100)]: 'v"'.repeat(50), plain: 'p'.repeat(100) };
  t.same(parse({ ...keys, big: 1n }), { ...JSON.parse(JSON.stringify(keys)), big: '1' });
  const json = new PayloadSerializer(4096).serialize({ text: 'x'.repeat(10_000) });
  t.ok(/^[\x20-\x7e]*$/.test(json), 'a cut ASCII string stays ASCII: its marker is written \\u2026');
  t.match(JSON.parse(json), { text: /^x+…\[\+\d+ chars\]$/ });
  const escaped = JSON.parse(new PayloadSerializer(4096).serialize({ text: '"'.repeat(10_000) })) as { text: string };
  t.match(escaped.text, /^"+…\[\+\d+ chars\]$/, 'a cut string with escapes');
});

t.test('serializePayload() stops at the budget whatever the size of the value (no pre-scan of the whole)', async (t) => {
  const exponential: Record<string, unknown> = {};
  for (let i = 0; i < 30; i++) exponential[`k${i}`] = exponential;
  const started = performance.now();
  t.same(Object.keys(JSON.parse(serializePayload(exponential)) as object).length, 30);
  const list = Array.from({ length: 100_000 }, (_, i) => ({ i }));
  t.ok(serializePayload({ list }).length <= 256 * 1024);
  // Generous: a regression is exponential (hours), not a few milliseconds.
  t.ok(performance.now() - started < 5000);
});

t.test('serializePayload() never throws, even with the stack nearly exhausted', async (t) => {
  const serializer = new PayloadSerializer();
  const texts = new Set<string>();
  let escaped = 0;
  const value = { map: new Map([[1, { deep: { deeper: [1n] } }]]) };
  const descend = (depth: number): void => {
    try {
      descend(depth + 1);
    } catch {
      // the bottom of the stack
    }
    try {
      texts.add(serializer.serialize(value));
    } catch {
      escaped++; // only where there is no room even to enter serialize()
    }
  };
  descend(0);
  t.ok(texts.has(UNSERIALIZABLE_JSON), 'a placeholder where the walker ran out of stack');
  t.ok(texts.has('{"map":{"1":{"deep":{"deeper":["1"]}}}}'), 'the full text where there was room');
  t.ok(escaped < 50, `${escaped} calls without room to start`);
});

t.test('isPlainObject() accepts literals and null-prototype objects only', async (t) => {
  t.equal(isPlainObject({}), true);
  t.equal(isPlainObject(Object.create(null)), true);
  t.equal(isPlainObject(new Date()), false);
  t.equal(isPlainObject({ toJSON: () => 1 }), false);
  t.equal(isPlainObject(null), false);
  t.equal(isPlainObject([]), false);
});

t.test('PayloadSerializer.serialize() asks its KeyWatch about every key of the plain path: lastKeys', async (t) => {
  const asked: string[] = [];
  const watch = { watches: (key: string) => (asked.push(key), key === 'secret') };
  const serializer = new PayloadSerializer();
  const { KEYS_CLEAR, KEYS_SEEN, KEYS_UNCHECKED } = await import('../../src/tracing/serialize.js');
  t.equal(serializer.serialize({ a: 1, list: [{ b: { secret: 2 } }], c: 3 }, watch), '{"a":1,"list":[{"b":{"secret":2}}],"c":3}');
  t.equal(serializer.lastKeys, KEYS_SEEN);
  t.same(asked, ['a', 'list', 'b', 'secret'], 'every key until one is seen, then none');
  serializer.serialize({ a: 1 }, watch);
  t.equal(serializer.lastKeys, KEYS_CLEAR);
  serializer.serialize({ secret: 1n }, watch);
  t.equal(serializer.lastKeys, KEYS_UNCHECKED, 'the walker wrote it');
  serializer.serialize({ secret: 1 });
  t.equal(serializer.lastKeys, KEYS_CLEAR, 'nothing watched');
  t.equal(serializer.serialize(undefined, watch), '{}');
  t.equal(serializer.lastKeys, KEYS_CLEAR);
  const value = { watches: (key: string) => key === 'value' };
  for (const primitive of [true, 12345, NaN, 'text']) {
    t.equal(serializer.serialize(primitive, value), JSON.stringify({ value: primitive }));
    t.equal(serializer.lastKeys, KEYS_SEEN, `${String(primitive)} is sent as {"value": ...}`);
    serializer.serialize(primitive, watch);
    t.equal(serializer.lastKeys, KEYS_CLEAR);
  }
});
