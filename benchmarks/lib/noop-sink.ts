import type { SpanSink } from '../../src/sinks/span-sink.js';

/** A sink that drops everything: what a benchmark then measures is the tracer's own hot path. */
export class NoopSink implements SpanSink {
  registerInstance(): void {}
  startInstance(): void {}
  finishInstance(): void {}
  spanStarted(): void {}
  spanEnded(): void {}
  async flush(): Promise<boolean> {
    return true;
  }
  async shutdown(): Promise<boolean> {
    return true;
  }
}

/** Unsets the environment variables that would point a benchmark's tracer at a real API. */
export function clearPrefactorEnv(): void {
  for (const key of ['PREFACTOR_API_URL', 'PREFACTOR_API_TOKEN', 'PREFACTOR_AGENT_ID']) delete process.env[key];
}
