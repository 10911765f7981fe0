import t from 'tap';
import { errorText } from '../../src/util/error-text.js';

t.test('errorText() gives the message, the summary or the stack, and never throws', async (t) => {
  const error = new RangeError('too far');
  t.equal(errorText(error), 'RangeError: too far');
  t.equal(errorText(error, 'summary'), 'RangeError: too far');
  t.equal(errorText(error, 'message'), 'too far');
  t.match(errorText(error, 'stack'), /^RangeError: too far\n\s+at /);
  const stackless = Object.assign(new Error('no stack'), { stack: undefined });
  t.equal(errorText(stackless, 'stack'), 'Error: no stack');
  for (const detail of ['message', 'summary', 'stack'] as const) t.equal(errorText('plain', detail), 'plain');
  const hostile = { toString: () => { throw new Error('no'); } };
  t.equal(errorText(hostile), 'an undescribable value');
  const getter = Object.defineProperty(new Error('x'), 'message', { get: () => { throw new Error('no'); } });
  t.equal(errorText(getter, 'message'), 'an undescribable value');
});
