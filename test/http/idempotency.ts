import t from 'tap';
import {
  generateIdempotencyKey,
  idempotencyKeyProblem,
  MAX_KEY_PREFIX_LENGTH,
} from '../../src/http/idempotency.js';

t.test('generateIdempotencyKey() makes unique 21-character keys', async (t) => {
  const keys = new Set(Array.from({ length: 1000 }, () => generateIdempotencyKey()));
  t.equal(keys.size, 1000);
  for (const key of keys) t.match(key, /^[A-Za-z0-9_-]{21}$/);
});

t.test('generateIdempotencyKey() puts the prefix in front and stays within 64 characters', async (t) => {
  t.match(generateIdempotencyKey('svc'), /^svc-[A-Za-z0-9_-]{21}$/);
  const longest = generateIdempotencyKey('p'.repeat(MAX_KEY_PREFIX_LENGTH));
  t.equal(longest.length, 64);
  t.equal(idempotencyKeyProblem(longest), undefined);
});

t.test('idempotencyKeyProblem() accepts 8-64 characters and names the length otherwise', async (t) => {
  t.equal(idempotencyKeyProblem('a'.repeat(8)), undefined);
  t.equal(idempotencyKeyProblem('a'.repeat(64)), undefined);
  t.equal(idempotencyKeyProblem('a'.repeat(7)), 'must be 8-64 characters long, got 7');
  t.equal(idempotencyKeyProblem('a'.repeat(65)), 'must be 8-64 characters long, got 65');
  t.equal(idempotencyKeyProblem(42), 'must be a string, got number');
  t.equal(idempotencyKeyProblem(null), 'must be a string, got null');
});
