/**
 * The five operations the engine delivers, and how each becomes a bulk item or a single request.
 * Bodies are built by string concatenation around the JSON text the tracer serialised once, so a
 * payload is never parsed or serialised again on the send path.
 */

import { BULK_TYPE, PATHS } from '../models/routes.js';

export const REGISTER = 0;
export const START = 1;
export const INSTANCE_FINISH = 2;
export const CREATE = 3;
export const SPAN_FINISH = 4;
export type OperationKind = typeof REGISTER | typeof START | typeof INSTANCE_FINISH | typeof CREATE | typeof SPAN_FINISH;

/** The bulk `_type` of each kind. */
export const BULK_TYPES = [
  BULK_TYPE.registerAgentInstance,
  BULK_TYPE.startAgentInstance,
  BULK_TYPE.finishAgentInstance,
  BULK_TYPE.createAgentSpan,
  BULK_TYPE.finishAgentSpan,
] as const;

export const QUEUED = 0;
export const IN_FLIGHT = 1;
export const DONE = 2;
export const DROPPED = 3;
type OperationState = typeof QUEUED | typeof IN_FLIGHT | typeof DONE | typeof DROPPED;

/** What the outbox knows of an agent instance while it has operations held. */
export class InstanceState {
  /** The instance's register or start, whichever came last, until it is confirmed. */
  head: Operation | undefined;
  /** Operations of this instance held now, its own finish excepted. */
  held = 0;
  /** Its register was dropped: everything of the instance is dropped as a dependant. */
  dropped = false;
  /** Batch assembly: `inBatch` counts this instance's operations in batch number `stamp`. */
  stamp = 0;
  inBatch = 0;
}

/**
 * One operation. Fields are reused across kinds (one object shape keeps the hot path monomorphic);
 * text fields are cleared once the operation is resolved, so payloads are not kept alive.
 */
export class Operation {
  kind: OperationKind;
  /**
   * Idempotency key: given once, when the operation is first taken for sending (off the user's hot
   * path), and kept on every attempt after.
   */
  key = '';
  /** Enqueue order; flush waiters compare against it. */
  readonly seq: number;
  state: OperationState = QUEUED;
  /** Operations this one stands for: 2 for a create carrying its span's finish. */
  weight = 1;
  /** Serialised bytes counted against `maxQueueBytes`. */
  bytes = 0;
  attempts = 0;
  /** The batch number it was last taken into. */
  stamp = 0;
  /** Sent on its own (its bulk request was refused as a whole). */
  isolate = false;
  /** A create of a span continued from another process: may wait for its instance or parent (see `deferRemote`). */
  remote = false;
  /** Not taken before this time (ms since the epoch): a remote create whose parent is not there yet. */
  notBefore = 0;
  /** When the API first answered that the parent of this remote create is not there yet (0: never). */
  firstMissingAt = 0;
  /** The operation that must be confirmed (or earlier in the same batch) before this one leaves. */
  dep: Operation | undefined;
  /** The instance whose `held` count includes this operation. */
  instance: InstanceState | undefined;
  /** Outbox list links (enqueue order). */
  prev: Operation | undefined;
  next: Operation | undefined;
  /** Span id (span operations) or instance id (instance operations). */
  id: string;
  instanceId: string;
  parentId: string | undefined;
  schemaName = '';
  /** Span payload JSON, or the register body's fields as a JSON object. */
  payload = '';
  /** started_at of a create, timestamp of the others. */
  timestamp: string;
  status: string | undefined;
  finishedAt: string | undefined;
  result: string | undefined;

  constructor(kind: OperationKind, seq: number, id: string, instanceId: string, timestamp: string) {
    this.kind = kind;
    this.seq = seq;
    this.id = id;
    this.instanceId = instanceId;
    this.parentId = undefined;
    this.timestamp = timestamp;
    this.status = undefined;
    this.finishedAt = undefined;
    this.result = undefined;
    this.dep = undefined;
    this.instance = undefined;
    this.prev = undefined;
    this.next = undefined;
  }

  /** Lets go of the texts once the operation is confirmed or dropped. */
  release(): void {
    this.payload = '';
    this.result = undefined;
    this.schemaName = '';
    this.dep = undefined;
  }
}

/** Text that JSON writes as is between quotes (no quote, backslash or control character). */
const PLAIN = /^[^"\\\u0000-\u001f]*$/;

/** `text` as a JSON string: quoted as is when plain (ids, timestamps, statuses), else escaped. */
const q = (text: string | undefined): string => (text !== undefined && PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/** `{` + `head` + the members of the JSON object text `object` + `}`. */
function merge(head: string, object: string): string {
  return object.length > 2 ? `{${head},${object.slice(1)}` : `{${head}}`;
}

function spanDetails(op: Operation): string {
  let text = `{"id":${q(op.id)},"agent_instance_id":${q(op.instanceId)}`;
  if (op.parentId !== undefined) text += `,"parent_span_id":${q(op.parentId)}`;
  text += `,"schema_name":${q(op.schemaName)},"status":${q(op.status ?? 'active')},"payload":${op.payload},"started_at":${q(op.timestamp)}`;
  if (op.finishedAt !== undefined) text += `,"finished_at":${q(op.finishedAt)}`;
  if (op.result !== undefined) text += `,"result_payload":${op.result}`;
  return `${text}}`;
}

/** The body's fields after `idempotency_key`, shared by bulk items and single requests. */
function fields(op: Operation): string {
  switch (op.kind) {
    case START:
      return `"timestamp":${q(op.timestamp)}`;
    case INSTANCE_FINISH:
      return `"status":${q(op.status)},"timestamp":${q(op.timestamp)}`;
    case CREATE:
      return `"details":${spanDetails(op)}`;
    case SPAN_FINISH:
      return op.result === undefined
        ? `"status":${q(op.status)},"timestamp":${q(op.timestamp)}`
        : `"status":${q(op.status)},"result_payload":${op.result},"timestamp":${q(op.timestamp)}`;
    /* c8 ignore next 2 */
    default:
      return '';
  }
}

/** The operation as a bulk item: `{_type, idempotency_key, ...params}`. */
export function bulkItem(op: Operation): string {
  const head = `"_type":"${BULK_TYPES[op.kind]}","idempotency_key":"${op.key}"`;
  switch (op.kind) {
    case REGISTER:
      return merge(head, op.payload);
    case START:
    case INSTANCE_FINISH:
      return `{${head},"agent_instance_id":${q(op.id)},${fields(op)}}`;
    case SPAN_FINISH:
      return `{${head},"agent_span_id":${q(op.id)},${fields(op)}}`;
    default:
      return `{${head},${fields(op)}}`;
  }
}

/** Length of a bulk body around its items: `{"items":[` + `],"idempotency_key":"<21>"}`. */
export const BULK_ENVELOPE_LENGTH = '{"items":[],"idempotency_key":""}'.length + 21;

/** The operation as a single request: its path under `/api/v1` and its body. */
export function singleRequest(op: Operation): { path: string; body: string } {
  const head = `"idempotency_key":"${op.key}"`;
  const id = encodeURIComponent(op.id);
  switch (op.kind) {
    case REGISTER:
      return { path: PATHS.registerAgentInstance, body: merge(head, op.payload) };
    case START:
      return { path: PATHS.startAgentInstance(id), body: `{${head},${fields(op)}}` };
    case INSTANCE_FINISH:
      return { path: PATHS.finishAgentInstance(id), body: `{${head},${fields(op)}}` };
    case CREATE:
      return { path: PATHS.agentSpans, body: `{${head},${fields(op)}}` };
    default:
      return { path: PATHS.finishAgentSpan(id), body: `{${head},${fields(op)}}` };
  }
}
