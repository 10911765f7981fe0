import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withModelServer } from '../fixtures/model-server.js';
import { withServer } from '../fixtures/server.js';

t.test('examples/openai-agent.ts runs offline against the fake model server and prints the traced calls', async (t) => {
  const { code, stdout, stderr } = await outputOf(spawnScript('examples/openai-agent.ts', [], { NO_COLOR: '1' }));
  t.equal(code, 0, 'exit code');
  t.equal(stderr, '');
  t.match(stdout, /Agent answered: Echo: sunny, 24 C in Paris/);
  t.match(stdout, /Agent instance \w{32} \(complete, \d+ms, 3 spans\)/);
  const tree = stdout.split('\n').filter((line) => /[├└]─/.test(line)).map((line) => line.replace(/\s{2}\S*\d+ms.*$/, ''));
  t.same(tree, ['├─ openai:chat  complete', '├─ agent:tool  complete', '└─ openai:chat  complete']);
  t.match(stdout, /Tokens used: \d+ over 2 model calls/);
});

t.test('examples/model-clients.ts (the README sample) traces both clients into the API it is pointed at', async (t) => {
  const server = await withServer(t);
  const model = await withModelServer(t);
  const { code, stdout, stderr } = await outputOf(
    spawnScript('examples/model-clients.ts', [], {
      PREFACTOR_API_URL: server.url,
      PREFACTOR_API_TOKEN: server.token,
      PREFACTOR_AGENT_ID: 'model-clients',
      OPENAI_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: 'sk-offline',
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-ant-offline',
    }),
  );
  t.equal(code, 0, stderr);
  t.equal(stdout, 'Echo: Name a colour end_turn\n');
  const [instance] = server.instances();
  const spans = server.spans(instance!.id);
  t.same(spans.map((span) => [span.schema_name, span.status]), [['openai:chat', 'complete'], ['anthropic:messages', 'complete']]);
  t.same(spans[1]?.payload, { model: 'claude-sonnet-4-5', max_tokens: 100 }, 'captureInput: false');
  t.notOk('output_text' in (spans[1]?.result_payload ?? {}), 'captureOutput: false');
});
