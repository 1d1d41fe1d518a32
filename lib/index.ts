export * from './endpoint';
export * from './monitoring';
export * from './processor';
export * from './provider';
export * from './waf';
export * from './scoped-token';
export { HardenedWebhooksValidationError } from './validation';
