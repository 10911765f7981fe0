import t from 'tap';
import { z } from 'zod';
import { describeIssues } from '../../src/util/zod-issues.js';

t.test('describeIssues() lists at most five issues and counts the rest', async (t) => {
  const schema = z.object(Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((key) => [key, z.string()])));
  const result = schema.safeParse({});
  t.equal(result.success, false);
  const text = describeIssues(result.error!.issues);
  t.match(text, /^a: Invalid input: expected string, received undefined; b: /);
  t.match(text, /; and 2 more$/);
  t.equal(describeIssues(z.string().safeParse(1).error!.issues), '(root): Invalid input: expected string, received number');
});
