/**
 * Processor runtime: `import { webhookProcessor } from 'hardened-webhooks/runtime'`.
 */
export { webhookProcessor, ProcessorConfigError, type WebhookHandler, type WebhookProcessorOptions } from './processor';
export { UnknownEnvelopeError, type WebhookEvent } from './event';
