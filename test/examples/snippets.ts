import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

// The README's samples are files under examples/ (test/readme.ts checks they match); these run them.

t.test('examples/http-client.ts runs against the local server and leaves a finished instance', async (t) => {
  const server = await withServer(t);
  const { code, stderr } = await outputOf(
    spawnScript('examples/http-client.ts', [], { PREFACTOR_API_URL: server.url, PREFACTOR_API_TOKEN: server.token }),
  );
  t.equal(code, 0, stderr);
  const [instance] = server.instances();
  t.equal(instance?.status, 'complete');
  t.same(
    server.spans(instance!.id).map((span) => [span.schema_name, span.status, span.result_payload]),
    [['agent:llm', 'complete', { text: 'hello' }]],
  );
});

t.test('examples/local-server.ts starts, prints its URL and closes', async (t) => {
  const { code, stdout } = await outputOf(spawnScript('examples/local-server.ts'));
  t.equal(code, 0);
  t.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\n$/);
});

t.test('examples/usage.ts traces into the API it is pointed at', async (t) => {
  const server = await withServer(t);
  const { code, stderr } = await outputOf(
    spawnScript('examples/usage.ts', [], { PREFACTOR_API_URL: server.url, PREFACTOR_API_TOKEN: server.token, PREFACTOR_AGENT_ID: 'usage-agent' }),
  );
  t.equal(code, 0, stderr);
  const [instance] = server.instances();
  t.equal(instance?.status, 'complete');
  const [root] = server.tree(instance!.id);
  t.equal(root?.schema_name, 'agent:llm');
  t.same(root?.result_payload, { text: 'Go to Lisbon' });
  t.same(root?.children.map((child) => child.schema_name), ['agent:tool']);
});
