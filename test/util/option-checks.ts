import t from 'tap';
import { PrefactorError } from '../../src/errors.js';
import { assertOptionsObject, check, describeValue, invalidOption, PrefactorConfigError, rejectUnknownKeys } from '../../src/util/option-checks.js';

t.test('describeValue() shows JSON and the type, cut to 60 characters', async (t) => {
  t.equal(describeValue(0), '`0` (number)');
  t.equal(describeValue(null), '`null` (null)');
  t.equal(describeValue([1]), '`[1]` (array)');
  t.equal(describeValue(undefined), '`undefined` (undefined)');
  t.equal(describeValue(() => 1), '`[function]` (function)');
  t.equal(describeValue(10n), '`10` (bigint)');
  t.equal(describeValue('x'.repeat(100)), `\`"${'x'.repeat(56)}...\` (string)`);
});

t.test('invalidOption() throws a PrefactorConfigError with a stable code', async (t) => {
  const error = t.throws(() => invalidOption('maxQueueSize', 'a positive integer', 0)) as PrefactorConfigError;
  t.ok(error instanceof PrefactorConfigError && error instanceof PrefactorError);
  t.equal(error.message, 'Expected `maxQueueSize` to be a positive integer, got `0` (number)');
  t.equal(error.code, 'ERR_PREFACTOR_CONFIG');
  t.equal(error.name, 'PrefactorConfigError');
});

t.test('rejectUnknownKeys() names the unknown key and the known ones', async (t) => {
  rejectUnknownKeys('X', { a: 1 }, ['a', 'b']);
  t.throws(() => rejectUnknownKeys('X', { c: 1 }, ['a', 'b']), { message: 'Unknown option `c` for X. Known options: `a`, `b`' });
});

t.test('assertOptionsObject() accepts undefined and objects only', async (t) => {
  assertOptionsObject('X', undefined);
  assertOptionsObject('X', {});
  t.throws(() => assertOptionsObject('X', null), { message: 'Expected the X options to be an object, got `null` (null)' });
  t.throws(() => assertOptionsObject('X', []), PrefactorConfigError);
  t.throws(() => assertOptionsObject('X', 'a'), PrefactorConfigError);
});

t.test('check.* return good values and reject bad ones', async (t) => {
  const cases: Array<[keyof typeof check, unknown, unknown]> = [
    ['positiveInteger', 1, 0],
    ['positiveInteger', 2, 1.5],
    ['nonNegativeInteger', 0, -1],
    ['nonNegativeInteger', 3, 'x'],
    ['positiveNumber', 0.5, 0],
    ['positiveNumber', 1, Number.POSITIVE_INFINITY],
    ['nonNegativeNumber', 0, -0.1],
    ['nonNegativeNumber', 0, Number.NaN],
    ['nonEmptyString', 'a', ' '],
    ['nonEmptyString', 'a', 1],
    ['boolean', false, 'false'],
    ['httpUrl', 'https://x.example', 'ftp://x'],
    ['httpUrl', 'http://x.example', 'no url'],
    ['httpUrl', 'http://x.example', 5],
  ];
  for (const [name, good, bad] of cases) {
    t.equal((check[name] as (n: string, v: unknown) => unknown)('opt', good), good, `${name} accepts ${String(good)}`);
    t.throws(() => (check[name] as (n: string, v: unknown) => unknown)('opt', bad), PrefactorConfigError, `${name} rejects ${String(bad)}`);
  }
  t.equal(check.httpUrl('u', 'http://x.example/base//'), 'http://x.example/base');
  t.equal(check.oneOf('o', 'b', ['a', 'b'] as const), 'b');
  t.throws(() => check.oneOf('o', 'c', ['a', 'b']), { message: 'Expected `o` to be one of "a", "b", got `"c"` (string)' });
});
