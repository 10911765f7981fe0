import { propagationHeaders } from '../tracing/global.js';

type Fetch = typeof globalThis.fetch;

/**
 * `headers` (a plain object, a `Headers`, or entries) with the propagation headers of the current
 * span added (see `propagationHeaders()`), as a new `Headers`; headers already set win. For HTTP
 * clients other than `fetch`: `{ headers: Object.fromEntries(withPropagationHeaders(h)) }`.
 */
export function withPropagationHeaders(headers?: ConstructorParameters<typeof Headers>[0]): Headers {
  const merged = new Headers(headers);
  for (const [name, value] of Object.entries(propagationHeaders())) if (!merged.has(name)) merged.set(name, value);
  return merged;
}

/**
 * `fetchImpl` (by default the global `fetch`, looked up at each call) wrapped so that every request
 * made inside a span carries the propagation headers, for a service that calls `continueFrom`.
 * Outside any span the request is made unchanged.
 */
export function wrapFetch(fetchImpl?: Fetch): Fetch {
  return function tracedFetch(input, init) {
    const send = fetchImpl ?? globalThis.fetch;
    const extra = propagationHeaders();
    if (Object.keys(extra).length === 0) return send(input, init);
    // A Request carries its own headers unless `init` replaces them.
    const base = init?.headers ?? (input instanceof Request ? input.headers : undefined);
    const headers = new Headers(base);
    for (const [name, value] of Object.entries(extra)) if (!headers.has(name)) headers.set(name, value);
    return send(input, { ...init, headers });
  };
}

/** The global `fetch` with the propagation headers of the current span added (see `wrapFetch`). */
export const tracedFetch: Fetch = wrapFetch();
