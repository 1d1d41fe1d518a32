export * from './endpoint';
export * from './processor';
export * from './provider';
export { HardenedWebhooksValidationError } from './validation';
