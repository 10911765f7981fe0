import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';

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
  // Delivery to an API pointed at with PREFACTOR_API_URL is the same path: test/integrations/otel/delivery.ts.
  t.match(stdout, /otel:ai\.toolCall .* → \{"toolResult":\{"city":"Lisbon","sky":"sunny","celsius":24\}\}/);
});
