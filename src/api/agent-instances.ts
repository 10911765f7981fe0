import type { CallOptions, HttpTransport } from '../http/transport.js';
import {
  AgentInstance,
  ApiResponse,
  FinishAgentInstanceRequest,
  RegisterAgentInstanceRequest,
  StartAgentInstanceRequest,
} from '../models/index.js';
import { apiPath, PATHS } from '../models/routes.js';
import { callOptions, pathId, validateInput } from './validate.js';

const InstanceResponse = ApiResponse(AgentInstance);
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
