import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';

t.test('examples/agent.ts runs offline, exits 0 and prints the whole span tree', async (t) => {
  // `npm run demo` as a newcomer runs it: no PREFACTOR_* variables, so the embedded server is used.
  const { code, stdout, stderr } = await outputOf(spawnScript('examples/agent.ts', [], { NO_COLOR: '1' }));
  t.equal(code, 0, 'exit code');
  t.equal(stderr, '', 'prints nothing on stderr');
  t.match(stdout, /Agent answered: Go to Lisbon: 3 checks done/);
  t.match(stdout, /Agent instance \w{32} \(complete, \d+ms, 8 spans, 1 failed\)/);
  const tree = stdout
    .split('\n')
    .filter((line) => /[├└]─/.test(line))
    .map((line) => line.replace(/\s{2}\S*\d+ms.*$/, '').replace(/\s+(complete|✗ failed)$/, ' $1'));
  t.same(tree, [
    '├─ agent:llm complete',
    '├─ agent:tool complete',
    '├─ agent:tool complete',
    '├─ agent:tool ✗ failed',
    '├─ agent:llm complete',
    '└─ agent:step complete',
    '   ├─ agent:llm complete',
    '   └─ agent:tool complete',
  ]);
  t.match(stdout, /\{"tool":"hotels","input":"Lisbon"\} → \{"error":\{"type":"Error","message":"hotels API: no rooms left in Lisbon"/);
  t.match(stdout, /Delivery: all delivered; 8 spans, 19 operations in \d+ HTTP requests? .* 0 dropped\./);
});
