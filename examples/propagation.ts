// examples/propagation.ts: one trace across two services. The tool service continues the caller's
// trace from the request headers; the caller's fetch adds them. (Both run here in one process.)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { continueRequests, init, tracedFetch, withInstance, withSpan, shutdown } from 'prefactor-trace';

init({ agentId: 'propagation-example' }); // PREFACTOR_API_URL and PREFACTOR_API_TOKEN from the environment

const toolService = createServer(
  continueRequests(async (request, response) => {
    const result = await withSpan('tool:search', { url: request.url }, async () => ({ hits: 3 }));
    response.end(JSON.stringify(result));
  }),
).listen(0, '127.0.0.1');
await new Promise((resolve) => toolService.once('listening', resolve));
const toolUrl = `http://127.0.0.1:${(toolService.address() as AddressInfo).port}`;

await withInstance({ purpose: 'research' }, () =>
  withSpan('agent:call-tool', { tool: 'search' }, async () => (await tracedFetch(`${toolUrl}/search?q=otters`)).json()),
);
toolService.close();
await shutdown();
