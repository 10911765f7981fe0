// examples/http-server.ts: one agent instance per HTTP request. Requests run concurrently and each
// one's spans land under its own instance, with nothing passed around: the async context does it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Tracer, withSpan } from 'prefactor-trace';

/** An HTTP server whose every request is one traced agent run. */
export function createAgentServer(tracer: Tracer): Server {
  return createServer((request, response) => {
    const question = new URL(request.url ?? '/', 'http://localhost').searchParams.get('q') ?? 'hello';
    tracer
      .withInstance({ purpose: `answer: ${question}` }, async (instance) => {
        const context = await withSpan('agent:retrieve', { query: question }, async () => {
          await delay(5);
          return { documents: [`notes about ${question}`] };
        });
        const answer = await withSpan('agent:llm', { prompt: question, documents: context.documents.length }, async () => {
          await delay(10);
          return { text: `You asked "${question}".` };
        });
        response.setHeader('x-agent-instance-id', instance.id);
        response.end(answer.text);
      })
      .catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
  });
}

// Run directly: `node --import tsx examples/http-server.ts`, then `curl 'localhost:3000/?q=weather'`.
// PREFACTOR_API_URL, PREFACTOR_API_TOKEN and PREFACTOR_AGENT_ID come from the environment. On Ctrl-C
// or SIGTERM the tracer flushes (`handleSignals`), then the signal ends the process as usual.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tracer = new Tracer({ handleSignals: true });
  const server = createAgentServer(tracer).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    console.log(`Agent server on http://127.0.0.1:${port}`);
  });
}
