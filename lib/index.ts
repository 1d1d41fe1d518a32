// The public API, exported by name: jsii builds the other languages' packages from exactly this
// list, and anything else in lib/ (alarm and dashboard factories, validation, asset paths) stays
// internal however it is exported between files.
export { HardenedWebhookEndpoint, type EndpointThrottle, type HardenedWebhookEndpointProps } from './endpoint';
export {
  type AlarmOptions,
  type AnomalyAlarmOptions,
  type EndpointAlarmOptions,
  type EndpointAlarms,
  type ProcessorAlarmOptions,
  type ProcessorAlarms,
  type TokenAlarmOptions,
  type TokenAlarms,
} from './monitoring';
export { WebhookProcessor, type ProcessorOptions, type WebhookProcessorProps } from './processor';
export {
  EventField,
  LinearEventIdSource,
  ShopifyHeaderStyle,
  SignatureAlgorithm,
  SignatureEncoding,
  StandardWebhooksHeaders,
  TwilioEventIdSource,
  WebhookProvider,
  type GitHubProviderOptions,
  type HmacProviderOptions,
  type LinearProviderOptions,
  type ShopifyProviderOptions,
  type SquareProviderOptions,
  type StandardWebhooksProviderOptions,
  type SvixProviderOptions,
  type TwilioProviderOptions,
} from './provider';
export { ScopedToken, TokenIssuer, type IScopedToken, type RandomTokenOptions, type ScopedTokenProps } from './scoped-token';
export { HardenedWebhooksErrors } from './validation';
export { WebhookWaf, WebhookWafRule, type WebhookWafOptions, type WebhookWafProps } from './waf';
