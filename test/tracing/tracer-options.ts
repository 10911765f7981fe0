import t from 'tap';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { defineSpanType } from '../../src/tracing/span-types.js';
import { resolveTracerOptions } from '../../src/tracing/tracer-options.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { recordingLogger } from '../fixtures/tracer.js';

const NO_ENV = {};

t.test('resolveTracerOptions() fills every default', async (t) => {
  const sink = new InMemorySink();
  const resolved = resolveTracerOptions({ sink, logger: false }, NO_ENV);
  t.match(resolved, {
    enabled: true,
    apiUrl: undefined,
    apiToken: undefined,
    agentId: 'local-agent',
    agentVersion: { name: 'default', external_identifier: 'default' },
    environmentId: undefined,
    spanTypes: [],
    validatePayloads: 'warn',
    maxPayloadBytes: 262144,
    onTerminate: undefined,
    sink,
    handleSignals: false,
    apiSink: {
      http: { requestTimeoutMs: 30_000, maxRetries: 3, retryOnStatusCodes: [429, 500, 502, 503, 504] },
      delivery: { maxBatchSize: 1000, flushIntervalMs: 200, shutdownTimeoutMs: 5000 },
    },
    shutdownTimeoutMs: 5000,
  });
  t.equal(resolved.makeSink(), sink, 'makeSink() returns the sink given');
  t.type(resolved.logger.warn, 'function');
  t.type(resolveTracerOptions(undefined, NO_ENV).logger.warn, 'function', 'the default stderr logger');
});

t.test('resolveTracerOptions() is disabled with no sink and no API settings, enabled by any of them', async (t) => {
  t.equal(resolveTracerOptions({}, NO_ENV).enabled, false);
  t.equal(resolveTracerOptions({}, { PREFACTOR_API_URL: '' }).enabled, false, 'an empty variable is unset');
  const env = { PREFACTOR_API_URL: 'http://127.0.0.1:1/', PREFACTOR_API_TOKEN: 'tok', PREFACTOR_AGENT_ID: 'agent-1' };
  t.match(resolveTracerOptions({}, env), { enabled: true, apiUrl: 'http://127.0.0.1:1', apiToken: 'tok', agentId: 'agent-1' });
  t.match(resolveTracerOptions({ apiToken: 'given' }, env), { apiToken: 'given' }, 'options win over the environment');
  t.throws(() => resolveTracerOptions({}, { PREFACTOR_API_TOKEN: 'tok' }), {
    code: 'ERR_PREFACTOR_CONFIG',
    message: 'Missing `apiUrl`: pass it to the Tracer or set PREFACTOR_API_URL (to trace without the API, pass a `sink`; to turn tracing off, `enabled: false`)',
  });
  t.throws(() => resolveTracerOptions({ apiUrl: 'http://x' }, NO_ENV), { message: /^Missing `apiToken`.*PREFACTOR_API_TOKEN/ });
  t.match(resolveTracerOptions({ apiUrl: 'http://x', apiToken: 't' }, NO_ENV), { enabled: true, agentId: undefined }, 'a URL and a token suffice: the token decides the agent');
  t.equal(resolveTracerOptions({ sink: new InMemorySink() }, NO_ENV).agentId, 'local-agent');
  t.throws(() => resolveTracerOptions({ enabled: true }, NO_ENV), { message: /^Missing `apiUrl`/ });
  t.equal(resolveTracerOptions({ enabled: false, apiUrl: 'http://x' }, NO_ENV).enabled, false);
});

t.test('resolveTracerOptions() takes the HTTP tuning and the delivery options flat, beside its own', async (t) => {
  const resolved = resolveTracerOptions(
    { sink: new InMemorySink(), requestTimeoutMs: 10, maxRetries: 0, maxBatchSize: 10, flushIntervalMs: 5, shutdownTimeoutMs: 100, logger: false },
    NO_ENV,
  );
  t.match(resolved.apiSink.http, { requestTimeoutMs: 10, maxRetries: 0, connectTimeoutMs: 10_000 });
  t.match(resolved.apiSink.delivery, { maxBatchSize: 10, flushIntervalMs: 5, shutdownTimeoutMs: 100, concurrency: 4 });
  t.equal(resolved.shutdownTimeoutMs, 100);
});

t.test('resolveTracerOptions() validates every option whatever `sink` and `enabled` are', async (t) => {
  const sink = new InMemorySink();
  const cases: [Record<string, unknown>, RegExp | string][] = [
    [{ sink, maxQueueSize: -1 }, 'Expected `maxQueueSize` to be a positive integer, got `-1` (number)'],
    [{ enabled: false, maxQueueSize: -1 }, 'Expected `maxQueueSize` to be a positive integer, got `-1` (number)'],
    [{ enabled: false, apiUrl: 'ftp://x' }, /^Expected `apiUrl` to be an http:\/\/ or https:\/\/ URL/],
    [{ sink, apiUrl: 'ftp://x' }, /^Expected `apiUrl` to be an http:\/\/ or https:\/\/ URL/],
    [{ sink, maxRetries: -5 }, 'Expected `maxRetries` to be a non-negative integer, got `-5` (number)'],
    [{ enabled: false, requestTimeoutMs: 0 }, /^Expected `requestTimeoutMs` to be a positive number/],
    [{ sink, redeliveryDelayMs: 10, maxRedeliveryDelayMs: 5 }, /^Expected `redeliveryDelayMs` to be at most `maxRedeliveryDelayMs` \(5\)/],
    [{ enabled: false, apiToken: 'with space' }, /^Expected `apiToken` to be a non-empty string of printable characters/],
    [{ sink, http: { maxRetries: -5 } }, /^Unknown option `http` for Tracer: the HTTP options are flat now/],
  ];
  for (const [options, message] of cases) {
    t.throws(() => resolveTracerOptions(options as never, NO_ENV), { code: 'ERR_PREFACTOR_CONFIG', message }, JSON.stringify(options));
  }
});

t.test('resolveTracerOptions() names the option and the value it rejects', async (t) => {
  const sink = new InMemorySink();
  const bad: [Record<string, unknown>, RegExp | string][] = [
    [{ sink, nope: 1 }, /^Unknown option `nope` for Tracer\. Known options: `apiUrl`.*`maxBatchSize`/],
    [{ sink: {} }, /^Expected `sink` to be an object with the methods registerInstance, startInstance/],
    [{ sink, logger: { warn() {} } }, /^Expected `logger` to be an object with the methods debug, info, warn, error/],
    [{ sink, agentId: '' }, 'Expected `agentId` to be a non-empty string, got `""` (string)'],
    [{ sink, enabled: 'yes' }, 'Expected `enabled` to be a boolean, got `"yes"` (string)'],
    [{ sink, validatePayloads: 'loud' }, 'Expected `validatePayloads` to be one of "warn", "throw", "off", got `"loud"` (string)'],
    [{ sink, onTerminate: 'fn' }, /^Expected `onTerminate` to be a function/],
    [{ sink, maxPayloadBytes: 100 }, 'Expected `maxPayloadBytes` to be an integer of at least 1024, got `100` (number)'],
    [{ sink, maxPayloadBytes: '1MB' }, 'Expected `maxPayloadBytes` to be an integer of at least 1024, got `"1MB"` (string)'],
    [{ sink, handleSignals: 1 }, /^Expected `handleSignals` to be a boolean/],
    [{ sink, environmentId: '' }, /^Expected `environmentId` to be a non-empty string/],
    [{ sink, shutdownTimeoutMs: -1 }, 'Expected `shutdownTimeoutMs` to be a non-negative number, got `-1` (number)'],
    [{ sink, agentVersion: 'v1' }, /^Expected the `agentVersion` options to be an object/],
    [{ sink, agentVersion: { name: 'n' } }, /^Expected `agentVersion.external_identifier` to be a non-empty string/],
    [{ sink, agentVersion: { name: 'n', external_identifier: 'e', extra: 1 } }, /^Unknown option `extra` for `agentVersion`/],
    [{ sink, agentVersion: { name: 'n', external_identifier: 'e', description: 1 } }, /^Expected `agentVersion.description` to be a string/],
    [{ sink, spanTypes: 'llm' }, /^Expected `spanTypes` to be an array of span types/],
    [{ sink, spanTypes: [{ name: 'x' }] }, /^Expected `spanTypes\[0\]` to be a span type from defineSpanType\(\)/],
    [{ sink, spanTypes: [defineSpanType({ name: 'x' }), defineSpanType({ name: 'x' })] }, 'Expected `spanTypes` to have unique names, got "x" twice'],
    [{ apiUrl: 'ftp://x', apiToken: 't', agentId: 'a' }, /^Expected `apiUrl` to be an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [options, message] of bad) t.throws(() => resolveTracerOptions(options as never, NO_ENV), { code: 'ERR_PREFACTOR_CONFIG', message }, JSON.stringify(Object.keys(options)));
  t.throws(() => resolveTracerOptions('x' as never, NO_ENV), { message: /Expected the Tracer options to be an object/ });
  t.match(resolveTracerOptions({ sink, logger: recordingLogger(), agentVersion: { name: 'n', external_identifier: 'e', description: 'd' } }, NO_ENV), {
    agentVersion: { name: 'n', external_identifier: 'e', description: 'd' },
  });
});

t.test('new Tracer() rejects the options it once accepted silently', async (t) => {
  const sink = new InMemorySink();
  t.throws(() => new Tracer({ sink, maxQueueSize: -1 }), { code: 'ERR_PREFACTOR_CONFIG', message: /`maxQueueSize`/ });
  t.throws(() => new Tracer({ enabled: false, apiUrl: 'ftp://x' }), { code: 'ERR_PREFACTOR_CONFIG', message: /`apiUrl`/ });
  t.throws(() => new Tracer({ sink, http: { maxRetries: -5 } } as never), { code: 'ERR_PREFACTOR_CONFIG', message: /`http`/ });
  t.throws(() => new Tracer({ sink, maxRetries: -5 }), { code: 'ERR_PREFACTOR_CONFIG', message: /`maxRetries`/ });
});

t.test('a token given as an object or a Buffer never shows in the config error', async (t) => {
  const secret = 'tok_planted_0123456789';
  const sink = new InMemorySink();
  for (const apiToken of [Buffer.from(secret), { token: secret }, [secret], `${secret} with space`]) {
    for (const options of [{ sink, apiToken }, { enabled: false, apiToken }, { apiUrl: 'http://127.0.0.1:9', agentId: 'a', apiToken }]) {
      const error = t.throws(() => resolveTracerOptions(options as never, NO_ENV), { code: 'ERR_PREFACTOR_CONFIG', message: /`apiToken`/ }) as Error;
      for (const view of [error.message, String(error), error.stack ?? '', JSON.stringify(error)]) t.notMatch(view, secret);
    }
  }
});
