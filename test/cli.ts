import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PrefactorHttpClient } from '../src/http/client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Children run without tap's process-info hooks: tap patches child_process to put them back into
// NODE_OPTIONS, so `env -u NODE_OPTIONS` drops them at exec time. The children load src/ through tsx,
// and their coverage, merged with the tests' own, would be mapped onto the wrong lines.
const parentEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('_TAPJS') && !name.startsWith('TAP')));
const NO_COLOR_ENV = { ...parentEnv, NO_COLOR: '1', PREFACTOR_API_URL: '', PREFACTOR_API_TOKEN: '' };
const CLI = ['-u', 'NODE_OPTIONS', process.execPath, '--import', 'tsx', 'src/cli.ts'];

/** Runs `prefactor-trace ...args` to completion. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('env', [...CLI, ...args], { cwd: ROOT, env: NO_COLOR_ENV }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Starts `prefactor-trace dev ...args` and resolves once it printed its URL. */
async function startDev(args: string[]) {
  const child = spawn('env', [...CLI, 'dev', '--port', '0', ...args], { cwd: ROOT, env: NO_COLOR_ENV });
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
  t.match(dev.output(), `export PREFACTOR_API_URL=${dev.url} PREFACTOR_API_TOKEN=dev-token`);
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
  t.same(bad, { code: 1, stdout: '', stderr: "prefactor-trace: Unknown option '--bogus'\n" }, 'one line, no stack trace');

  dev.child.kill('SIGINT');
  const [code] = await dev.exited;
  t.equal(code, 0);
  t.match(dev.output(), /Stopped\.\n$/);
});
