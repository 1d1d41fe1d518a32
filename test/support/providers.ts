import { EventField, WebhookProvider } from '../../lib';

/** Every provider factory with its default options, by scheme ID (the generic HMAC one configured minimally). */
export const DEFAULT_PROVIDERS: Readonly<Record<string, () => WebhookProvider>> = {
  stripe: () => WebhookProvider.stripe(),
  github: () => WebhookProvider.github(),
  hmac: () => WebhookProvider.hmac({ signatureHeader: 'X-Signature', signedContent: '{body}', eventId: EventField.jsonPath('id'), eventType: EventField.jsonPath('type') }),
  slack: () => WebhookProvider.slack(),
  shopify: () => WebhookProvider.shopify(),
  twilio: () => WebhookProvider.twilio(),
  'standard-webhooks': () => WebhookProvider.standardWebhooks(),
  svix: () => WebhookProvider.svix(),
  square: () => WebhookProvider.square(),
  zoom: () => WebhookProvider.zoom(),
  paddle: () => WebhookProvider.paddle(),
  intercom: () => WebhookProvider.intercom(),
  linear: () => WebhookProvider.linear(),
  mailgun: () => WebhookProvider.mailgun(),
  sendgrid: () => WebhookProvider.sendgrid(),
  pagerduty: () => WebhookProvider.pagerduty(),
  discord: () => WebhookProvider.discord(),
};
