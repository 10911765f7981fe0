import { PrefactorHttpClient } from '../../src/api/client.js';

/** What the server holds for one agent instance, read back through the API. */
export interface ServerHoldings {
  readonly spans: number;
  readonly uniqueIds: number;
  readonly complete: number;
}

/** Reads `GET /api/v1/agent_spans?agent_instance_id=...` through the SDK's own HTTP client. */
export async function spansOnServer(apiUrl: string, apiToken: string, instanceId: string): Promise<ServerHoldings> {
  const client = new PrefactorHttpClient({ apiUrl, apiToken, requestTimeoutMs: 60_000 });
  try {
    const body = await client.request<{ details: { id: string; status: string }[] }>('GET', '/api/v1/agent_spans', {
      params: { agent_instance_id: instanceId },
    });
    const spans = body.details;
    return {
      spans: spans.length,
      uniqueIds: new Set(spans.map((span) => span.id)).size,
      complete: spans.filter((span) => span.status === 'complete').length,
    };
  } finally {
    await client.close();
  }
}
