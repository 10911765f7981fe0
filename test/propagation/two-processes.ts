import t from 'tap';
import { once } from 'node:events';
import { outputOf, spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

t.setTimeout(90_000);

t.test('a trace continues across two processes: the service\'s spans sit under the caller\'s, 100 concurrent requests never cross', async (t) => {
  const server = await withServer(t);
  const service = spawnScript('test/fixtures/propagation-service.ts', [server.url]);
  t.teardown(() => void service.kill());
  const serviceDone = outputOf(service);
  let firstLine = '';
  while (!firstLine.includes('\n')) firstLine += String((await once(service.stdout, 'data'))[0]);
  const port = /port (\d+)/.exec(firstLine)![1];
  const caller = await outputOf(spawnScript('test/fixtures/propagation-caller.ts', [server.url, `http://127.0.0.1:${port}`]));
  process.stderr.write(caller.stderr);
  t.equal(caller.code, 0, 'the caller exits cleanly');
  const [instanceId, callerReport] = caller.stdout.trim().split('\n') as [string, string];
  const served = await serviceDone;
  process.stderr.write(served.stderr);
  const serviceReport = JSON.parse(served.stdout.trim().split('\n').at(-1)!) as { delivered: boolean; stats: Record<string, any> };
  const callerStats = (JSON.parse(callerReport) as { delivered: boolean; stats: Record<string, any> }).stats;

  t.equal(serviceReport.delivered, true, 'the service delivered everything, once the caller had');
  t.ok(serviceReport.stats.operationsRetried > 0, 'the service\'s creates were refused (instance not there yet) and retried');
  t.equal(serviceReport.stats.remoteContextsContinued, 100);
  t.equal(serviceReport.stats.instancesStarted, 0, 'the service registers no instance of its own');
  t.same(Object.values(serviceReport.stats.dropped).filter((count) => count !== 0), [], 'the service dropped nothing');
  t.same(Object.values(callerStats.dropped).filter((count) => count !== 0), [], 'the caller dropped nothing');

  t.same(server.instances().map((instance) => [instance.id, instance.status]), [[instanceId, 'complete']], 'one instance, the caller\'s, finished by the caller');
  const tree = server.tree(instanceId);
  t.equal(tree.length, 1);
  const [batch] = tree;
  t.equal(batch!.schema_name, 'client:batch');
  t.equal(batch!.children.length, 100);
  let crossed = 0;
  for (const call of batch!.children) {
    const i = call.payload['i'];
    const [handle, ...more] = call.children;
    const [lookup] = handle?.children ?? [];
    const ok =
      call.schema_name === 'client:call' && more.length === 0 &&
      handle?.schema_name === 'service:handle' && handle.payload['n'] === i && handle.status === 'complete' &&
      lookup?.schema_name === 'service:lookup' && lookup.payload['n'] === i && handle.children.length === 1;
    if (!ok) crossed++;
  }
  t.equal(crossed, 0, 'each call has exactly its own request\'s spans under it');
});
