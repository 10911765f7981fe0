import type { CallOptions, HttpTransport } from '../http/transport.js';
import { BulkRequest, BulkResponse } from '../models/index.js';
import { apiPath, PATHS } from '../models/routes.js';
import { callOptions, validateInput } from './validate.js';

/** The bulk endpoint: many operations in one `POST /api/v1/bulk`. */
export class BulkEndpoint {
  readonly #client: HttpTransport;

  constructor(client: HttpTransport) {
    this.#client = client;
  }

  /**
   * Sends `items` (`{_type, idempotency_key, ...params}`) in one request. At least one item, item keys of
   * 8-64 characters and unique within the request: checked before sending. Resolves with the outputs keyed
   * by item idempotency key; an item missing from `outputs` was not processed.
   */
  async execute(request: BulkRequest, options?: CallOptions): Promise<BulkResponse> {
    const { items, idempotency_key } = validateInput(BulkRequest, request, 'bulk.execute()');
    const key = idempotency_key ?? this.#client.generateIdempotencyKey();
    return this.#client.request('POST', apiPath(PATHS.bulk), {
      ...callOptions(options),
      json: { items, idempotency_key: key },
      idempotencyKey: key,
      schema: BulkResponse,
    });
  }
}
