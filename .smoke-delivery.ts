import { PrefactorHttpClient } from './src/http/client.js';
import { createDeliverySink } from './src/delivery/index.js';
import { generateId, partitionOf } from './src/ids.js';
const N = Number(process.argv[2] ?? 30000);
const client = new PrefactorHttpClient({ apiUrl: process.env.URL!, apiToken: 'dev-token', maxRetries: 2 });
const sink = createDeliverySink({ client, logger: console, maxBatchSize: Number(process.env.B ?? 1000), concurrency: Number(process.env.C ?? 4) });
const agent = generateId(); const part = partitionOf(agent);
const inst = generateId(part);
const ts = () => new Date().toISOString();
sink.registerInstance({ id: inst, agentId: agent, agentVersion: { name: 'v' }, agentSchemaVersion: { external_identifier: 's' } });
sink.startInstance(inst, ts());
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const id = generateId(part);
  sink.spanStarted({ id, instanceId: inst, parentId: undefined, schemaName: 'agent:tool', payloadJson: JSON.stringify({ i, text: 'x'.repeat(100) }), startedAt: ts() });
  sink.spanEnded({ id, instanceId: inst, status: 'complete', resultPayloadJson: '{"ok":true}', finishedAt: ts() });
}
const t1 = performance.now(); const cpu1 = process.cpuUsage(); console.log("after enqueue", Math.round(process.memoryUsage().rss/1e6), Math.round(process.memoryUsage().heapUsed/1e6));
const ok = await sink.flush(30000);
const t2 = performance.now(); const cpu2 = process.cpuUsage(cpu1); console.log("flush-phase client cpu ms", Math.round((cpu2.user+cpu2.system)/1000), "wall", Math.round(t2-t1));
const s = sink.stats();
console.log(JSON.stringify({ B: process.env.B, C: process.env.C, ok, enqueueMs: Math.round(t1 - t0), totalMs: Math.round(t2 - t0), spansPerSec: Math.round(N / ((t2 - t0) / 1000)), reqs: s.requestsSent, rssMB: Math.round(process.memoryUsage().rss / 1e6), cpuMs: Math.round(process.cpuUsage().user/1000) }));
console.log("end heap", Math.round(process.memoryUsage().heapUsed/1e6), "ext", Math.round(process.memoryUsage().external/1e6), "ab", Math.round(process.memoryUsage().arrayBuffers/1e6)); (globalThis as any).gc?.(); console.log("after gc rss", Math.round(process.memoryUsage().rss/1e6), Math.round(process.memoryUsage().heapUsed/1e6)); await sink.shutdown(1000); await client.close();
