import { generateId, isPrefactorId, partitionOf } from '../util/ids.js';
import type { AgentInstance, AgentInstanceSpanCounts, AgentSpan, FinishStatus } from '../models/index.js';
import type { Journal, JournalEntry } from './journal.js';
import { countSpan, emptyCounts, FINISHED, hashInput, LOCAL_ACCOUNT_ID, nowIso } from './records.js';
import type { IdempotencyRecord, InstanceRecord, RegisterInput, SpanInput, StoredResponse, TokenScope } from './records.js';
import { failure, success } from './responses.js';
import type { Outcome } from './responses.js';

/** Told about each span created or finished. */
export type SpanListener = (span: AgentSpan, change: 'created' | 'finished') => void;

/**
 * The server's state: instances, spans (per instance in creation order), span counts, idempotency
 * records. Records are never mutated: a change stores a new object, so a response or an event holding
 * one is a snapshot.
 */
export class Store {
  #instances = new Map<string, InstanceRecord>();
  /** Instance ids in registration order. */
  #instanceOrder: string[] = [];
  #counts = new Map<string, AgentInstanceSpanCounts>();
  #spans = new Map<string, AgentSpan>();
  /** Span ids of each instance, in creation order. */
  #spansOf = new Map<string, string[]>();
  /** Per route, then per key: the validated input (to tell a replay from a conflict) and the response. */
  #idempotency = new Map<string, Map<string, IdempotencyRecord>>();
  /** Agent version ids by agent id and version identity. */
  #versions = new Map<string, string>();
  /** Deployment ids of agents other than the token's, by agent id (rebuilt from instances on replay). */
  #deployments = new Map<string, string>();
  /** Terminations asked for before the instance was registered. */
  #pendingTerminations = new Map<string, string>();
  #journal: Journal | undefined;
  #onSpan: SpanListener | undefined;

  /** `journal` receives every change; `onSpan` is called with each span created or finished. */
  constructor(journal?: Journal, onSpan?: SpanListener) {
    this.#journal = journal;
    this.#onSpan = onSpan;
  }

  /** Journals every change from now on (after a replay). */
  attachJournal(journal: Journal): void {
    this.#journal = journal;
  }

  /** Writes the changes of the current request to the journal. */
  flush(): void {
    this.#journal?.flush();
  }

  /** Applies one journal entry (a restart, `replayJournal`); nothing is journaled again. */
  replay(entry: JournalEntry): void {
    if (entry.k === 'r') {
      // The older journal format: the record on a line of its own, with its input and answer.
      const [route, key] = splitRecordId(entry.id);
      this.#routeRecords(route).set(key, { hash: hashInput(entry.input), res: entry.res });
      return;
    }
    let details: unknown;
    if (entry.k === 'i') {
      this.#putInstance(entry.v);
      details = entry.r === undefined ? undefined : this.instance(entry.v.id);
    } else {
      const previous = this.#spans.get(entry.v.id);
      this.#putSpan(entry.v);
      const counts = this.#counts.get(entry.v.agent_instance_id);
      if (counts) {
        if (previous) countSpan(counts, previous.status, -1);
        else counts.total++;
        countSpan(counts, entry.v.status, 1);
      }
      details = entry.v;
    }
    if (entry.r !== undefined && entry.h !== undefined) {
      const [route, key] = splitRecordId(entry.r);
      const res: StoredResponse = { status: 'success', details };
      if (entry.c !== undefined) res.control = { terminate: true, reason: entry.c };
      this.#routeRecords(route).set(key, { hash: entry.h, res });
    }
  }

  #putInstance(instance: InstanceRecord): void {
    if (instance.agent_deployment_id !== undefined && !this.#deployments.has(instance.agent_id)) {
      this.#deployments.set(instance.agent_id, instance.agent_deployment_id);
    }
    if (!this.#instances.has(instance.id)) {
      this.#instanceOrder.push(instance.id);
      this.#counts.set(instance.id, emptyCounts());
      this.#spansOf.set(instance.id, []);
    }
    this.#instances.set(instance.id, instance);
  }

  #putSpan(span: AgentSpan): void {
    if (!this.#spans.has(span.id)) this.#spansOf.get(span.agent_instance_id)?.push(span.id);
    this.#spans.set(span.id, span);
  }

  #routeRecords(route: string): Map<string, IdempotencyRecord> {
    let records = this.#idempotency.get(route);
    if (!records) this.#idempotency.set(route, (records = new Map()));
    return records;
  }

  /** The stored response of an idempotency key on a route, if any. */
  recall(route: string, key: string): IdempotencyRecord | undefined {
    return this.#idempotency.get(route)?.get(key);
  }

  /**
   * Stores the success `outcome` of `key` on `route`, with the input it answered (its hash, when
   * journaled). The record is journaled on the line of the change the outcome reports (the last one
   * written).
   */
  remember(route: string, key: string, input: unknown, outcome: Outcome): void {
    const res = outcome.body as StoredResponse;
    if (!this.#journal) {
      // In memory, the input itself is kept (it shares its payload with the stored span): no hashing.
      this.#routeRecords(route).set(key, { input, res });
      return;
    }
    const hash = hashInput(input);
    this.#routeRecords(route).set(key, { hash, res });
    const control = res.control?.reason;
    this.#journal.amendLast(`"r":${JSON.stringify(`${route} ${key}`)},"h":"${hash}"${typeof control === 'string' ? `,"c":${JSON.stringify(control)}` : ''}`);
  }

  /** An instance with its current span counts. */
  instance(id: string): AgentInstance | undefined {
    const record = this.#instances.get(id);
    return record && { ...record, span_counts: { ...this.#counts.get(id)! } };
  }

  /** All instances, newest first. */
  instances(): AgentInstance[] {
    const list: AgentInstance[] = [];
    for (let index = this.#instanceOrder.length - 1; index >= 0; index--) list.push(this.instance(this.#instanceOrder[index]!)!);
    return list;
  }

  /** The spans of an instance in creation order (`undefined` for an unknown instance). */
  spans(instanceId: string): AgentSpan[] | undefined {
    const ids = this.#spansOf.get(instanceId);
    return ids?.map((id) => this.#spans.get(id)!);
  }

  /**
   * Registers an instance for `input.agent_id`, else for the token's agent (`scope`). A
   * deployment-scoped token naming another agent is 403 `forbidden`.
   */
  register(input: RegisterInput, scope: TokenScope): Outcome {
    const agentId = input.agent_id ?? scope.agentId;
    if (scope.deploymentScoped && agentId !== scope.agentId) {
      return failure(
        403,
        'forbidden',
        `This token belongs to agent ${scope.agentId} (deployment ${scope.agentDeploymentId}), not ${agentId}: omit agent_id, or use a token of that agent`,
      );
    }
    if (input.id && this.#instances.has(input.id)) {
      return failure(409, 'already_exists', `Agent instance ${input.id} already exists: register it once, or use a new id`);
    }
    const partition = partitionFrom(agentId);
    const version = input.agent_version ?? {};
    const versionKey = `${agentId}\u0000${version.external_identifier ?? version.name ?? ''}`;
    let versionId = this.#versions.get(versionKey);
    if (versionId === undefined) {
      versionId = generateId(partition);
      this.#versions.set(versionKey, versionId);
    }
    const now = nowIso();
    const instance: InstanceRecord = {
      type: 'agent_instance',
      id: input.id ?? generateId(partition),
      account_id: LOCAL_ACCOUNT_ID,
      agent_id: agentId,
      agent_version_id: versionId,
      environment_id: input.environment_id ?? 'local',
      agent_deployment_id: agentId === scope.agentId ? scope.agentDeploymentId : this.#deploymentOf(agentId, partition),
      status: 'pending',
      inserted_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
    };
    this.#saveInstance(instance);
    const reason = this.#pendingTerminations.get(instance.id);
    if (reason !== undefined) {
      this.#pendingTerminations.delete(instance.id);
      this.terminate(instance.id, reason);
    }
    return success(this.instance(instance.id));
  }

  /** The deployment of an agent other than the token's (an account-wide token): one per agent, made on first use. */
  #deploymentOf(agentId: string, partition: number | undefined): string {
    let id = this.#deployments.get(agentId);
    if (id === undefined) {
      id = generateId(partition);
      this.#deployments.set(agentId, id);
    }
    return id;
  }

  /** Sets (or, with `payload: null`, removes) the quality payload `name` of an instance. */
  recordQuality(id: string, name: string, payload: Record<string, unknown> | null): Outcome {
    const instance = this.#instances.get(id);
    if (!instance) return notFound('agent instance', id);
    const { [name]: _previous, ...others } = instance.quality_payloads ?? {};
    const quality_payloads = payload === null ? others : { ...others, [name]: payload };
    this.#saveInstance({ ...instance, quality_payloads, updated_at: nowIso() });
    return success(this.instance(id));
  }

  #saveInstance(instance: InstanceRecord): void {
    this.#putInstance(instance);
    this.#journal?.add(`{"k":"i","v":${JSON.stringify(instance)}}`);
  }

  start(id: string, timestamp: string | null | undefined): Outcome {
    const instance = this.#instances.get(id);
    if (!instance) return notFound('agent instance', id);
    if (instance.status !== 'pending') {
      return failure(409, 'invalid_action', `Agent instance ${id} is ${instance.status}: only a pending instance can be started`);
    }
    const now = nowIso();
    this.#saveInstance({ ...instance, status: 'active', started_at: timestamp ?? now, updated_at: now });
    return success(this.instance(id));
  }

  finishInstance(id: string, status: FinishStatus | null | undefined, timestamp: string | null | undefined): Outcome {
    const instance = this.#instances.get(id);
    if (!instance) return notFound('agent instance', id);
    if (FINISHED.has(instance.status)) {
      return failure(409, 'invalid_action', `Agent instance ${id} is already ${instance.status}: finish it only once`);
    }
    const now = nowIso();
    this.#saveInstance({ ...instance, status: status ?? 'complete', finished_at: timestamp ?? now, updated_at: now });
    return success(this.instance(id));
  }

  /**
   * The killswitch: the instance becomes `cancelled` with `reason` stored (unless it had finished),
   * and every later span response for it carries `control`. An unknown id is remembered and applied
   * when that instance registers. Returns whether the instance exists.
   */
  terminate(id: string, reason: string): boolean {
    const instance = this.#instances.get(id);
    if (!instance) {
      this.#pendingTerminations.set(id, reason);
      return false;
    }
    const now = nowIso();
    const finished = FINISHED.has(instance.status);
    this.#saveInstance({
      ...instance,
      status: finished ? instance.status : 'cancelled',
      finished_at: finished ? instance.finished_at : now,
      updated_at: now,
      termination_reason: reason,
    });
    this.flush();
    return true;
  }

  #control(instanceId: string): { terminate: true; reason: string } | undefined {
    const reason = this.#instances.get(instanceId)?.termination_reason;
    return typeof reason === 'string' ? { terminate: true, reason } : undefined;
  }

  createSpan(input: SpanInput, path: string): Outcome {
    const instance = this.#instances.get(input.agent_instance_id);
    if (!instance) return notFound('agent instance', input.agent_instance_id);
    if (input.parent_span_id && this.#spans.get(input.parent_span_id)?.agent_instance_id !== instance.id) {
      return invalidReference(`${path}.parent_span_id`, `no span ${input.parent_span_id} in agent instance ${instance.id}`);
    }
    if (input.id && this.#spans.has(input.id)) {
      return failure(409, 'already_exists', `Agent span ${input.id} already exists: create it once, or use a new id`);
    }
    const now = nowIso();
    const finished = FINISHED.has(input.status);
    const span: AgentSpan = {
      type: 'agent_span',
      id: input.id ?? generateId(partitionFrom(instance.id)),
      account_id: instance.account_id,
      agent_id: instance.agent_id,
      agent_instance_id: instance.id,
      parent_span_id: input.parent_span_id ?? null,
      schema_name: input.schema_name,
      schema_title: null,
      status: input.status,
      payload: input.payload ?? {},
      result_payload: input.result_payload ?? null,
      summary: null,
      started_at: input.started_at ?? (input.status === 'pending' ? null : now),
      inserted_at: now,
      updated_at: now,
      finished_at: input.finished_at ?? (finished ? now : null),
    };
    const json = JSON.stringify(span);
    this.#putSpan(span);
    this.#journal?.add(`{"k":"s","v":${json}}`);
    const counts = this.#counts.get(instance.id)!;
    counts.total++;
    countSpan(counts, span.status, 1);
    this.#onSpan?.(span, 'created');
    return success(span, this.#control(instance.id), json);
  }

  finishSpan(
    id: string,
    status: FinishStatus | null | undefined,
    resultPayload: Record<string, unknown> | null | undefined,
    timestamp: string | null | undefined,
  ): Outcome {
    const current = this.#spans.get(id);
    if (!current) return notFound('agent span', id);
    if (FINISHED.has(current.status)) {
      return failure(409, 'invalid_action', `Agent span ${id} is already ${current.status}: finish it only once`);
    }
    const now = nowIso();
    const span: AgentSpan = {
      ...current,
      status: status ?? 'complete',
      result_payload: resultPayload ?? current.result_payload ?? null,
      finished_at: timestamp ?? now,
      updated_at: now,
    };
    const json = JSON.stringify(span);
    this.#spans.set(id, span);
    this.#journal?.add(`{"k":"s","v":${json}}`);
    const counts = this.#counts.get(span.agent_instance_id)!;
    countSpan(counts, current.status, -1);
    countSpan(counts, span.status, 1);
    this.#onSpan?.(span, 'finished');
    return success(span, this.#control(span.agent_instance_id), json);
  }
}

/** `<route> <key>` split at the first space (a route has none, a key may). */
function splitRecordId(id: string): [string, string] {
  const space = id.indexOf(' ');
  return [id.slice(0, space), id.slice(space + 1)];
}

/** The partition of an id in the API's format (so related ids land together), else a random one. */
function partitionFrom(id: string): number | undefined {
  return isPrefactorId(id) ? partitionOf(id) : undefined;
}

function notFound(what: string, id: string): Outcome {
  return failure(404, 'not_found', `No ${what} with id ${id}: check the id`);
}

function invalidReference(field: string, message: string): Outcome {
  return failure(422, 'validation_error', `The request is invalid (${field}): ${message}`, { [field]: message });
}
