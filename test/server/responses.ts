import t from 'tap';
import { z } from 'zod';
import { failure, issuesToErrors, success, validationFailure } from '../../src/server/responses.js';

t.test('success() and failure() build the wire envelopes, as objects and as the same JSON text', async (t) => {
  const cases = [
    success({ a: 1 }),
    success(1, { terminate: true, reason: 'r' }),
    failure(409, 'invalid_action', 'no'),
    failure(422, 'x', 'm', { f: 'bad' }),
  ];
  t.same(cases[0], { statusCode: 200, body: { status: 'success', details: { a: 1 } }, json: '{"status":"success","details":{"a":1}}' });
  t.same(cases[1]!.body, { status: 'success', details: 1, control: { terminate: true, reason: 'r' } });
  t.match(cases[2], { statusCode: 409, body: { status: 'error', code: 'invalid_action', message: 'no' } });
  t.same(cases[3]!.body, { status: 'error', code: 'x', message: 'm', errors: { f: 'bad' } });
  for (const outcome of cases) t.equal(outcome.json, JSON.stringify(outcome.body));
});

t.test('success() splices details given as JSON text', async (t) => {
  t.equal(success({ a: 1 }, undefined, '{"a":1}').json, '{"status":"success","details":{"a":1}}');
  t.equal(success({ a: 1 }, { terminate: true, reason: 'r' }, '{"a":1}').json, '{"status":"success","details":{"a":1},"control":{"terminate":true,"reason":"r"}}');
});

t.test('issuesToErrors maps zod issues to dot paths, the first message per path, the root as body', async (t) => {
  const schema = z.object({ a: z.object({ b: z.string() }), list: z.array(z.number().min(5).max(1)) });
  const { error } = schema.safeParse({ a: { b: 1 }, list: [3] });
  t.same(Object.keys(issuesToErrors(error!.issues)), ['a.b', 'list.0']);
  t.same(Object.keys(issuesToErrors(error!.issues, ['items', 2])), ['items.2.a.b', 'items.2.list.0']);
  t.same(issuesToErrors(z.object({}).safeParse(null).error!.issues), { body: 'Invalid input: expected object, received null' });
  const outcome = validationFailure(error!.issues);
  t.match(outcome, { statusCode: 422, body: { code: 'validation_error', message: 'The request is invalid (a.b, list.0): fix the fields listed in `errors`' } });
});
