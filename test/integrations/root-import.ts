import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';

t.test('importing prefactor-trace loads neither the model clients nor the integrations', async (t) => {
  const { code, stdout, stderr } = await outputOf(spawnScript('test/fixtures/root-import-child.ts'));
  t.equal(stderr, '');
  t.equal(code, 0);
  t.match(stdout, /^root: function$/m, 'the root entry loaded under the hook');
  t.match(stdout, /^openai subpath: refused: /m, 'the hook refuses what the subpath loads');
});
