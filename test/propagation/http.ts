import t from 'tap';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tracedFetch } from '../../src/propagation/fetch.js';
import { continueRequests } from '../../src/propagation/http.js';
import { init } from '../../src/tracing/global.js';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import type { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer } from '../fixtures/tracer.js';

async function serve(t: { teardown(fn: () => unknown): void }, tracer: Tracer | undefined, receiver: Tracer): Promise<string> {
  const server = http.createServer(
    continueRequests(async (_request, response) => {
      await receiver.withSpan('handle', async () => 1);
      response.end('done');
    }, tracer),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('continueRequests runs each request under its caller\'s span (given tracer, then global)', async (t) => {
  const caller = memoryTracer(t);
  const receiver = memoryTracer(t);
  const url = await serve(t, receiver.tracer, receiver.tracer);
  const callerSpan = await caller.tracer.withSpan('call', async (span) => {
    t.equal(await (await tracedFetch(url)).text(), 'done');
    return span.id;
  });
  t.match(receiver.sink.spans(), [{ schemaName: 'handle', parentId: callerSpan, instanceId: caller.sink.spans()[0]!.instanceId }]);

  const sink = new InMemorySink();
  const global = init({ sink, logger: false });
  t.teardown(() => global.shutdown());
  const globalUrl = await serve(t, undefined, global);
  const second = await caller.tracer.withSpan('call', async (span) => {
    await (await tracedFetch(globalUrl)).text();
    return span.id;
  });
  t.match(sink.spans(), [{ schemaName: 'handle', parentId: second }]);
});
