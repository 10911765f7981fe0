import { PrefactorHttpClient } from './src/http/client.js';
import { createDeliverySink } from './src/delivery/index.js';
import { generateId } from './src/ids.js';
const N = 30000;
const client = new PrefactorHttpClient({ apiUrl: 'http://127.0.0.1:1', apiToken: 't', maxRetries: 0 });
const sink = createDeliverySink({ client, logger: false as any, maxBatchSize: 1e6, flushIntervalMs: 1e6 });
const ts = new Date().toISOString();
const ids = Array.from({length: N}, () => generateId());
const payloads = ids.map((_, i) => JSON.stringify({ i, text: 'x'.repeat(100) }));
for (let r = 0; r < 3; r++) {
const sink = createDeliverySink({ client, logger: false as any, maxBatchSize: 1e6, flushIntervalMs: 1e6 });
let t0 = performance.now();
for (let i = 0; i < N; i++) {
  sink.spanStarted({ id: ids[i]!, instanceId: 'inst', parentId: undefined, schemaName: 'agent:tool', payloadJson: payloads[i]!, startedAt: ts });
  sink.spanEnded({ id: ids[i]!, instanceId: 'inst', status: 'complete', resultPayloadJson: '{"ok":true}', finishedAt: ts });
}
console.log('enqueue ns/span', ((performance.now() - t0) * 1e6 / N).toFixed(0));
}
let t0=0;
t0 = performance.now();
for (let i = 0; i < N; i++) generateId();
console.log('generateId ns', ((performance.now() - t0) * 1e6 / N).toFixed(0));
process.exit(0);
