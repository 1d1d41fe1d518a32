import { discordScheme } from './discord';
import { githubScheme } from './github';
import { hmacScheme } from './hmac';
import { intercomScheme } from './intercom';
import { linearScheme } from './linear';
import { mailgunScheme } from './mailgun';
import { paddleScheme } from './paddle';
import { pagerdutyScheme } from './pagerduty';
import { sendgridScheme } from './sendgrid';
import { standardWebhooksScheme, svixScheme } from './standard-webhooks';
import { shopifyScheme } from './shopify';
import { slackScheme } from './slack';
import { squareScheme } from './square';
import { stripeScheme } from './stripe';
import { twilioScheme } from './twilio';
import { zoomScheme } from './zoom';
import type { SignatureScheme } from './types';

/**
 * Every scheme the verifier knows, by ID. Adding a provider: one file in this folder exporting a
 * {@link SignatureScheme}, one line here, one static factory on `WebhookProvider`.
 */
export const SCHEMES: Readonly<Record<string, SignatureScheme<never>>> = Object.freeze({
  [stripeScheme.id]: stripeScheme,
  [githubScheme.id]: githubScheme,
  [hmacScheme.id]: hmacScheme,
  [mailgunScheme.id]: mailgunScheme,
  [sendgridScheme.id]: sendgridScheme,
  [pagerdutyScheme.id]: pagerdutyScheme,
  [discordScheme.id]: discordScheme,
  [standardWebhooksScheme.id]: standardWebhooksScheme,
  [svixScheme.id]: svixScheme,
  [paddleScheme.id]: paddleScheme,
  [intercomScheme.id]: intercomScheme,
  [linearScheme.id]: linearScheme,
  [slackScheme.id]: slackScheme,
  [shopifyScheme.id]: shopifyScheme,
  [twilioScheme.id]: twilioScheme,
  [squareScheme.id]: squareScheme,
  [zoomScheme.id]: zoomScheme,
});

export function schemeById(id: string): SignatureScheme<Record<string, unknown>> | undefined {
  return Object.prototype.hasOwnProperty.call(SCHEMES, id) ? (SCHEMES[id] as unknown as SignatureScheme<Record<string, unknown>>) : undefined;
}

export type { SignatureScheme } from './types';
