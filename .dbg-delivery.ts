import { AsyncLocalStorage } from 'node:async_hooks';
import { startLocalServer } from './src/server/index.js';
import { sinkFor, startInstance, openSpan } from './test/fixtures/delivery.js';
const server = await startLocalServer({ port: 0 });
server.on('request', (i) => console.log('req', i.status, i.itemCount));
const storage = new AsyncLocalStorage<string>();
const { sink, logger } = sinkFor({ teardown() {} }, server.url, { flushIntervalMs: 20 });
sink.setTerminateHandler((id, r) => console.log('TERM', id, r, storage.getStore()));
storage.run('user', () => {
const id = startInstance(sink);
server.terminate(id, 'budget');
openSpan(sink, id, undefined, { a: 1 }).end();
openSpan(sink, id, undefined, { b: 1 });
});
setTimeout(() => { console.log(sink.stats(), logger.lines); server.close(); process.exit(0)}, 1500);
