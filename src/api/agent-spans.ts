import type { CallOptions, HttpTransport } from '../http/transport.js';
import {
  AgentSpan,
  type AgentSpanWithControl,
  ApiResponse,
  CreateAgentSpanDetails,
  FinishAgentSpanRequest,
  IdempotencyKey,
  SpanControl,
} from '../models/index.js';
import { apiPath, PATHS } from '../models/routes.js';
import { callOptions, pathId, validateInput } from './validate.js';

const SpanResponse = ApiResponse(AgentSpan).extend({ control: SpanControl.nullish() });
const SpanListResponse = ApiResponse(AgentSpan.array());
const CreateParams = CreateAgentSpanDetails.extend({ idempotency_key: IdempotencyKey.nullish() });

/** What `agentSpans.create()` takes: the span's details, flat, plus an optional idempotency key. */
export type CreateAgentSpanParams = CreateAgentSpanDetails & { idempotency_key?: string | null };

/** The agent span endpoints (`/api/v1/agent_spans`). */
export class AgentSpansEndpoint {
  readonly #client: HttpTransport;

  constructor(client: HttpTransport) {
    this.#client = client;
  }

  /**
   * Creates a span: `POST /api/v1/agent_spans` with `{"details": {...}, "idempotency_key": "..."}`. The
   * response's `control` (the killswitch), when sent, is on the returned span.
   */
  async create(params: CreateAgentSpanParams, options?: CallOptions): Promise<AgentSpanWithControl> {
    const { idempotency_key, ...details } = validateInput(CreateParams, params, 'agentSpans.create()');
    return this.#post(apiPath(PATHS.agentSpans), idempotency_key, (key) => ({ details, idempotency_key: key }), options);
  }

  /** Finishes a span: `POST /api/v1/agent_spans/{id}/finish`. */
  async finish(spanId: string, params: FinishAgentSpanRequest = {}, options?: CallOptions): Promise<AgentSpanWithControl> {
    const path = apiPath(PATHS.finishAgentSpan(pathId(spanId, 'spanId', 'agentSpans.finish()')));
    const body = validateInput(FinishAgentSpanRequest, params, 'agentSpans.finish()');
    return this.#post(path, body.idempotency_key, (key) => ({ ...body, idempotency_key: key }), options);
  }

  /** The spans of one instance: `GET /api/v1/agent_spans?agent_instance_id=...`. */
  async list(agentInstanceId: string, options?: CallOptions): Promise<AgentSpan[]> {
    pathId(agentInstanceId, 'agentInstanceId', 'agentSpans.list()');
    const response = await this.#client.request('GET', apiPath(PATHS.agentSpans), {
      ...callOptions(options),
      params: { agent_instance_id: agentInstanceId },
      schema: SpanListResponse,
    });
    return response.details;
  }

  async #post(
    path: string,
    givenKey: string | null | undefined,
    body: (key: string) => Record<string, unknown>,
    options?: CallOptions,
  ): Promise<AgentSpanWithControl> {
    const key = givenKey ?? this.#client.generateIdempotencyKey();
    const response = await this.#client.request('POST', path, {
      ...callOptions(options),
      json: body(key),
      idempotencyKey: key,
      schema: SpanResponse,
    });
    return response.control ? { ...response.details, control: response.control } : response.details;
  }
}
