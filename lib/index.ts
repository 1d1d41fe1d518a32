// The public API, exported by name: jsii builds the other languages' packages from exactly this
// list. The library's private parts live in lib/private/ (validation, metric factories, alarm and
// dashboard factories, the bundled-handler function, scanner metadata and reasons, asset paths,
// key grants), as aws-cdk-lib keeps its own; nothing there is exported here.
export { HardenedWebhookEndpoint, type EndpointThrottle, type HardenedWebhookEndpointProps } from './endpoint';
export { type ArchiveOptions } from './archive';
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
export { HardenedWebhooksErrors } from './errors';
export { WebhookWaf, WebhookWafRule, type WebhookWafOptions, type WebhookWafProps } from './waf';
