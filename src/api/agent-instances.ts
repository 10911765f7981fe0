import type { CallOptions, HttpTransport } from '../http/transport.js';
import {
  AgentInstance,
  ApiResponse,
  FinishAgentInstanceRequest,
  RecordQualityRequest,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../models/index.js';
import { apiPath, PATHS } from '../models/routes.js';
import { callOptions, pathId, validateInput } from './validate.js';

const InstanceResponse = ApiResponse(AgentInstance);

/** What `recordQuality()` takes. */
export interface RecordQualityParams {
  /** The quality schema name. */
  readonly name: string;
  /** The quality payload; `null` removes the recorded payload of `name`. */
  readonly payload: Record<string, unknown> | null;
  /** The idempotency key of this call (8 to 64 characters). @default a generated key */
  readonly idempotencyKey?: string;
}
const InstanceListResponse = ApiResponse(AgentInstance.array());

/** The agent instance endpoints (`/api/v1/agent_instance`). */
export class AgentInstancesEndpoint {
  readonly #client: HttpTransport;

  constructor(client: HttpTransport) {
    this.#client = client;
  }

  /** Registers a new agent instance: `POST /api/v1/agent_instance/register` with the flat body. */
  async register(params: RegisterAgentInstanceRequest, options?: CallOptions): Promise<AgentInstance> {
    const body = validateInput(RegisterAgentInstanceRequest, params, 'agentInstances.register()');
    return this.#post(apiPath(PATHS.registerAgentInstance), body, options);
  }

  /** Marks an instance as started: `POST /api/v1/agent_instance/{id}/start`. */
  async start(id: string, params: StartAgentInstanceRequest = {}, options?: CallOptions): Promise<AgentInstance> {
    const path = apiPath(PATHS.startAgentInstance(pathId(id, 'id', 'agentInstances.start()')));
    return this.#post(path, validateInput(StartAgentInstanceRequest, params, 'agentInstances.start()'), options);
  }

  /** Marks an instance as finished: `POST /api/v1/agent_instance/{id}/finish`. */
  async finish(id: string, params: FinishAgentInstanceRequest = {}, options?: CallOptions): Promise<AgentInstance> {
    const path = apiPath(PATHS.finishAgentInstance(pathId(id, 'id', 'agentInstances.finish()')));
    return this.#post(path, validateInput(FinishAgentInstanceRequest, params, 'agentInstances.finish()'), options);
  }

  /**
   * Sets the quality payload `name` of an instance, or removes it with `payload: null` (other names
   * are kept): `POST /api/v1/agent_instance/{id}/record_quality`. Answers the updated instance.
   */
  async recordQuality(id: string, params: RecordQualityParams, options?: CallOptions): Promise<AgentInstance> {
    const path = apiPath(PATHS.recordQuality(pathId(id, 'id', 'agentInstances.recordQuality()')));
    const { idempotencyKey, ...rest } = params ?? ({} as RecordQualityParams);
    const wire = idempotencyKey === undefined ? rest : { ...rest, idempotency_key: idempotencyKey };
    return this.#post(path, validateInput(RecordQualityRequest, wire, 'agentInstances.recordQuality()'), options);
  }

  /** One instance: `GET /api/v1/agent_instance/{id}`. */
  async get(id: string, options?: CallOptions): Promise<AgentInstance> {
    const path = apiPath(PATHS.agentInstance(pathId(id, 'id', 'agentInstances.get()')));
    const response = await this.#client.request('GET', path, { ...callOptions(options), schema: InstanceResponse });
    return response.details;
  }

  /** The instances this token can see, newest first: `GET /api/v1/agent_instance`. */
  async list(options?: CallOptions): Promise<AgentInstance[]> {
    const response = await this.#client.request('GET', apiPath(PATHS.agentInstances), {
      ...callOptions(options),
      schema: InstanceListResponse,
    });
    return response.details;
  }

  async #post(path: string, body: { idempotency_key?: string | null | undefined }, options?: CallOptions): Promise<AgentInstance> {
    const key = body.idempotency_key ?? this.#client.generateIdempotencyKey();
    const response = await this.#client.request('POST', path, {
      ...callOptions(options),
      json: { ...body, idempotency_key: key },
      idempotencyKey: key,
      schema: InstanceResponse,
    });
    return response.details;
  }
}
