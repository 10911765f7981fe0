/**
 * A minimal stand-in for the API, in a child process, to find the SDK's own ceiling: it answers
 * every bulk item `{"status":"success","details":{"id":...}}` without validating or storing it, and
 * only counts the distinct span ids it was asked to create. Same IPC protocol as `server-main.ts`
 * (`ready`, `counts`; `spans` counts created span ids of every instance).
 */
import { createServer } from 'node:http';
import { once } from 'node:events';

let requests = 0;
const spanIds = new Set<string>();

interface Item {
  readonly _type?: string;
  readonly idempotency_key?: string;
  readonly agent_instance_id?: string;
  readonly agent_span_id?: string;
  readonly details?: { readonly id?: string };
  readonly id?: string;
}

const server = createServer((request, response) => {
  requests++;
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let body: { items?: Item[] } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: Item[] };
    } catch {
      // Not JSON: answer as if empty.
    }
    let text: string;
    if (request.url?.startsWith('/api/v1/bulk') && Array.isArray(body.items)) {
      const outputs: Record<string, unknown> = {};
      for (const item of body.items) {
        const id = item.details?.id ?? item.agent_span_id ?? item.agent_instance_id ?? item.id ?? '';
        if (item._type === 'agent_spans/create' && item.details?.id) spanIds.add(item.details.id);
        outputs[item.idempotency_key ?? ''] = { status: 'success', details: { id } };
      }
      text = JSON.stringify({ status: 'success', outputs });
    } else {
      text = JSON.stringify({ status: 'success', details: { id: 'stub' } });
    }
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

process.on('message', (message: { type: string; id: number }) => {
  const cpu = process.cpuUsage();
  process.send?.({ type: 'counts', id: message.id, requests, spans: spanIds.size, cpuUs: cpu.user + cpu.system });
});
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
console.log(url);
process.send?.({ type: 'ready', url, token: 'stub-token' });
