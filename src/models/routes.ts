/**
 * The API's paths and the bulk `_type` names, in one place for every layer: the endpoint facades
 * (`src/api/`), the delivery engine (`src/delivery/`) and the local server (`src/server/`).
 * Plain constants, no zod: importing them costs nothing.
 */

/** Prefix of every path of the API. */
export const API_BASE = '/api/v1';

/** Paths under `API_BASE` (no leading slash). Ids are URL-encoded by the caller. */
export const PATHS = {
  ping: 'ping',
  agentInstances: 'agent_instance',
  registerAgentInstance: 'agent_instance/register',
  agentInstance: (id: string): string => `agent_instance/${id}`,
  startAgentInstance: (id: string): string => `agent_instance/${id}/start`,
  finishAgentInstance: (id: string): string => `agent_instance/${id}/finish`,
  recordQuality: (id: string): string => `agent_instance/${id}/record_quality`,
  agentSpans: 'agent_spans',
  finishAgentSpan: (id: string): string => `agent_spans/${id}/finish`,
  bulk: 'bulk',
} as const;

/** The absolute path of `path` (one of `PATHS`): `apiPath(PATHS.bulk)` is `/api/v1/bulk`. */
export function apiPath(path: string): string {
  return `${API_BASE}/${path}`;
}

/** The bulk `_type` of each operation. */
export const BULK_TYPE = {
  registerAgentInstance: 'agent_instances/register',
  startAgentInstance: 'agent_instances/start',
  finishAgentInstance: 'agent_instances/finish',
  createAgentSpan: 'agent_spans/create',
  finishAgentSpan: 'agent_spans/finish',
} as const;

/** Every bulk `_type` the API knows. */
export const BULK_ITEM_TYPES = [
  BULK_TYPE.registerAgentInstance,
  BULK_TYPE.startAgentInstance,
  BULK_TYPE.finishAgentInstance,
  BULK_TYPE.createAgentSpan,
  BULK_TYPE.finishAgentSpan,
] as const;
