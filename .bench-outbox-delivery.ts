import { Outbox } from './src/delivery/outbox.js';
import { DeliveryCounters } from './src/delivery/stats.js';
import { bulkBody } from './src/delivery/operations.js';
import type { Operation } from './src/delivery/operations.js';
const N = 30000;
const ts = new Date().toISOString();
const ids = Array.from({ length: N }, (_, i) => `span-${i}-xxxxxxxxxxxxxxxxxxxxxxxx`);
const payloads = ids.map((_, i) => JSON.stringify({ i, text: 'x'.repeat(100) }));
for (let r = 0; r < 5; r++) {
  const counters = new DeliveryCounters({ debug() {}, info() {}, warn() {}, error() {} }, (f) => f());
  const outbox = new Outbox(counters, 1e6, 1e9);
  outbox.registerInstance({ id: 'inst', agentId: 'a', agentVersion: {}, agentSchemaVersion: {} }, '{"id":"inst"}');
  outbox.startInstance('inst', ts);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    outbox.spanStarted({ id: ids[i]!, instanceId: 'inst', parentId: undefined, schemaName: 'agent:tool', payloadJson: payloads[i]!, startedAt: ts });
    outbox.spanEnded({ id: ids[i]!, instanceId: 'inst', status: 'complete', resultPayloadJson: '{"ok":true}', finishedAt: ts });
  }
  const t1 = performance.now();
  let stamp = 0; const batches: Operation[][] = [];
  while (outbox.queuedEntries > 0) {
    stamp++; const b: Operation[] = [];
    for (let op = outbox.head; op && b.length < 1000; op = op.next) { if (op.state !== 0) continue; if (!outbox.eligible(op, stamp, true)) continue; outbox.take(op, stamp); b.push(op); }
    batches.push(b);
  }
  const t2 = performance.now();
  let bytes = 0; for (const b of batches) bytes += bulkBody(b, 'k').length;
  const t3 = performance.now();
  for (const b of batches) for (const op of b) outbox.confirm(op);
  const t4 = performance.now();
  console.log(`enqueue ${((t1-t0)*1e6/N).toFixed(0)} ns/span, take ${((t2-t1)*1e6/N).toFixed(0)}, body ${((t3-t2)*1e6/N).toFixed(0)} (${bytes/N|0} B/span), confirm ${((t4-t3)*1e6/N).toFixed(0)}`);
}
