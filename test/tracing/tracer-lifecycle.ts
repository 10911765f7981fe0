import t from 'tap';
import { outputOf, spawnScript } from '../fixtures/child-env.js';

const CHILD = 'test/fixtures/tracer-child.ts';

/** Runs the child in `mode` (as a user's program, without tap's hooks), sending SIGTERM once it says `ready`. */
async function runChild(mode: string): Promise<{ lines: string[]; code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawnScript(CHILD, [mode], {}, ['--max-old-space-size=64']);
  const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().split('\n').includes('ready')) child.kill('SIGTERM');
  });
  const { code, signal, stdout, stderr } = await outputOf(child);
  clearTimeout(limit);
  if (stderr !== '') process.stderr.write(stderr);
  return { lines: stdout.trim().split('\n'), code, signal };
}

t.test('beforeExit shuts the tracer down when the program forgets to', async (t) => {
  const { lines, code } = await runChild('before-exit');
  t.same(lines, ['finishInstance complete', 'shutdown spans=2']);
  t.equal(code, 0);
});

t.test('handleSignals: SIGTERM shuts down, then the default behaviour (exit by the signal) proceeds', async (t) => {
  const { lines, signal } = await runChild('signal');
  t.same(lines, ['ready', 'finishInstance complete', 'shutdown spans=2']);
  t.equal(signal, 'SIGTERM');
});

t.test("handleSignals with the program's own SIGTERM listener: it runs once, and decides the exit", async (t) => {
  const { lines, code } = await runChild('signal-user');
  t.same(lines, ['ready', 'finishInstance complete', 'shutdown spans=2', 'user handler 1']);
  t.equal(code, 1, 'the exit code the program chose on its only call');
});

t.test('eleven tracers share one beforeExit listener (no MaxListeners warning), and each is shut down', async (t) => {
  const { lines, code } = await runChild('tracers');
  t.equal(code, 0);
  t.equal(lines[0], 'beforeExit listeners=1 SIGTERM listeners=1');
  t.equal(lines.filter((line) => line === 'shutdown spans=1').length, 11);
  t.same(lines.filter((line) => line.startsWith('warning')), []);
});
