/**
 * The signing core of `hardened-webhooks send <provider>`: builds a realistic test event and signs
 * it exactly as the provider would, for the CLI to POST. One file per provider in `./providers`,
 * named by the verifier scheme it targets (lambda/verifier/schemes/index.ts).
 *
 * Runtime dependencies: node built-ins only. The provider SDKs are used in the tests, to check that
 * what is signed here is what they accept.
 */
import type { BuildContext, ProviderSender } from './provider';
import { discordSender } from './providers/discord';
import { githubSender } from './providers/github';
import { hmacSender } from './providers/hmac';
import { intercomSender } from './providers/intercom';
import { linearSender } from './providers/linear';
import { mailgunSender } from './providers/mailgun';
import { paddleSender } from './providers/paddle';
import { pagerdutySender } from './providers/pagerduty';
import { sendgridSender } from './providers/sendgrid';
import { shopifySender } from './providers/shopify';
import { slackSender } from './providers/slack';
import { squareSender } from './providers/square';
import { standardWebhooksSender } from './providers/standard-webhooks';
import { stripeSender } from './providers/stripe';
import { svixSender } from './providers/svix';
import { twilioSender } from './providers/twilio';
import { zoomSender } from './providers/zoom';
import { signingTime } from './support/clock';
import { SendInputError } from './support/errors';
import { ed25519PublicHex, newEd25519Key, newP256Key, p256PublicBase64, privatePem } from './support/keys';
import { randomSource } from './support/random';
import type { SendInput, SignedTestRequest, TestKeyPair } from './types';

export type { SendInput, SendOptions, SignedTestRequest, TestKeyPair } from './types';
export type { ProviderSender } from './provider';
export { SendInputError } from './support/errors';

/** Every provider the verifier knows, by scheme ID. */
export const PROVIDERS: Readonly<Record<string, ProviderSender>> = Object.freeze(Object.fromEntries([
  stripeSender, githubSender, hmacSender, mailgunSender, sendgridSender, pagerdutySender, discordSender,
  standardWebhooksSender, svixSender, paddleSender, intercomSender, linearSender, slackSender,
  shopifySender, twilioSender, squareSender, zoomSender,
].map((sender) => [sender.id, sender])));

export function providerIds(): string[] {
  return Object.keys(PROVIDERS);
}

/** The provider's sender; throws a {@link SendInputError} naming the known ones otherwise. */
export function providerById(provider: string): ProviderSender {
  if (!Object.prototype.hasOwnProperty.call(PROVIDERS, provider)) {
    throw new SendInputError(`unknown provider ${JSON.stringify(provider)}; known: ${providerIds().join(', ')}`);
  }
  return PROVIDERS[provider];
}

/**
 * Builds and signs one test request as `provider` would send it. Pure apart from the randomness
 * of fresh IDs (none when `input.eventId` is given) and `Date.now()` when `input.now` is absent.
 */
export function buildSignedRequest(provider: string, input: SendInput): SignedTestRequest {
  const sender = providerById(provider);
  const built = sender.build(buildContext(sender, input));
  return {
    method: 'POST',
    url: built.url ?? input.url,
    headers: built.headers,
    body: built.body,
    ...(built.eventId !== undefined ? { eventId: built.eventId } : {}),
    ...(built.eventType !== undefined ? { eventType: built.eventType } : {}),
    description: built.description,
    ...(built.expectedReply ? { expectedReply: built.expectedReply } : {}),
  };
}

/** The event type that makes the provider's handshake (Slack `url_verification`, Zoom `endpoint.url_validation`, Discord `PING`), if it has one. */
export function handshakeEventType(provider: string): string | undefined {
  return providerById(provider).handshakeEventType;
}

/** The provider's handshake, signed as the provider signs it; `expectedReply` says what the endpoint must answer. */
export function handshake(provider: string, input: Omit<SendInput, 'eventType'>): SignedTestRequest {
  const eventType = handshakeEventType(provider);
  if (eventType === undefined) {
    const withHandshake = providerIds().filter((id) => PROVIDERS[id].handshakeEventType !== undefined);
    throw new SendInputError(`${provider} has no handshake; providers with one: ${withHandshake.join(', ')}`);
  }
  return buildSignedRequest(provider, { ...input, eventType });
}

/**
 * A fresh key pair for a provider whose endpoint holds a public key: Discord (Ed25519, the public
 * key as 64 hex characters) and SendGrid (ECDSA P-256, the public key as base64 DER SPKI), each in
 * the format the endpoint's secret stores. The private key is PKCS#8 PEM, for `SendInput.secret`.
 */
export function generateKeyPair(provider: string): TestKeyPair {
  const kind = providerById(provider).keyPair;
  if (kind === 'ed25519') {
    const key = newEd25519Key();
    return { publicKey: ed25519PublicHex(key), privateKey: privatePem(key) };
  }
  if (kind === 'p256') {
    const key = newP256Key();
    return { publicKey: p256PublicBase64(key), privateKey: privatePem(key) };
  }
  throw new SendInputError(`${provider} signs with a shared secret, not a key pair`);
}

function buildContext(sender: ProviderSender, input: SendInput): BuildContext {
  const url = checkedUrl(input.url, 'url');
  const nowMs = input.now ?? Date.now();
  return {
    input,
    options: input.options ?? {},
    eventType: input.eventType || sender.defaultEventType,
    random: randomSource(input.eventId),
    nowMs,
    at: signingTime(nowMs, input.timestampOffsetSeconds ?? 0),
    url,
    signedUrl: input.signedUrl === undefined ? url : checkedUrl(input.signedUrl, 'signedUrl'),
  };
}

/** The URL as given (providers sign it byte for byte), once it is known to be an absolute http(s) URL. */
function checkedUrl(url: string, name: string): string {
  // Never echoed: a URL can carry credentials or tokens in its user info or query.
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SendInputError(`${name} is not an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new SendInputError(`${name} must be an http(s) URL, got the scheme ${JSON.stringify(parsed.protocol)}`);
  if (parsed.username || parsed.password) throw new SendInputError(`${name} must not contain credentials (user:password@): providers never send them`);
  return url;
}
