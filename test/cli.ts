import { once } from 'node:events';
import t from 'tap';
import { PrefactorHttpClient } from '../src/api/client.js';
import { outputOf, spawnScript } from './fixtures/child-env.js';

const NO_COLOR = { NO_COLOR: '1' };

/** Runs `prefactor-trace ...args` to completion. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return outputOf(spawnScript('src/cli.ts', args, NO_COLOR));
}

/** Starts `prefactor-trace dev ...args` and resolves once it printed its URL. */
async function startDev(args: string[]) {
  const child = spawnScript('src/cli.ts', ['dev', '--port', '0', ...args], NO_COLOR);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  while (!stdout.includes('Press Ctrl-C')) await once(child.stdout, 'data');
  const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, url, exited, output: () => stdout };
}

/** Sends a small trace: a root span with a completed child and a failed child. */
async function sendTrace(url: string): Promise<string> {
  const client = new PrefactorHttpClient({ apiUrl: url, apiToken: 'dev-token', maxRetries: 0 });
  try {
    const { id } = await client.agentInstances.register({ agent_id: 'cli-agent', agent_version: { name: 'v1' }, agent_schema_version: {} });
    await client.agentInstances.start(id);
    const root = await client.agentSpans.create({ agent_instance_id: id, schema_name: 'agent:run', status: 'active', payload: { question: 'why?' } });
    await client.agentSpans.create({ agent_instance_id: id, parent_span_id: root.id, schema_name: 'llm:call', status: 'complete', result_payload: { answer: '42' } });
    await client.agentSpans.create({ agent_instance_id: id, parent_span_id: root.id, schema_name: 'tool:search', status: 'failed' });
    await client.agentSpans.finish(root.id);
    await client.agentInstances.finish(id);
    return id;
  } finally {
    await client.close();
  }
}

t.test('prefactor-trace dev serves the API until SIGINT; view prints its trace; errors are one line', async (t) => {
  // Child processes are slow to start: start them together.
  const [help, dev] = await Promise.all([run(['--help']), startDev(['--memory', '--token', 'dev-token'])]);
  t.teardown(() => dev.child.kill('SIGKILL'));
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: prefactor-trace <command>/);
  t.match(dev.output(), `export PREFACTOR_API_URL=${dev.url}\nexport PREFACTOR_API_TOKEN=dev-token\nexport PREFACTOR_AGENT_ID=local-agent\n`);
  const id = await sendTrace(dev.url);

  const [view, bad] = await Promise.all([run(['view', '--url', dev.url]), run(['view', '--bogus'])]);
  t.equal(view.code, 0, view.stderr);
  const lines = view.stdout.trimEnd().split('\n');
  t.match(lines[0], `Agent instance ${id} (complete, `);
  t.match(lines[0], '3 spans, 1 failed)');
  t.match(lines[1], /^└─ agent:run {2}complete {2}\d+ms {2}\{"question":"why\?"\}$/);
  t.match(lines[2], /^ {3}├─ llm:call {2}complete {2}\d+ms {2}→ \{"answer":"42"\}$/);
  t.match(lines[3], /^ {3}└─ tool:search {2}✗ failed {2}\d+ms$/);
  t.notMatch(view.stdout, /\u001B\[/, 'no colour when not a TTY');
  t.same(bad, { code: 1, signal: null, stdout: '', stderr: "prefactor-trace: Unknown option '--bogus'\n" }, 'one line, no stack trace');

  dev.child.kill('SIGINT');
  const [code] = await dev.exited;
  t.equal(code, 0);
  t.match(dev.output(), /Stopped\.\n$/);
});
