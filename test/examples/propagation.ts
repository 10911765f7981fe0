import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

t.test('examples/propagation.ts: the tool service\'s span sits under the caller\'s', async (t) => {
  const server = await withServer(t);
  const { code, stderr } = await outputOf(spawnScript('examples/propagation.ts', [], { PREFACTOR_API_URL: server.url, PREFACTOR_API_TOKEN: server.token }));
  t.equal(code, 0, stderr);
  const [instance] = server.instances();
  t.equal(instance?.status, 'complete');
  const [call] = server.tree(instance!.id);
  t.equal(call?.schema_name, 'agent:call-tool');
  t.same(call?.children.map((child) => [child.schema_name, child.payload, child.result_payload]), [['tool:search', { url: '/search?q=otters' }, { hits: 3 }]]);
});
