import t from 'tap';
import { runLifecycleChild as run } from '../fixtures/lifecycle.js';
import { startRawServer } from '../fixtures/raw-server.js';
import { withServer } from '../fixtures/server.js';

// process.exit() in a user's program (a child process with a small heap and a time limit): what is
// still held is lost, and said once at error level with the fix.

t.test('process.exit() with operations held says, once, how many spans were not delivered and the fix', async (t) => {
  const server = await startRawServer('hang');
  t.teardown(() => server.close());
  const { code, lines } = await run('exit', server.url);
  t.equal(code, 0);
  const errors = lines.filter((line) => line.startsWith('error '));
  t.equal(errors.length, 1, lines.join('\n'));
  t.match(errors[0], /1000 span\(s\) .*not delivered.*await tracer\.shutdown\(\)/);
});

t.test('process.exit() after everything was delivered says nothing', async (t) => {
  const server = await withServer(t);
  const { code, lines } = await run('exit-after-flush', server.url);
  t.equal(code, 0);
  t.same(lines.filter((line) => !line.startsWith('done ')), []);
});
