import t from 'tap';
import { DEFAULT_REDACT_KEYS, capturesNoContent, compileRules, maskInPlace, mayMatch } from '../../src/tracing/redaction.js';

const rules = compileRules(DEFAULT_REDACT_KEYS)!;

t.test('compileRules() gives nothing to do for an empty list', async (t) => {
  t.equal(compileRules([]), undefined);
});

t.test('the default keys: any case, - and _ ignored, as a suffix of the key', async (t) => {
  const masked = ['password', 'Password', 'db_password', 'secret', 'clientSecret', 'token', 'access_token', 'X-CSRF-Token', 'apiKey', 'api_key', 'x-api-key', 'API_KEY', 'Authorization', 'proxy-authorization', 'cookie', 'Set-Cookie', 'token_'];
  const kept = ['max_tokens', 'prompt_tokens', 'tokenizer', 'passwordHint', 'author', 'key', 'text'];
  for (const key of masked) {
    const value: Record<string, unknown> = { [key]: 'v' };
    t.ok(mayMatch(rules, JSON.stringify(value)), `${key}: the text filter lets it through`);
    t.equal(maskInPlace(rules, value), true, key);
    t.same(value, { [key]: '[REDACTED]' });
  }
  for (const key of kept) {
    const value: Record<string, unknown> = { [key]: 'v' };
    t.equal(maskInPlace(rules, value), false, `${key} is kept`);
  }
  t.notOk(mayMatch(rules, '{"model":"m","text":"my token is x","usage":{"max_tokens":3}}'), 'a value mentioning a key is no key');
});

t.test('masking reaches nested objects and arrays, and masks whole values', async (t) => {
  const value = { a: [{ password: 1 }, { nested: { cookie: { deep: true } } }], token: '[REDACTED]', list: ['password'] };
  t.equal(maskInPlace(rules, value), true);
  t.same(value, { a: [{ password: '[REDACTED]' }, { nested: { cookie: '[REDACTED]' } }], token: '[REDACTED]', list: ['password'] });
  t.equal(maskInPlace(rules, { token: '[REDACTED]' }), false, 'already masked: no change');
  t.equal(maskInPlace(rules, 'text'), false);
});

t.test('paths match from the root, segment by segment, with * for any key or index', async (t) => {
  const paths = compileRules(['user.ssn', 'messages.*.content', 'headers.*'])!;
  t.equal(paths.filter, undefined, 'a path ending in * has no text filter');
  const value = { user: { ssn: 1, name: 'n' }, ssn: 2, messages: [{ role: 'user', content: 'hi' }], headers: { a: 1, b: 2 } };
  t.equal(maskInPlace(paths, value), true);
  t.same(value, { user: { ssn: '[REDACTED]', name: 'n' }, ssn: 2, messages: [{ role: 'user', content: '[REDACTED]' }], headers: { a: '[REDACTED]', b: '[REDACTED]' } });
  const mixed = compileRules(['User.SSN', 'email'])!;
  t.ok(mayMatch(mixed, '{"user":{"ssn":1}}'));
  t.notOk(mayMatch(mixed, '{"user":{"name":1}}'));
  const nested = { user: { ssn: 1, email: 'e' }, list: [{ workEmail: 'w' }] };
  maskInPlace(mixed, nested);
  t.same(nested, { user: { ssn: '[REDACTED]', email: '[REDACTED]' }, list: [{ workEmail: '[REDACTED]' }] });
  t.ok(mayMatch(compileRules(['a.b(c'])!, '{"b(c":1}'), 'entries are escaped in the filter');
});

t.test('capturesNoContent() for sensitive categories and classifications', async (t) => {
  t.equal(capturesNoContent(undefined), false);
  t.equal(capturesNoContent({ personal_identifiers: 'included' }), false);
  t.equal(capturesNoContent({ authentication_and_secrets: 'included' }), true);
  t.equal(capturesNoContent({ health_and_medical: 'included' }), true);
  t.equal(capturesNoContent({ health_and_medical: 'excluded' }), false);
  t.equal(capturesNoContent({ classification: 'restricted' }), true);
  t.equal(capturesNoContent({ classification: 'secret' }), true);
  t.equal(capturesNoContent({ classification: 'internal' }), false);
});

t.test('mayMatch(): the text filter on non-ASCII keys, paths ending in * and escaped quotes', async (t) => {
  t.equal(mayMatch(rules, '{"ab":1,"word":1,"paßword":2,"pässword":3}'), false, 'non-ASCII keys compare as normalised');
  t.equal(mayMatch(compileRules(['headers.*'])!, '{}'), true, 'a path ending in * always walks');
  t.equal(mayMatch(rules, '{"x":"said \\"password\\": no"}'), true, 'an escaped quote: the walk decides');
});

t.test('rules.watch answers the serialiser per key as the key rule does', async (t) => {
  const watch = rules.watch!;
  for (const key of ['password', 'PASSWORD', 'user_password', 'X-CSRF-Token', 'api-key', 'apiKey', 'Cookie', 'token__', 'K\u212aTOKEN']) {
    t.equal(watch.watches(key), true, key);
  }
  for (const key of ['', '-_-', 'max_tokens', 'text', 'value', 'paßword', 'tokenizer', 'k\u00e9', 'cookies']) t.equal(watch.watches(key), false, key);
  t.equal(compileRules(['paßword'])!.watch!.watches('MY_PAßWORD'), true, 'a non-ASCII name');
  t.equal(compileRules(['ok'])!.watch!.watches('O\u212a'), true, 'a non-ASCII last character that lower-cases to ASCII');
  t.equal(compileRules(['user.ssn'])!.watch!.watches('SSN'), true, 'the last segment of a path');
  t.equal(compileRules(['headers.*'])!.watch, undefined, 'a path ending in *: nothing to watch, every payload is walked');
});
