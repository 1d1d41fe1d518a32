/**
 * Processor runtime: `import { webhookProcessor, tokens } from 'hardened-webhooks-runtime'` (packages/runtime publishes it).
 */
export { webhookProcessor, ProcessorConfigError, type WebhookHandler, type WebhookProcessorOptions } from './processor';
export { UnknownEnvelopeError, type WebhookEvent } from './event';
export { BodyReferenceError, type BodyReferenceFailure } from './body';
export {
  tokens, ScopedTokens, TokenConfigError, TokenUnavailableError, UnknownTokenError, type ScopedTokensOptions,
} from './tokens';
export { PowertoolsMetricsSink, type MetricsSink } from './metrics';
export type {
  IssuedTokenRef, IssuerAction, TokenIssuerMintResponse, TokenIssuerRequest, TokenIssuerTestResponse, TokenSecretValue,
} from '../shared/contract';
export { ISSUER_ACTIONS } from '../shared/contract';
