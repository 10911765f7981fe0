export * from './common.js';
export * from './data-risk.js';
export * from './agent-instance.js';
export * from './agent-span.js';
export * from './api-response.js';
export * from './bulk.js';
