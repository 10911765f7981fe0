import { checkToken } from '../http/config.js';
import { resolveLogger, type Logger } from '../util/logger.js';
import type { AgentVersionForRegister } from '../models/index.js';
import { PrefactorConfigError, assertOptionsObject, check, invalidOption, rejectUnknownKeys } from '../util/option-checks.js';
import { API_SINK_OPTION_KEYS, createApiSink, resolveApiSinkOptions, type ApiSinkOptions, type ResolvedApiSinkOptions } from '../sinks/api-sink.js';
import type { SpanSink } from '../sinks/span-sink.js';
import type { SpanType } from './span-types.js';
import { REDACTION_OPTION_KEYS, resolveRedactionOptions, type RedactionOptions, type ResolvedRedactionOptions } from './redaction-options.js';
import { SAMPLING_OPTION_KEYS, resolveSamplingOptions, type ResolvedSamplingOptions, type SamplingOptions } from './sampling-options.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from './serialize.js';

/**
 * Options of `new Tracer(options)` and `init(options)`. Every one is optional. One flat object: the
 * tracer's own options, the HTTP client's tuning (`requestTimeoutMs`, `maxRetries`, ... see
 * `PrefactorHttpClient`) and the delivery engine's (`maxBatchSize`, `flushIntervalMs`, ...) side by side.
 * Every option is validated at construction, whatever `sink` and `enabled` are.
 */
export interface TracerOptions extends ApiSinkOptions, SamplingOptions, RedactionOptions {
  /**
   * Base URL of the Prefactor API, e.g. `https://api.prefactor.ai`.
   * @default process.env.PREFACTOR_API_URL
   */
  readonly apiUrl?: string;
  /**
   * Bearer token for the API. Never written to any message or log.
   * @default process.env.PREFACTOR_API_TOKEN
   */
  readonly apiToken?: string;
  /**
   * The agent the instances belong to. When it is a Prefactor id, span and instance ids share its
   * storage partition. Optional with a deployment-scoped token (what `prefactor setup` hands out):
   * without it, instances register without `agent_id`, the token decides the agent, and ids use a
   * random partition.
   * @default process.env.PREFACTOR_AGENT_ID; none (the token's agent), or `'local-agent'` when a `sink` is given
   */
  readonly agentId?: string;
  /**
   * The agent version each instance registers with.
   * @default { name: 'default', external_identifier: 'default' }
   */
  readonly agentVersion?: { readonly name: string; readonly external_identifier: string; readonly description?: string };
  /**
   * The environment instances are registered in.
   * @default undefined (the API's default environment)
   */
  readonly environmentId?: string;
  /**
   * The span types of the agent (from `defineSpanType`), registered with every instance as
   * `agent_schema_version.span_type_schemas`.
   * @default []
   */
  readonly spanTypes?: readonly SpanType<any, any>[];
  /**
   * What to do when a payload does not match its span type's schema: `'warn'` counts it, logs a
   * warning and sends it anyway; `'throw'` makes `withSpan` throw a `PayloadValidationError` before
   * `fn` runs (for development and tests); `'off'` skips validation (and result parsing).
   * @default 'warn'
   */
  readonly validatePayloads?: 'warn' | 'throw' | 'off';
  /**
   * The most UTF-8 bytes of JSON one span payload (or result) may take. A larger payload is sent
   * cut: long strings shortened, the remaining keys and items left out, each cut marked, and
   * `_prefactor_truncated` added at its top level (counted in `stats().payloadsTruncated`).
   * Serialising stops as soon as the budget is spent, so the cost to the traced code is bounded by
   * it, not by the payload. At least 1024.
   * @default 262144 (256 KiB)
   */
  readonly maxPayloadBytes?: number;
  /**
   * Called when the API terminates an instance (the killswitch), after its `signal` has aborted.
   * @default undefined
   */
  readonly onTerminate?: (instanceId: string, reason: string) => void;
  /**
   * Receives what the SDK has to say. `false` silences it.
   * @default warnings and errors to stderr, throttled
   */
  readonly logger?: Logger | false;
  /**
   * Where span and instance events go instead of the Prefactor API, e.g. an `InMemorySink` in
   * tests. With a sink, no HTTP client is created and `apiUrl`/`apiToken` are not needed.
   * @default the delivery engine, sending to `apiUrl`
   */
  readonly sink?: SpanSink;
  /**
   * `false` turns tracing off: `withSpan` just runs `fn`. `true` requires a configuration.
   * @default true when a `sink` or any of `apiUrl`/`apiToken`/`agentId` (or their environment
   * variables) is set, else false
   */
  readonly enabled?: boolean;
  /**
   * Shut down (finish the default instance and flush, bounded by `shutdownTimeoutMs`) on SIGINT and
   * SIGTERM, then raise the signal again so that its default behaviour (exit) proceeds. For programs
   * without their own signal handling; with your own handler, call `tracer.shutdown()` in it instead.
   * @default false
   */
  readonly handleSignals?: boolean;
}

/** `TracerOptions` resolved: every field set. */
export interface ResolvedTracerOptions {
  readonly enabled: boolean;
  readonly apiUrl: string | undefined;
  readonly apiToken: string | undefined;
  /** `undefined`: the token decides the agent. */
  readonly agentId: string | undefined;
  readonly agentVersion: AgentVersionForRegister;
  readonly environmentId: string | undefined;
  readonly spanTypes: readonly SpanType<unknown, unknown>[];
  readonly validatePayloads: 'warn' | 'throw' | 'off';
  readonly maxPayloadBytes: number;
  readonly onTerminate: ((instanceId: string, reason: string) => void) | undefined;
  readonly logger: Logger;
  readonly sink: SpanSink | undefined;
  readonly handleSignals: boolean;
  /** The default sink's options (HTTP tuning and delivery), validated even when a `sink` is given. */
  readonly apiSink: ResolvedApiSinkOptions;
  readonly shutdownTimeoutMs: number;
  /** The sink to use: `sink`, else the default sink made from `apiUrl`, `apiToken` and `apiSink`. Call once. */
  readonly makeSink: () => SpanSink;
  /** `sampleRate`, `sampler`, `sampleErrors`. */
  readonly sampling: ResolvedSamplingOptions;
  /** `redact`, `redactPayload`. */
  readonly redaction: ResolvedRedactionOptions;
}

const OWN_KEYS = [
  'apiUrl',
  'apiToken',
  'agentId',
  'agentVersion',
  'environmentId',
  'spanTypes',
  'validatePayloads',
  'maxPayloadBytes',
  'onTerminate',
  'logger',
  'sink',
  'enabled',
  'handleSignals',
] as const;
const TRACER_OPTION_KEYS: readonly string[] = [...OWN_KEYS, ...API_SINK_OPTION_KEYS, ...SAMPLING_OPTION_KEYS, ...REDACTION_OPTION_KEYS];
const SINK_METHODS = ['registerInstance', 'startInstance', 'finishInstance', 'spanStarted', 'spanEnded', 'flush', 'shutdown'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;
const DEFAULT_AGENT_VERSION = { name: 'default', external_identifier: 'default' } as const;
const SINK_AGENT_ID = 'local-agent';

type Env = Readonly<Record<string, string | undefined>>;

/** Validates `options` (throws a `PrefactorConfigError` naming the option) and fills the defaults. */
export function resolveTracerOptions(options: TracerOptions = {}, env: Env = process.env): ResolvedTracerOptions {
  assertOptionsObject('Tracer', options);
  if (Object.hasOwn(options, 'http')) {
    throw new PrefactorConfigError(
      'Unknown option `http` for Tracer: the HTTP options are flat now; pass `maxRetries`, `requestTimeoutMs`, ... directly in the Tracer options',
    );
  }
  rejectUnknownKeys('Tracer', options, TRACER_OPTION_KEYS);
  const sink = options.sink === undefined ? undefined : checkMethods('sink', options.sink, SINK_METHODS);
  const logger = resolveLogger(options.logger === undefined || options.logger === false ? options.logger : checkMethods('logger', options.logger, LOGGER_METHODS));
  // Given options are checked even when unused (a sink, or tracing off); environment values when used.
  if (options.apiUrl !== undefined) check.httpUrl('apiUrl', options.apiUrl);
  if (options.apiToken !== undefined) checkToken(options.apiToken);
  const apiUrl = options.apiUrl ?? (env['PREFACTOR_API_URL'] || undefined);
  const apiToken = options.apiToken ?? (env['PREFACTOR_API_TOKEN'] || undefined);
  const agentId = options.agentId ?? (env['PREFACTOR_AGENT_ID'] || undefined);
  const configured = sink !== undefined || apiUrl !== undefined || apiToken !== undefined || agentId !== undefined;
  const enabled = options.enabled === undefined ? configured : check.boolean('enabled', options.enabled);
  const apiSink = resolveApiSinkOptions(options);
  const resolved = {
    enabled,
    apiUrl: undefined as string | undefined,
    apiToken: undefined as string | undefined,
    agentId: agentId === undefined ? (sink === undefined ? undefined : SINK_AGENT_ID) : check.nonEmptyString('agentId', agentId),
    agentVersion: checkAgentVersion(options.agentVersion),
    environmentId: options.environmentId === undefined ? undefined : check.nonEmptyString('environmentId', options.environmentId),
    spanTypes: checkSpanTypes(options.spanTypes),
    validatePayloads: check.oneOf('validatePayloads', options.validatePayloads ?? 'warn', ['warn', 'throw', 'off'] as const),
    maxPayloadBytes: options.maxPayloadBytes === undefined ? DEFAULT_MAX_PAYLOAD_BYTES : checkMaxPayloadBytes(options.maxPayloadBytes),
    onTerminate: options.onTerminate === undefined ? undefined : checkFunction('onTerminate', options.onTerminate),
    logger,
    sink,
    handleSignals: options.handleSignals === undefined ? false : check.boolean('handleSignals', options.handleSignals),
    apiSink,
    shutdownTimeoutMs: apiSink.delivery.shutdownTimeoutMs,
    makeSink: (): SpanSink => sink ?? createApiSink({ apiUrl: resolved.apiUrl!, apiToken: resolved.apiToken! }, apiSink, logger),
    sampling: resolveSamplingOptions(options),
    redaction: resolveRedactionOptions(options),
  };
  if (enabled && sink === undefined) {
    resolved.apiUrl = check.httpUrl('apiUrl', required('apiUrl', 'PREFACTOR_API_URL', apiUrl));
    resolved.apiToken = checkToken(required('apiToken', 'PREFACTOR_API_TOKEN', apiToken));
  }
  return resolved;
}

function required(name: string, envName: string, value: string | undefined): string {
  if (value === undefined) {
    throw new PrefactorConfigError(
      `Missing \`${name}\`: pass it to the Tracer or set ${envName} (to trace without the API, pass a \`sink\`; to turn tracing off, \`enabled: false\`)`,
    );
  }
  return value;
}

function checkMethods<T extends object>(name: string, value: T, methods: readonly string[]): T {
  if (typeof value !== 'object' || value === null || methods.some((method) => typeof (value as Record<string, unknown>)[method] !== 'function')) {
    invalidOption(name, `an object with the methods ${methods.join(', ')}`, value);
  }
  return value;
}

function checkMaxPayloadBytes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_MAX_PAYLOAD_BYTES) {
    invalidOption('maxPayloadBytes', `an integer of at least ${MIN_MAX_PAYLOAD_BYTES}`, value);
  }
  return value;
}

function checkFunction<T>(name: string, value: T): T {
  if (typeof value !== 'function') invalidOption(name, 'a function', value);
  return value;
}

function checkAgentVersion(value: TracerOptions['agentVersion']): AgentVersionForRegister {
  if (value === undefined) return { ...DEFAULT_AGENT_VERSION };
  assertOptionsObject('`agentVersion`', value);
  rejectUnknownKeys('`agentVersion`', value, ['name', 'external_identifier', 'description']);
  const version: AgentVersionForRegister = {
    name: check.nonEmptyString('agentVersion.name', value.name),
    external_identifier: check.nonEmptyString('agentVersion.external_identifier', value.external_identifier),
  };
  if (value.description !== undefined) {
    if (typeof value.description !== 'string') invalidOption('agentVersion.description', 'a string', value.description);
    version.description = value.description;
  }
  return version;
}

function checkSpanTypes(value: TracerOptions['spanTypes']): readonly SpanType<unknown, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalidOption('spanTypes', 'an array of span types from defineSpanType()', value);
  const names = new Set<string>();
  for (const [index, type] of value.entries()) {
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string' || typeof type.schemaEntry !== 'function') {
      invalidOption(`spanTypes[${index}]`, 'a span type from defineSpanType()', type);
    }
    if (names.has(type.name)) {
      throw new PrefactorConfigError(`Expected \`spanTypes\` to have unique names, got "${type.name}" twice`);
    }
    names.add(type.name);
  }
  return [...value] as SpanType<unknown, unknown>[];
}
