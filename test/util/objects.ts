import t from 'tap';
import { isNonArrayObject } from '../../src/util/objects.js';

t.test('isNonArrayObject() is true for any non-array object, whatever its prototype', async (t) => {
  t.equal(isNonArrayObject({}), true);
  t.equal(isNonArrayObject(Object.create(null)), true);
  t.equal(isNonArrayObject(new Date()), true);
  t.equal(isNonArrayObject([]), false);
  t.equal(isNonArrayObject(null), false);
  t.equal(isNonArrayObject('x'), false);
});
