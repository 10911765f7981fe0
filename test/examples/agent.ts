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
  t.match(stdout, /run `npm run demo -- --serve`: the embedded server then keeps running\.\n$/, 'the last line points to the viewer');
});

t.test('examples/agent.ts mentions --serve, which keeps the server running for the viewer until Ctrl-C', async (t) => {
  const child = spawnScript('examples/agent.ts', ['--serve'], { NO_COLOR: '1' });
  const done = outputOf(child);
  let stdout = '';
  const link = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const match = /Open the trace in the browser viewer: (\S+)\n/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`the demo exited instead of serving:\n${stdout}`)));
  });
  const { origin, hash } = new URL(link);
  const [, token, instanceId] = /^#token=([^&]+)&\/i\/(\w+)$/.exec(hash)!;
  t.match(await (await fetch(`${origin}/`)).text(), '<title>prefactor-trace viewer</title>');
  const instance = (await (await fetch(`${origin}/api/v1/agent_instance/${instanceId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    details: { status: string; span_counts: { total: number } };
  };
  t.match(instance.details, { status: 'complete', span_counts: { total: 8 } });
  child.kill('SIGINT');
  const output = await done;
  t.equal(output.code, 0);
  t.equal(output.stderr, '');
  t.match(output.stdout, /Press Ctrl-C to stop\.\nStopped\.\n$/);
  t.notMatch(output.stdout, /npm run demo -- --serve/, 'no hint to use the option already used');
});
