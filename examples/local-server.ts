import { startLocalServer } from 'prefactor-trace/server';

const server = await startLocalServer({ port: 0, token: 'dev-token', faults: { errorRate: 0.3 }, seed: 42 });
console.log(server.url); // http://127.0.0.1:<port>
server.on('span', (span) => console.log(span.schema_name, span.status));
// ...point a Tracer at server.url / server.token, then inspect server.instances(), server.spans(id), server.tree(id)
server.setFaults({ outageMs: 2000 }); // refuse every connection for two seconds
await server.close();
