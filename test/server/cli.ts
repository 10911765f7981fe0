import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../src/server/cli.js';
import { startLocalServer } from '../../src/server/index.js';
import type { CliIo } from '../../src/server/cli.js';
import { clientFor, withServer } from '../fixtures/server.js';

const REGISTER = { agent_id: 'agent-1', agent_version: { name: 'v1' }, agent_schema_version: {} };

/** A fake process: collects output; `stop()` ends a running `dev`; `ready` resolves when dev printed. */
function fakeIo(env: NodeJS.ProcessEnv = {}, isTTY = false) {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let signalReady!: () => void;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
    env,
    isTTY,
    waitForStop: () => {
      signalReady();
      return stopped;
    },
  };
  return { io, out, stop, ready };
}

async function cli(args: string[], env?: NodeJS.ProcessEnv, isTTY?: boolean) {
  const { io, out } = fakeIo(env, isTTY);
  const code = await runCli(args, io);
  return { code, ...out };
}

t.test('runCli prints usage for --help, help, and each command', async (t) => {
  t.match(await cli(['--help']), { code: 0, stdout: /Commands:/ });
  t.match(await cli(['help']), { code: 0, stdout: /Commands:/ });
  t.match(await cli(['dev', '--help']), { code: 0, stdout: /Usage: prefactor-trace dev/ });
  t.match(await cli(['view', '-h']), { code: 0, stdout: /Usage: prefactor-trace view/ });
});

t.test('runCli reports bad commands and flags as one line, exit 1', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /No command given/],
    [['serve'], /Unknown command "serve"/],
    [['dev', '--port', 'abc'], /--port must be a non-negative integer, got "abc"/],
    [['dev', '--seed', '1.5'], /--seed must be a non-negative integer, got "1.5"/],
    [['dev', '--faults', '{oops'], /--faults is not valid JSON/],
    [['dev', '--faults', '{"errorRate":3}'], /Expected `faults.errorRate` to be a number from 0 to 1/],
    [['dev', 'extra'], /Unexpected argument "extra"/],
    [['view', 'a', 'b'], /Expected at most one instance id, got 2/],
    [['view', '--port', '1'], /^prefactor-trace: Unknown option '--port'\n$/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    t.equal(result.code, 1, args.join(' '));
    t.match(result.stderr, message);
    t.equal(result.stderr.split('\n').length, 2, 'one line');
  }
});

t.test('runCli dev runs the server until stopped, journaling to --data', async (t) => {
  const data = t.testdir();
  const first = fakeIo();
  const running = runCli(['dev', '--port', '0', '--data', data, '--token', 'tok-1', '--seed', '3', '--faults', '{"latencyMs":1}'], first.io);
  await first.ready;
  const url = /listening on (\S+)/.exec(first.out.stdout)![1]!;
  t.match(first.out.stdout, `export PREFACTOR_API_URL=${url}\nexport PREFACTOR_API_TOKEN=tok-1\nexport PREFACTOR_AGENT_ID=local-agent\n`);
  t.match(first.out.stdout, 'Token: account-wide, agent local-agent, deployment local-deployment');
  t.match(first.out.stdout, `Journal: ${join(data, 'data.ndjson')} (0 agent instances replayed)`);
  const response = await fetch(`${url}/api/v1/agent_instance/register`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-1' },
    body: JSON.stringify(REGISTER),
  });
  const { details } = (await response.json()) as { details: { id: string } };
  first.stop();
  t.equal(await running, 0);
  t.match(first.out.stdout, /Stopped\.\n$/);

  const view = await cli(['view', '--data', data]);
  t.equal(view.code, 0);
  t.match(view.stdout, `Agent instance ${details.id} (pending, running, 0 spans)\n(no spans)\n`);
  t.match(await cli(['view', 'nope', '--data', data]), { code: 1, stderr: /No agent instance nope in / });
  t.match(await cli(['view', '--data', t.testdir()]), { code: 1, stderr: /No agent instances in .*: run an agent against `prefactor-trace dev` first/ });

  const memory = fakeIo();
  const inMemory = runCli(['dev', '--port', '0', '--memory', '--agent-id', 'agent-9', '--deployment-id', 'dep-9'], memory.io);
  await memory.ready;
  t.match(memory.out.stdout, 'In memory: nothing is kept on disk');
  t.match(memory.out.stdout, 'Token: deployment-scoped, agent agent-9, deployment dep-9\n');
  t.match(memory.out.stdout, 'export PREFACTOR_AGENT_ID=agent-9\n');
  memory.stop();
  t.equal(await inMemory, 0);
});

t.test('runCli view reads a running server: newest instance, given id, --json, colour on a TTY', async (t) => {
  const server = await withServer(t);
  const client = clientFor(t, server);
  const env = { PREFACTOR_API_URL: `${server.url}/`, PREFACTOR_API_TOKEN: server.token };
  const empty = await cli(['view'], env);
  t.match(empty, { code: 1, stderr: `prefactor-trace: No agent instances on ${server.url} yet: run an agent against it first\n` });
  const older = await client.agentInstances.register(REGISTER);
  const newer = await client.agentInstances.register(REGISTER);
  const span = await client.agentSpans.create({ agent_instance_id: older.id, schema_name: 'tool', status: 'active' });
  await client.agentSpans.finish(span.id, { status: 'failed' });

  t.match(await cli(['view'], env), { code: 0, stdout: `Agent instance ${newer.id}` });
  const plain = await cli(['view', older.id, '--url', server.url, '--token', server.token]);
  t.match(plain.stdout, /└─ tool {2}✗ failed {2}\d+ms\n$/);
  const json = await cli(['view', older.id, '--json'], env);
  t.same(JSON.parse(json.stdout), { instance: server.instance(older.id), spans: server.tree(older.id) });
  const coloured = await cli(['view', older.id], env, true);
  t.match(coloured.stdout, '\u001B[31m✗ failed\u001B[0m');
  const noColor = await cli(['view', older.id], { ...env, NO_COLOR: '1' }, true);
  t.equal(noColor.stdout, plain.stdout);
});

t.test('runCli view reports server errors and unreachable servers in one line', async (t) => {
  const server = await withServer(t);
  t.match(await cli(['view', 'missing', '--url', server.url]), {
    code: 1,
    stderr: `prefactor-trace: ${server.url} answered GET /api/v1/agent_instance/missing with 404 not_found: No agent instance with id missing: check the id\n`,
  });
  t.match(await cli(['view', '--url', server.url, '--token', 'wrong']), { code: 1, stderr: /answered GET \/api\/v1\/agent_instance with 401 unauthorized/ });
  server.setFaults({ malformedRate: 1 });
  t.match(await cli(['view', '--url', server.url]), { code: 1, stderr: /answered GET \/api\/v1\/agent_instance with 200\n$/ });
  const gone = await startLocalServer();
  const port = new URL(gone.url).port;
  await gone.close();
  t.match(await cli(['view', '--url', gone.url]), {
    code: 1,
    stderr: `prefactor-trace: Could not reach http://127.0.0.1:${port} (ECONNREFUSED): start it with \`prefactor-trace dev\`, or pass --url or --data\n`,
  });
  t.match(await cli(['view', '--url', 'http://127.0.0.1:9']), { code: 1, stderr: /Could not reach http:\/\/127\.0\.0\.1:9 \(bad port\)/ });
  t.match(await cli(['view', '--url', 'not a url']), { code: 1, stderr: /Could not reach not a url \(ERR_INVALID_URL\)/ });
  const withCredentials = await cli(['view', '--url', 'http://user:planted-secret@127.0.0.1:9']);
  t.match(withCredentials, { code: 1, stderr: /Could not reach http:\/\/\*\*\*@127\.0\.0\.1:9/ });
  t.notMatch(withCredentials.stdout + withCredentials.stderr, 'planted-secret', 'credentials in --url never show');
  const stalled = await withServer(t, { faults: { stallRate: 1 } });
  t.match(await cli(['view', '--url', stalled.url, '--timeout', '50']), { code: 1, stderr: /Could not reach http:\/\/127\.0\.0\.1:\d+ \(The operation was aborted due to timeout\)/ });
});

t.test('runCli view defaults to http://127.0.0.1:4318 and dev-token', async (t) => {
  // Whatever listens on 4318 on this machine (usually nothing), the answer names the default URL.
  const result = await cli(['view', '--timeout', '2000'], { PREFACTOR_API_URL: '', PREFACTOR_API_TOKEN: '' });
  if (result.code === 0) t.match(result.stdout, /^Agent instance /);
  else t.match(result.stderr, /http:\/\/127\.0\.0\.1:4318/);
});

t.test('runCli view --list lists the instances of a server or a journal, newest first', async (t) => {
  const data = t.testdir();
  const server = await withServer(t, { dataFile: join(data, 'data.ndjson') });
  const client = clientFor(t, server);
  const env = { PREFACTOR_API_URL: server.url, PREFACTOR_API_TOKEN: server.token };
  t.match(await cli(['view', '--list'], env), { code: 0, stdout: '(no agent instances)\n' });
  const older = await client.agentInstances.register(REGISTER);
  const newer = await client.agentInstances.register({ ...REGISTER, agent_id: 'agent-2' });
  const span = await client.agentSpans.create({ agent_instance_id: older.id, schema_name: 'tool', status: 'active' });
  await client.agentSpans.finish(span.id, { status: 'failed' });

  const listed = await cli(['view', '--list'], env);
  t.equal(listed.code, 0);
  const lines = listed.stdout.trimEnd().split('\n');
  t.match(lines[0], /^STATUS +INSTANCE +AGENT +STARTED \(UTC\) +DURATION +SPANS +FAILED$/);
  t.match(lines[1], new RegExp(`^pending +${newer.id} +agent-2 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +0 +0$`));
  t.match(lines[2], new RegExp(`^pending +${older.id} +agent-1 +.* +1 +1$`));
  t.equal(lines.length, 3);
  t.equal((await cli(['view', '--list', '--data', data])).stdout, listed.stdout, 'the journal lists the same');
  const json = await cli(['view', '--list', '--json'], env);
  t.same(JSON.parse(json.stdout), server.instances());
  t.match(await cli(['view', '--list', older.id], env), { code: 1, stderr: /--list takes no instance id/ });
  t.match((await cli(['view', '--help'])).stdout, /--list +List the agent instances/);
});

t.test('runCli dev prints the viewer link, and the viewer page is served', async (t) => {
  const dev = fakeIo();
  const running = runCli(['dev', '--port', '0', '--memory', '--token', 'a b&c'], dev.io);
  await dev.ready;
  const link = /Open the viewer: (\S+)/.exec(dev.out.stdout)![1]!;
  const url = /listening on (\S+)/.exec(dev.out.stdout)![1]!;
  t.equal(link, `${url}/#token=a%20b%26c`);
  const page = await fetch(link);
  t.equal(page.status, 200);
  t.match(await page.text(), '<script type="module" src="/viewer/app.js">');
  dev.stop();
  t.equal(await running, 0);
});

t.test('runCli dev prints export lines that a shell runs alone, whatever the token holds', async (t) => {
  const token = `it's a b&c;$HOME"`;
  const dev = fakeIo();
  const running = runCli(['dev', '--port', '0', '--memory', '--token', token, '--agent-id', 'agent 7'], dev.io);
  t.teardown(async () => {
    dev.stop();
    await running;
  });
  await dev.ready;
  const exports = dev.out.stdout.split('\n').filter((line) => line.startsWith('export '));
  t.equal(exports.length, 3);
  t.match(exports[0], /^export PREFACTOR_API_URL=http:\/\/127\.0\.0\.1:\d+$/, 'a plain value stays unquoted');
  // The lines alone, in a POSIX shell with nothing else set: the values arrive exactly.
  const shell = spawn('sh', ['-c', `${exports.join('\n')}\nprintf '%s\\n%s\\n%s' "$PREFACTOR_API_URL" "$PREFACTOR_API_TOKEN" "$PREFACTOR_AGENT_ID"`], { env: { PATH: process.env.PATH } });
  let stdout = '';
  shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  const [code] = await once(shell, 'close');
  t.equal(code, 0);
  t.equal(stdout, `${/listening on (\S+)/.exec(dev.out.stdout)![1]}\n${token}\nagent 7`);
});
