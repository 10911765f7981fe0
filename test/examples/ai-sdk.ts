import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

t.test('examples/ai-sdk.ts runs offline and prints withSpan -> ai.generateText -> model calls and the tool call', async (t) => {
  const { code, stdout, stderr } = await outputOf(spawnScript('examples/ai-sdk.ts', [], { NO_COLOR: '1' }));
  t.equal(code, 0, stderr);
  t.match(stdout, /^Sunny, 24°C in Lisbon\.\n/);
  t.match(stdout, /Agent instance \w{32} \(complete, [\d.]+m?s, 5 spans\)/);
  const tree = stdout
    .split('\n')
    .filter((line) => /[├└]─/.test(line))
    .map((line) => line.replace(/\s{2}complete.*$/, ''));
  t.same(tree, [
    '└─ agent:answer',
    '   └─ otel:ai.generateText',
    '      ├─ otel:ai.generateText.doGenerate',
    '      ├─ otel:ai.toolCall',
    '      └─ otel:ai.generateText.doGenerate',
  ]);
});

t.test('examples/ai-sdk.ts sends to the API it is pointed at, with the tool arguments and usage', async (t) => {
  const server = await withServer(t);
  const { code, stderr } = await outputOf(
    spawnScript('examples/ai-sdk.ts', [], { PREFACTOR_API_URL: server.url, PREFACTOR_API_TOKEN: server.token, PREFACTOR_AGENT_ID: 'ai-sdk-agent' }),
  );
  t.equal(code, 0, stderr);
  const [instance] = server.instances();
  t.equal(instance?.status, 'complete');
  const spans = server.spans(instance!.id);
  t.match(spans.find((span) => span.schema_name === 'otel:ai.toolCall')?.payload, { tool: { name: 'weather', arguments: { city: 'Lisbon' } } });
  t.match(spans.find((span) => span.schema_name === 'otel:ai.generateText')?.result_payload, { usage: { inputTokens: 40, outputTokens: 16, totalTokens: 56 } });
});
