import { SCHEMES, schemeById } from '../../../../lambda/verifier/schemes';
import { discordScheme } from '../../../../lambda/verifier/schemes/discord';
import { githubScheme } from '../../../../lambda/verifier/schemes/github';
import { hmacScheme } from '../../../../lambda/verifier/schemes/hmac';
import { intercomScheme } from '../../../../lambda/verifier/schemes/intercom';
import { linearScheme } from '../../../../lambda/verifier/schemes/linear';
import { mailgunScheme } from '../../../../lambda/verifier/schemes/mailgun';
import { paddleScheme } from '../../../../lambda/verifier/schemes/paddle';
import { pagerdutyScheme } from '../../../../lambda/verifier/schemes/pagerduty';
import { sendgridScheme } from '../../../../lambda/verifier/schemes/sendgrid';
import { shopifyScheme } from '../../../../lambda/verifier/schemes/shopify';
import { slackScheme } from '../../../../lambda/verifier/schemes/slack';
import { squareScheme } from '../../../../lambda/verifier/schemes/square';
import { standardWebhooksScheme, svixScheme } from '../../../../lambda/verifier/schemes/standard-webhooks';
import { stripeScheme } from '../../../../lambda/verifier/schemes/stripe';
import { twilioScheme } from '../../../../lambda/verifier/schemes/twilio';
import { zoomScheme } from '../../../../lambda/verifier/schemes/zoom';

// The scheme ID is what the construct writes into the verifier's configuration and what the handler
// looks up at cold start (handler.ts: schemeById(config.provider.scheme)); an unknown ID must stop it.
const EXPECTED: Record<string, unknown> = {
  discord: discordScheme,
  github: githubScheme,
  hmac: hmacScheme,
  intercom: intercomScheme,
  linear: linearScheme,
  mailgun: mailgunScheme,
  paddle: paddleScheme,
  pagerduty: pagerdutyScheme,
  sendgrid: sendgridScheme,
  shopify: shopifyScheme,
  slack: slackScheme,
  square: squareScheme,
  'standard-webhooks': standardWebhooksScheme,
  stripe: stripeScheme,
  svix: svixScheme,
  twilio: twilioScheme,
  zoom: zoomScheme,
};

describe('scheme registry', () => {
  test('registers every scheme exactly once, each under its own id', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [id, scheme] of Object.entries(SCHEMES)) {
      expect(scheme.id).toBe(id);
      expect(scheme).toBe(EXPECTED[id]);
    }
  });

  test.each(Object.keys(EXPECTED).sort())('schemeById(%j) returns that very scheme', (id) => {
    expect(schemeById(id)).toBe(EXPECTED[id]);
  });

  test.each(['', 'unknown', 'Stripe', 'STRIPE', ' stripe', 'standard_webhooks', 'svix '])('an ID that is not registered (%j) finds nothing', (id) => {
    expect(schemeById(id)).toBeUndefined();
  });

  test.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'a name inherited from Object.prototype (%s) finds nothing: only own entries are schemes',
    (id) => {
      // A configuration naming one of these must fail at cold start, not hand the handler a prototype function.
      expect(schemeById(id)).toBeUndefined();
    },
  );

  test('the registry is frozen: nothing at run time can add or replace a scheme', () => {
    expect(Object.isFrozen(SCHEMES)).toBe(true);
  });
});
