import type { IncomingMessage, ServerResponse } from 'node:http';
import { continueFrom } from '../tracing/global.js';
import type { Tracer } from '../tracing/tracer.js';

/**
 * A `node:http` request handler wrapped so that each request runs under the span of its caller, read
 * from its propagation headers (`continueFrom`), on `tracer` or else the global tracer (`init()`).
 * A request without usable headers runs as it is. `http.createServer(continueRequests(handler))`.
 */
export function continueRequests<Request extends IncomingMessage, Response extends ServerResponse<Request>>(
  handler: (request: Request, response: Response) => unknown,
  tracer?: Tracer,
): (request: Request, response: Response) => void {
  return (request, response) => {
    const run = (): unknown => handler(request, response);
    void (tracer === undefined ? continueFrom(request, run) : tracer.continueFrom(request, run));
  };
}
