import { createHash } from 'node:crypto';
import { generateId, isPrefactorId, partitionOf, randomPartition } from '../util/ids.js';
import { Instance, finishInstance, isInstanceFinished, instanceSpanClosed, instanceSpanOpened, terminateInstance } from './instance.js';
import { safeLog, type Logger } from '../util/logger.js';
import type { AgentSchemaVersionForRegister, FinishStatus } from '../models/index.js';
import { PayloadSerializer } from './serialize.js';
import type { SpanSink } from '../sinks/span-sink.js';
import { PayloadValidationError, type SpanType } from './span-types.js';
import { describeIssues } from '../util/zod-issues.js';
import { errorText } from '../util/error-text.js';
import { Span, isoTime, type SpanOwner } from './span.js';
import type { ResolvedTracerOptions } from './tracer-options.js';

const VALIDATE_OFF = 0;
const VALIDATE_WARN = 1;
const VALIDATE_THROW = 2;

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
  /** Failures inside the tracer or thrown by the sink, the logger or `onTerminate`, each logged. */
  readonly telemetryErrors: number;
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
  telemetryErrors = 0;
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
  readonly #instanceOwner = { instanceFinished: (instance: Instance, status: FinishStatus) => this.#instanceFinished(instance, status) };
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

  /** Registers and starts a new instance. */
  startInstance(id: string | undefined, purpose: string | undefined): Instance {
    const instance = new Instance(this.#instanceOwner, id ?? generateId(this.#partition));
    this.#live.set(instance.id, instance);
    this.instancesStarted++;
    this.#call('registerInstance', () =>
      this.sink.registerInstance({
        id: instance.id,
        agentId: this.#options.agentId,
        agentVersion: this.#options.agentVersion,
        agentSchemaVersion: this.#agentSchemaVersion(),
        environmentId: this.#options.environmentId,
        purpose,
      }),
    );
    this.#call('startInstance', () => this.sink.startInstance(instance.id, isoTime(Date.now())));
    return instance;
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
    if (this.#validate !== VALIDATE_OFF && type?.params !== undefined) this.#checkParams(type, payload);
    if (!instanceSpanOpened(instance)) {
      this.spansAfterInstanceFinished++;
      safeLog(this.logger, 'warn', 'A span started after its agent instance finished; it runs untraced', { spanType: name, instanceId: instance.id });
      return undefined;
    }
    try {
      const payloadJson = this.#serialize(payload, name);
      const now = startedAtMs ?? Date.now();
      const id = generateId(this.#partition, now);
      const instanceId = instance.id;
      this.spansStarted++;
      try {
        this.sink.spanStarted({ id, instanceId, parentId, schemaName: name, payloadJson, startedAt: isoTime(now) });
      } catch (error) {
        this.failed('the sink\'s spanStarted()', error);
      }
      return new Span(this, id, instanceId, instance, parentId, name, type);
    } catch (error) {
      instanceSpanClosed(instance);
      throw error;
    }
  }

  /**
   * Ends a span: always tells the sink (a result that cannot be handled is replaced by a
   * placeholder) and always uncounts the span from its instance, whatever fails. `finishedAtMs` is
   * given by bridges for spans that ended elsewhere; else now.
   */
  endSpan(
    span: Span,
    instance: unknown,
    type: SpanType | undefined,
    status: FinishStatus,
    result: unknown,
    isError: boolean,
    finishedAtMs?: number,
  ): void {
    if (isInstanceFinished(instance as Instance)) {
      // The default instance was finished by shutdown() while this span was open.
      this.droppedAfterShutdown++;
      return;
    }
    try {
      let resultJson: string | undefined;
      if (result !== undefined) {
        if (!isError && this.#validate !== VALIDATE_OFF && type?.result !== undefined) result = this.#parseResult(type, result);
        resultJson = this.#serialize(result, span.name);
      }
      this.spansEnded++;
      this.sink.spanEnded({ id: span.id, instanceId: span.instanceId, status, resultPayloadJson: resultJson, finishedAt: isoTime(finishedAtMs ?? Date.now()) });
    } catch (error) {
      this.failed('ending a span', error);
    } finally {
      instanceSpanClosed(instance as Instance);
    }
  }

  misuse(message: string, details: Record<string, unknown>): void {
    safeLog(this.logger, 'warn', message, details);
  }

  /** The killswitch: aborts the instance's signal and calls `onTerminate`, once per instance. */
  terminate(instanceId: string, reason: string): void {
    const instance = this.#live.get(instanceId);
    if (instance === undefined || !terminateInstance(instance, reason)) return;
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
      telemetryErrors: this.telemetryErrors,
    };
  }

  #instanceFinished(instance: Instance, status: FinishStatus): void {
    this.#live.delete(instance.id);
    this.instancesFinished++;
    this.#call('finishInstance', () => this.sink.finishInstance(instance.id, status, isoTime(Date.now())));
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

  /** The payload's JSON text under the budget; counts and reports what could not be read or was cut. */
  #serialize(value: unknown, name: string): string {
    const serializer = this.#serializer;
    const json = serializer.serialize(value);
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
