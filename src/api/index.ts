// Public entry `prefactor-trace/api`: the HTTP client of the Prefactor API, its config and errors, and the
// wire models (zod schemas and their types), for calling the API directly (as Python's `prefactor_http`).
export { PrefactorHttpClient } from './client.js';
export type { CallOptions, RequestOptions, RetryInfo } from '../http/transport.js';
export type { HttpClientConfig } from '../http/config.js';
export type { CreateAgentSpanParams } from './agent-spans.js';
export type { RecordQualityParams } from './agent-instances.js';
export { PrefactorError, PrefactorConfigError } from '../errors.js';
export type { PrefactorErrorCode } from '../errors.js';
export {
  PrefactorHttpError,
  PrefactorApiError,
  PrefactorAuthError,
  PrefactorNotFoundError,
  PrefactorValidationError,
  PrefactorRetryExhaustedError,
  PrefactorClientError,
  PrefactorResponseContractError,
  isTransientError,
} from '../http/errors.js';
export type { ErrorRequestInfo, ErrorResponseInfo } from '../http/errors.js';
export { API_BASE, PATHS, apiPath, BULK_TYPE, BULK_ITEM_TYPES } from '../models/routes.js';
export { generateId, isPrefactorId, partitionOf } from '../util/ids.js';
export { VERSION } from '../version.js';
export * from '../models/index.js';
