import t from 'tap';
import { InMemorySink } from '../../src/sinks/memory-sink.js';
import { defineSpanType } from '../../src/tracing/span-types.js';
import { resolveTracerOptions } from '../../src/tracing/tracer-options.js';
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
    http: {},
    delivery: {},
    shutdownTimeoutMs: 5000,
  });
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

t.test('resolveTracerOptions() keeps the http tuning and the delivery options', async (t) => {
  const resolved = resolveTracerOptions(
    { sink: new InMemorySink(), http: { requestTimeoutMs: 10 }, maxBatchSize: 10, flushIntervalMs: 5, shutdownTimeoutMs: 100, logger: false },
    NO_ENV,
  );
  t.same(resolved.http, { requestTimeoutMs: 10 });
  t.same(resolved.delivery, { maxBatchSize: 10, flushIntervalMs: 5, shutdownTimeoutMs: 100 });
  t.equal(resolved.shutdownTimeoutMs, 100);
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
    [{ sink, http: { apiUrl: 'http://x' } }, /^Unknown option `apiUrl` for `http`/],
    [{ sink, http: 5 }, /^Expected the `http` options to be an object/],
    [{ apiUrl: 'ftp://x', apiToken: 't', agentId: 'a' }, /^Expected `apiUrl` to be an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [options, message] of bad) t.throws(() => resolveTracerOptions(options as never, NO_ENV), { code: 'ERR_PREFACTOR_CONFIG', message }, JSON.stringify(Object.keys(options)));
  t.throws(() => resolveTracerOptions('x' as never, NO_ENV), { message: /Expected the Tracer options to be an object/ });
  t.match(resolveTracerOptions({ sink, logger: recordingLogger(), agentVersion: { name: 'n', external_identifier: 'e', description: 'd' } }, NO_ENV), {
    agentVersion: { name: 'n', external_identifier: 'e', description: 'd' },
  });
});
