import { createHash } from 'node:crypto';
import { generateId, isPrefactorId, partitionOf, randomPartition } from '../util/ids.js';
import { Instance, type InstanceMode, cancelInstanceAtShutdown, finishInstance, isInstanceFinished, instanceSpanClosed, instanceSpanOpened, terminateInstance } from './instance.js';
import { safeLog, type Logger } from '../util/logger.js';
import type { AgentSchemaVersionForRegister, FinishStatus } from '../models/index.js';
import { PayloadSerializer, type KeyWatch } from './serialize.js';
import type { SpanSink } from '../sinks/span-sink.js';
import { PayloadValidationError, type SpanType } from './span-types.js';
import { describeIssues } from '../util/zod-issues.js';
import { errorText } from '../util/error-text.js';
import { OpenSpans, Span, cancelSpanAtShutdown, isoTime, openSpansNewestFirst, trackOpenSpan, untrackOpenSpan, type SpanOwner } from './span.js';
import type { ResolvedTracerOptions } from './tracer-options.js';
import { InstanceHold, SAMPLED_OUT, inSampleRate } from './sampling.js';
import { deferredWork, retryDeferred } from './deferred.js';
import { Redactor } from './redactor.js';
import { NO_CONTENT_JSON } from './redaction.js';
import type { IgnoredReason, RemoteContext } from './propagation.js';

const REMOTE: InstanceMode = { recordsNothing: false, remote: true, sink: undefined };
const REMOTE_SAMPLED_OUT: InstanceMode = { recordsNothing: true, remote: true, sink: undefined };

const VALIDATE_OFF = 0;
const VALIDATE_WARN = 1;
const VALIDATE_THROW = 2;
/**
 * Open spans the recorder remembers, to end them at shutdown: beyond this many (spans that never
 * end, piling up in a long-running process), new ones are not remembered; their instance is still
 * finished `cancelled` at shutdown, the span itself stays open on the server.
 */
const MAX_TRACKED_OPEN_SPANS = 100_000;

/** The tracer's own counters, merged into `tracer.stats()`. */
export interface TracerCounters {
  /** Spans opened (traced). */
  readonly spansStarted: number;
  /** Spans ended. */
  readonly spansEnded: number;
  /** Agent instances registered (the default one included). */
  readonly instancesStarted: number;
  /** Agent instances finished. */
  readonly instancesFinished: number;
  /** Payloads and results that did not match their span type's schema. */
  readonly payloadValidationFailures: number;
  /** Payloads (and results) with a part that could not be read (a throwing getter, toJSON or Proxy). */
  readonly serializationFailures: number;
  /** Payloads (and results) larger than `maxPayloadBytes`, sent cut (marked `_prefactor_truncated`). */
  readonly payloadsTruncated: number;
  /** Spans run untraced because the call stack was nearly exhausted (deep synchronous recursion). */
  readonly spansSkippedStackDepth: number;
  /** Spans run untraced because their instance had already finished (e.g. a timer firing later). */
  readonly spansAfterInstanceFinished: number;
  /** Spans still open at `shutdown()` (a promise that never settled, a stream never read), ended `cancelled` then. */
  readonly spansCancelledAtShutdown: number;
  /** Agent instances with work still open at `shutdown()`, finished `cancelled` then. */
  readonly instancesCancelledAtShutdown: number;
  /** Failures inside the tracer or thrown by the sink, the logger or `onTerminate`, each logged. */
  readonly telemetryErrors: number;
  /** Agent instances not recorded by sampling (`sampleRate`, `sampler`); with `sampleErrors`, held. */
  readonly instancesSampledOut: number;
  /** Unsampled instances sent all the same because one of their spans failed (`sampleErrors`). */
  readonly instancesKeptForErrors: number;
  /** Unsampled instances whose held events passed the limit (1000) before any span failed: let go. */
  readonly instancesHoldOverflowed: number;
  /** `continueFrom` calls that continued a remote trace. */
  readonly remoteContextsContinued: number;
  /** `continueFrom` calls whose headers were malformed, oversized or foreign: traced on their own. */
  readonly remoteContextsIgnored: number;
  /** Payloads sent as `{"redacted":"redaction_failed"}`: the `redactPayload` hook threw or returned something unserialisable. */
  readonly redactionFailures: number;
}

/**
 * The tracer's engine room, shared by its spans and instances: turns span and instance lifecycles
 * into sink events, counts everything, and keeps every failure away from user code.
 */
export class Recorder implements SpanOwner {
  // Plain fields: they are bumped on the hot path.
  spansStarted = 0;
  spansEnded = 0;
  instancesStarted = 0;
  instancesFinished = 0;
  payloadValidationFailures = 0;
  serializationFailures = 0;
  payloadsTruncated = 0;
  spansSkippedStackDepth = 0;
  spansAfterInstanceFinished = 0;
  spansCancelledAtShutdown = 0;
  instancesCancelledAtShutdown = 0;
  telemetryErrors = 0;
  instancesSampledOut = 0;
  instancesKeptForErrors = 0;
  instancesHoldOverflowed = 0;
  remoteContextsContinued = 0;
  remoteContextsIgnored = 0;
  /** Spans dropped because they started or ended after shutdown. */
  droppedAfterShutdown = 0;
  readonly sink: SpanSink;
  readonly logger: Logger;
  readonly #options: ResolvedTracerOptions;
  readonly #validate: number;
  /** The storage partition of every id this tracer makes: the agent's, when its id has one. */
  readonly #partition: number;
  /** Instances registered and not finished, by id: the killswitch looks them up. */
  readonly #live = new Map<string, Instance>();
  /** Spans started and not ended: shutdown ends them (see cancelUnendedAtShutdown). */
  readonly #openSpans = new OpenSpans();
  readonly #instanceOwner = { instanceFinished: (instance: Instance, status: FinishStatus) => this.#instanceFinished(instance, status) };
  /** Instances continued from another process and still running here, by id (the killswitch). */
  readonly #remote = new Map<string, Set<Instance>>();
  readonly #remoteOwner = { instanceFinished: (instance: Instance) => this.#remoteFinished(instance) };
  readonly #holdOwner = {
    kept: () => void this.instancesKeptForErrors++,
    overflowed: (instanceId: string) => {
      this.instancesHoldOverflowed++;
      safeLog(this.logger, 'warn', `Agent instance ${instanceId} (not sampled) held 1000 events before any span failed: they are let go and it is not sent`);
    },
  };
  readonly #ignoredReasons = new Set<IgnoredReason>();
  readonly #redactor: Redactor;
  readonly #serializer: PayloadSerializer;
  /** Span types whose truncation was logged: once per type (bounded). */
  readonly #truncationLogged = new Set<string>();
  #defaultInstance: Instance | undefined;
  #schemaVersion: AgentSchemaVersionForRegister | undefined;
  /** Names of the span types in `spanTypes`; a typed span of another type is warned about once per name. */
  readonly #registeredTypes: Set<string>;

  constructor(options: ResolvedTracerOptions, sink: SpanSink) {
    this.#options = options;
    this.sink = sink;
    this.logger = options.logger;
    this.#validate = options.validatePayloads === 'off' ? VALIDATE_OFF : options.validatePayloads === 'warn' ? VALIDATE_WARN : VALIDATE_THROW;
    this.#redactor = new Redactor(options.redaction.redact, options.redaction.redactPayload, options.logger);
    this.#serializer = new PayloadSerializer(options.maxPayloadBytes);
    this.#partition = isPrefactorId(options.agentId) ? partitionOf(options.agentId) : randomPartition();
    this.#registeredTypes = new Set(options.spanTypes.map((type) => type.name));
    this.#call('setTerminateHandler', () => sink.setTerminateHandler?.((instanceId, reason) => this.terminate(instanceId, reason)));
  }

  /** A typed span whose type is not in `spanTypes`: said once per type name. */
  #unregistered(name: string): void {
    this.#registeredTypes.add(name);
    safeLog(
      this.logger,
      'warn',
      `Span type "${name}" is used but is not in the Tracer's \`spanTypes\`: its schema is not registered with the API. Add it to \`spanTypes\`.`,
      { spanType: name },
    );
  }

  /** Registers and starts a new instance, unless sampling says otherwise. */
  startInstance(id: string | undefined, purpose: string | undefined): Instance {
    const instanceId = id ?? generateId(this.#partition);
    let mode: InstanceMode | undefined;
    if (!this.#sampled(instanceId, purpose)) {
      this.instancesSampledOut++;
      if (!this.#options.sampling.sampleErrors) return new Instance(undefined, instanceId, SAMPLED_OUT);
      mode = new InstanceHold(this.sink, this.#holdOwner, instanceId).mode;
    }
    const instance = new Instance(this.#instanceOwner, instanceId, mode);
    const sink = mode?.sink ?? this.sink;
    this.#live.set(instance.id, instance);
    this.instancesStarted++;
    this.#call('registerInstance', () =>
      sink.registerInstance({
        id: instance.id,
        agentId: this.#options.agentId,
        agentVersion: this.#options.agentVersion,
        agentSchemaVersion: this.#agentSchemaVersion(),
        environmentId: this.#options.environmentId,
        purpose,
      }),
    );
    this.#call('startInstance', () => sink.startInstance(instance.id, isoTime(Date.now())));
    return instance;
  }

  /** Whether an instance is recorded: `sampler` when given (`sampleRate` if it throws), else `sampleRate`. */
  #sampled(instanceId: string, purpose: string | undefined): boolean {
    const { sampler, sampleRate } = this.#options.sampling;
    if (sampler !== undefined) {
      try {
        return sampler({ instanceId, purpose }) === true;
      } catch (error) {
        this.failed('the sampler', error);
      }
    }
    return inSampleRate(instanceId, sampleRate);
  }

  /**
   * The instance of a remote context (`continueFrom`): its spans are sent under the caller's
   * instance, which this side never registers, starts or finishes.
   */
  continueInstance(context: RemoteContext): Instance {
    this.remoteContextsContinued++;
    const instance = new Instance(this.#remoteOwner, context.instanceId, context.sampled ? REMOTE : REMOTE_SAMPLED_OUT);
    let running = this.#remote.get(instance.id);
    if (running === undefined) this.#remote.set(instance.id, (running = new Set()));
    running.add(instance);
    return instance;
  }

  /** `continueFrom` found no usable context: counted and warned about once per reason, unless absent. */
  contextIgnored(reason: IgnoredReason): void {
    if (reason === 'absent') return;
    this.remoteContextsIgnored++;
    if (this.#ignoredReasons.has(reason)) return;
    this.#ignoredReasons.add(reason);
    safeLog(this.logger, 'warn', `Ignored a ${reason} prefactor-context header: the request is traced on its own (counted in remoteContextsIgnored)`);
  }

  #remoteFinished(instance: Instance): void {
    const running = this.#remote.get(instance.id);
    running?.delete(instance);
    if (running?.size === 0) this.#remote.delete(instance.id);
  }

  /** The instance of spans started outside any instance: registered on first use. */
  defaultInstance(): Instance {
    return (this.#defaultInstance ??= this.startInstance(undefined, undefined));
  }

  /** Finishes the default instance (at shutdown); its spans still open are dropped when they end. */
  finishDefaultInstance(): void {
    if (this.#defaultInstance !== undefined) finishInstance(this.#defaultInstance, 'complete');
  }

  /**
   * At shutdown, before the default instance finishes: every span still open is ended `cancelled`
   * with `{reason: 'shutdown'}` (latest first), and every instance with work still open (its
   * callback not settled, or a span open; the default instance when a span of it is open) is
   * finished `cancelled`. Counted, and said once at warn level.
   */
  cancelUnendedAtShutdown(): void {
    const instances = new Set<Instance>();
    for (const instance of this.#live.values()) if (instance !== this.#defaultInstance) instances.add(instance);
    const open = openSpansNewestFirst(this.#openSpans);
    for (const { instance } of open) instances.add(instance as Instance);
    if (instances.size === 0) return;
    for (const instance of instances) cancelInstanceAtShutdown(instance);
    let spanCount = 0;
    for (const { span } of open) if (cancelSpanAtShutdown(span)) spanCount++;
    // Instances with no span open (a callback that never settled), and those with spans beyond
    // MAX_TRACKED_OPEN_SPANS, not remembered: they finish here.
    for (const instance of instances) finishInstance(instance, 'cancelled');
    this.spansCancelledAtShutdown += spanCount;
    this.instancesCancelledAtShutdown += instances.size;
    safeLog(
      this.logger,
      'warn',
      `At shutdown, ${spanCount} span(s) had not ended in ${instances.size} agent instance(s); they were ended as cancelled (result {"reason":"shutdown"}). ` +
        'Likely a callback whose promise never settled, or a stream or iterator returned from withSpan that was never fully read; ' +
        'counted in stats().spansCancelledAtShutdown and instancesCancelledAtShutdown',
      { spans: spanCount, instances: instances.size },
    );
  }

  /**
   * Opens a span: validates and snapshots the payload, tells the sink. `undefined` when the
   * instance has already finished (the caller runs `fn` untraced). Throws only a
   * `PayloadValidationError`, with `validatePayloads: 'throw'`, or when something fails after the
   * instance counted the span (it is uncounted first, so the instance can still finish).
   * `startedAtMs` (an integer) is given by bridges (src/tracing/bridge.ts) for spans that started
   * elsewhere; else now.
   */
  startSpan(
    type: SpanType | undefined,
    name: string,
    payload: unknown,
    instance: Instance,
    parentId: string | undefined,
    startedAtMs?: number,
  ): Span | undefined {
    if (type !== undefined && !this.#registeredTypes.has(name)) this.#unregistered(name);
    const mode = instance.mode;
    if (mode !== undefined && mode.recordsNothing) return undefined;
    if (this.#validate !== VALIDATE_OFF && type?.params !== undefined && type.validate !== false) this.#checkParams(type, payload);
    if (!instanceSpanOpened(instance)) {
      this.spansAfterInstanceFinished++;
      safeLog(this.logger, 'warn', 'A span started after its agent instance finished; it runs untraced', { spanType: name, instanceId: instance.id });
      return undefined;
    }
    try {
      const payloadJson = this.#snapshot(payload, type, name, 'payload');
      const now = startedAtMs ?? Date.now();
      const id = generateId(this.#partition, now);
      const instanceId = instance.id;
      const event = { id, instanceId, parentId, schemaName: name, payloadJson, startedAt: isoTime(now), remote: mode !== undefined && mode.remote };
      const span = new Span(this, id, instanceId, instance, parentId, name, type);
      // The bound's other side (100,000 spans left open) is too slow a test for its one branch.
      /* c8 ignore next */
      if (this.#openSpans.size < MAX_TRACKED_OPEN_SPANS) trackOpenSpan(this.#openSpans, span);
      // Nothing below throws: once the sink is told of the span, it is returned, so it will be ended
      // (at the bottom of a recursion, the stack may run out above, before anything was recorded).
      this.spansStarted++;
      try {
        const sink = mode === undefined ? this.sink : (mode.sink ?? this.sink);
        sink.spanStarted(event);
      } catch (error) {
        this.failed('the sink\'s spanStarted()', error);
      }
      return span;
    } catch (error) {
      instanceSpanClosed(instance);
      throw error;
    }
  }

  /**
   * Ends a span: always tells the sink (a result that cannot be handled is replaced by a
   * placeholder) and always uncounts the span from its instance, whatever fails. `finishedAtMs` is
   * given by bridges for spans that ended elsewhere; else now.
   *
   * Called from the user's stack (`span.cancel()`, a synchronous `fn` returning), it may run out of
   * stack at the very bottom of a recursion. If that happens before the sink is told, the whole end
   * is done again later with stack to spare (deferred.ts), with the same end time; `retried`
   * marks that second attempt, after which a failure is reported like any other.
   */
  endSpan(
    span: Span,
    instance: unknown,
    type: SpanType | undefined,
    status: FinishStatus,
    result: unknown,
    isError: boolean,
    finishedAtMs?: number,
    retried = false,
  ): void {
    if (deferredWork.length !== 0) retryDeferred(); // ends left at the bottom of the stack, now shallower
    untrackOpenSpan(span);
    if (isInstanceFinished(instance as Instance)) {
      // The default instance was finished by shutdown() while this span was open.
      this.droppedAfterShutdown++;
      return;
    }
    const endedAtMs = finishedAtMs ?? Date.now();
    let told = false;
    try {
      let resultJson: string | undefined;
      if (result !== undefined) {
        if (!isError && this.#validate !== VALIDATE_OFF && type?.result !== undefined && type.validate !== false) result = this.#parseResult(type, result);
        resultJson = this.#snapshot(result, type, span.name, 'result');
      }
      const mode = (instance as Instance).mode;
      const sink = mode === undefined ? this.sink : (mode.sink ?? this.sink);
      const event = { id: span.id, instanceId: span.instanceId, status, resultPayloadJson: resultJson, finishedAt: isoTime(endedAtMs) };
      told = true;
      this.spansEnded++;
      sink.spanEnded(event);
    } catch (error) {
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore next 5 */
      if (!told && !retried && error instanceof RangeError) {
        // Nothing recorded yet (untracking is idempotent): done again once there is stack to spare.
        deferredWork.push(() => this.endSpan(span, instance, type, status, result, isError, endedAtMs, true));
        return;
      }
      this.#failedAfterEnd(error);
    }
    // The end is recorded: from here on nothing may throw, or the caller would record it twice.
    try {
      instanceSpanClosed(instance as Instance);
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore next 4 */
    } catch (error) {
      this.#failedAfterEnd(error);
      deferredWork.push(() => instanceSpanClosed(instance as Instance));
    }
  }

  /** `failed()` once a span's end is recorded: never throws, even out of stack (the count alone then). */
  #failedAfterEnd(error: unknown): void {
    try {
      this.failed('ending a span', error);
      // Out of stack at this very call only (see deferred.ts on coverage).
      /* c8 ignore next 3 */
    } catch {
      this.telemetryErrors++; // calling failed() overflowed: counted here (twice at worst, never lost)
    }
  }

  misuse(message: string, details: Record<string, unknown>): void {
    safeLog(this.logger, 'warn', message, details);
  }

  /** The killswitch: aborts the instance's signal and calls `onTerminate`, once per instance. */
  terminate(instanceId: string, reason: string): void {
    // Every object of the instance here: the local one, or one per `continueFrom` still running.
    const live = this.#live.get(instanceId);
    let aborted = live !== undefined && terminateInstance(live, reason);
    for (const remote of this.#remote.get(instanceId) ?? []) if (terminateInstance(remote, reason)) aborted = true;
    if (!aborted) return;
    safeLog(this.logger, 'info', `Agent instance ${instanceId} was terminated through Prefactor: ${reason}`);
    const onTerminate = this.#options.onTerminate;
    if (onTerminate !== undefined) this.#call('onTerminate', () => onTerminate(instanceId, reason));
  }

  /** Counts and logs a failure that telemetry keeps away from user code. */
  failed(where: string, error: unknown): void {
    this.telemetryErrors++;
    safeLog(this.logger, 'error', `prefactor-trace failed in ${where}; tracing goes on: ${errorText(error)}`);
  }

  counters(): TracerCounters {
    return {
      spansStarted: this.spansStarted,
      spansEnded: this.spansEnded,
      instancesStarted: this.instancesStarted,
      instancesFinished: this.instancesFinished,
      payloadValidationFailures: this.payloadValidationFailures,
      serializationFailures: this.serializationFailures,
      payloadsTruncated: this.payloadsTruncated,
      spansSkippedStackDepth: this.spansSkippedStackDepth,
      spansAfterInstanceFinished: this.spansAfterInstanceFinished,
      spansCancelledAtShutdown: this.spansCancelledAtShutdown,
      instancesCancelledAtShutdown: this.instancesCancelledAtShutdown,
      telemetryErrors: this.telemetryErrors,
      instancesSampledOut: this.instancesSampledOut,
      instancesKeptForErrors: this.instancesKeptForErrors,
      instancesHoldOverflowed: this.instancesHoldOverflowed,
      remoteContextsContinued: this.remoteContextsContinued,
      remoteContextsIgnored: this.remoteContextsIgnored,
      redactionFailures: this.#redactor.failures,
    };
  }

  #instanceFinished(instance: Instance, status: FinishStatus): void {
    this.#live.delete(instance.id);
    this.instancesFinished++;
    const sink = instance.mode?.sink ?? this.sink;
    this.#call('finishInstance', () => sink.finishInstance(instance.id, status, isoTime(Date.now())));
  }

  #checkParams(type: SpanType, payload: unknown): void {
    let issues: string;
    try {
      const parsed = type.params!.safeParse(payload);
      if (parsed.success) return;
      if (this.#validate === VALIDATE_THROW) throw new PayloadValidationError(type.name, parsed.error.issues);
      issues = describeIssues(parsed.error.issues);
    } catch (error) {
      if (error instanceof PayloadValidationError) {
        this.payloadValidationFailures++;
        throw error;
      }
      issues = `the schema threw: ${errorText(error)}`;
    }
    this.payloadValidationFailures++;
    safeLog(this.logger, 'warn', `The payload of span type "${type.name}" does not match its params schema; it is sent as is`, { issues });
  }

  /** The result as the result schema parses it; the raw result (reported) when it does not match. */
  #parseResult(type: SpanType, result: unknown): unknown {
    let issues: string;
    try {
      const parsed = type.result!.safeParse(result);
      if (parsed.success) return parsed.data;
      issues = describeIssues(parsed.error.issues);
    } catch (error) {
      issues = `the schema threw: ${errorText(error)}`;
    }
    this.payloadValidationFailures++;
    safeLog(
      this.logger,
      this.#validate === VALIDATE_THROW ? 'error' : 'warn',
      `The result of span type "${type.name}" does not match its result schema; it is sent as is`,
      { issues },
    );
    return result;
  }

  /** The JSON text sent for a payload or result of span type `name`: serialised under the budget, then redacted. */
  #snapshot(value: unknown, type: SpanType | undefined, name: string, kind: 'payload' | 'result'): string {
    const redactor = this.#redactor;
    const policy = redactor.policy(type);
    if (kind === 'payload' ? policy.noPayload : policy.noResult) return NO_CONTENT_JSON;
    const json = this.#serialize(value, name, policy.rules?.watch);
    return redactor.apply(json, this.#serializer.lastKeys, value, policy, name, kind);
  }

  /** The payload's JSON text under the budget; counts and reports what could not be read or was cut. */
  #serialize(value: unknown, name: string, watch: KeyWatch | undefined): string {
    const serializer = this.#serializer;
    const json = serializer.serialize(value, watch);
    if (serializer.lastFailed) {
      this.serializationFailures++;
      safeLog(this.logger, 'warn', `Part of a payload of span type "${name}" could not be read (a getter, toJSON or Proxy threw); a marker is sent in its place`);
    }
    if (serializer.lastTruncated) {
      this.payloadsTruncated++;
      if (this.#truncationLogged.size < 1000 && !this.#truncationLogged.has(name)) {
        this.#truncationLogged.add(name);
        safeLog(
          this.logger,
          'warn',
          `A payload of span type "${name}" is larger than maxPayloadBytes (${serializer.maxBytes}); it is sent cut, marked with _prefactor_truncated (said once per span type, counted in stats().payloadsTruncated)`,
        );
      }
    }
    return json;
  }

  #agentSchemaVersion(): AgentSchemaVersionForRegister {
    if (this.#schemaVersion === undefined) {
      const schemas = this.#options.spanTypes.map((type) => type.schemaEntry());
      const digest = createHash('sha256').update(JSON.stringify(schemas)).digest('hex').slice(0, 16);
      this.#schemaVersion = { external_identifier: `schema-${digest}`, span_type_schemas: schemas };
    }
    return this.#schemaVersion;
  }

  /** Runs an internal step (a sink call, a user callback), counting and logging a throw. */
  #call(what: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.failed(what, error);
    }
  }
}
