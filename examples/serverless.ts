import { Tracer, withSpan } from 'prefactor-trace';

const tracer = new Tracer({ flushIntervalMs: 50 });

/** A serverless handler: flush before returning, because the platform may freeze the process after. */
export async function handler(event: { question: string }): Promise<{ answer: string }> {
  try {
    return await tracer.withInstance({ purpose: event.question }, () =>
      withSpan('agent:llm', { prompt: event.question }, async () => ({ answer: `echo: ${event.question}` })),
    );
  } finally {
    await tracer.flush({ timeoutMs: 2000 }); // never rejects; false means some spans were still queued
  }
}
