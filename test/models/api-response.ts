import t from 'tap';
import { z } from 'zod';
import { ApiErrorBody, ApiResponse } from '../../src/models/api-response.js';

t.test('ApiResponse wraps a details schema and requires status success', async (t) => {
  const schema = ApiResponse(z.object({ pong: z.boolean() }));
  t.same(schema.parse({ status: 'success', details: { pong: true }, extra: 1 }), { status: 'success', details: { pong: true }, extra: 1 });
  t.notOk(schema.safeParse({ status: 'error', details: { pong: true } }).success);
  t.notOk(schema.safeParse({ status: 'success' }).success);
});

t.test('ApiErrorBody needs code and message; errors is optional', async (t) => {
  t.ok(ApiErrorBody.safeParse({ status: 'error', code: 'x', message: 'y' }).success);
  t.ok(ApiErrorBody.safeParse({ status: 'error', code: 'x', message: 'y', errors: { a: 'b' } }).success);
  t.notOk(ApiErrorBody.safeParse({ status: 'error', message: 'y' }).success);
  t.notOk(ApiErrorBody.safeParse({ status: 'error', code: 'x', message: 'y', errors: [] }).success);
});
