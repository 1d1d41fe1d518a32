import { Token } from 'aws-cdk-lib';
import type { ProviderConfig } from '../lambda/shared/contract';
import { discordScheme } from '../lambda/verifier/schemes/discord';
import { githubScheme, type GitHubOptions } from '../lambda/verifier/schemes/github';
import { hmacScheme, type FieldSource, type HmacOptions } from '../lambda/verifier/schemes/hmac';
import { intercomScheme } from '../lambda/verifier/schemes/intercom';
import { linearScheme, type LinearOptions } from '../lambda/verifier/schemes/linear';
import { mailgunScheme } from '../lambda/verifier/schemes/mailgun';
import { paddleScheme } from '../lambda/verifier/schemes/paddle';
import { pagerdutyScheme } from '../lambda/verifier/schemes/pagerduty';
import { sendgridScheme } from '../lambda/verifier/schemes/sendgrid';
import { shopifyScheme, type ShopifyOptions } from '../lambda/verifier/schemes/shopify';
import { slackScheme } from '../lambda/verifier/schemes/slack';
import { squareScheme, type SquareOptions } from '../lambda/verifier/schemes/square';
import { standardWebhooksScheme, svixScheme, type StandardWebhooksOptions } from '../lambda/verifier/schemes/standard-webhooks';
import { stripeScheme } from '../lambda/verifier/schemes/stripe';
import { twilioScheme, type TwilioOptions } from '../lambda/verifier/schemes/twilio';
import type { SignatureScheme } from '../lambda/verifier/schemes/types';
import { zoomScheme } from '../lambda/verifier/schemes/zoom';
import { PropsValidator } from './private/validation';

/** Where the generic HMAC scheme finds a value: a request header or a field of the JSON body. */
export class EventField {
  /** A request header, matched case-insensitively. */
  public static header(name: string): EventField {
    return new EventField({ header: name });
  }

  /** A dot-separated path into the JSON body, e.g. `data.id`. */
  public static jsonPath(path: string): EventField {
    return new EventField({ jsonPath: path });
  }

  private constructor(/** @internal */ public readonly _source: FieldSource) {}
}

/** Digest of a generic HMAC signature. */
export enum SignatureAlgorithm {
  SHA1 = 'sha1',
  SHA256 = 'sha256',
  SHA512 = 'sha512',
}

/** How a generic HMAC signature is written in its header. */
export enum SignatureEncoding {
  HEX = 'hex',
  BASE64 = 'base64',
}

/** Options of {@link WebhookProvider.github}. */
export interface GitHubProviderOptions {
  /**
   * Also accept the legacy `X-Hub-Signature: sha1=…` header when no SHA-256 signature is sent.
   * @default false
   */
  readonly allowLegacySha1?: boolean;
}

/** Options of {@link WebhookProvider.hmac}. */
export interface HmacProviderOptions {
  /** Header carrying the signature. */
  readonly signatureHeader: string;
  /**
   * Where the event ID (the idempotency key) is found. With `EventField.header(...)`, a header is
   * not signed; see README security model.
   */
  readonly eventId: EventField;
  /**
   * HMAC digest.
   * @default SignatureAlgorithm.SHA256
   */
  readonly algorithm?: SignatureAlgorithm;
  /**
   * How the digest is written.
   * @default SignatureEncoding.HEX
   */
  readonly encoding?: SignatureEncoding;
  /**
   * Text before the digest, e.g. `sha256=`.
   * @default - no prefix
   */
  readonly prefix?: string;
  /**
   * Separator when the header can carry several signatures.
   * @default - one signature per header
   */
  readonly separator?: string;
  /**
   * Header carrying a signed Unix timestamp; when set, requests outside the tolerance window are
   * refused. The window only means something if the timestamp is signed: `signedContent` must then
   * contain `{timestamp}` (refused at synth otherwise), else a request captured long ago would pass
   * with a fresh, rewritten header.
   * @default - no timestamp is signed
   */
  readonly timestampHeader?: string;
  /**
   * Whether the timestamp counts milliseconds rather than seconds.
   * @default false
   */
  readonly timestampInMilliseconds?: boolean;
  /**
   * Layout of the signed content; `{timestamp}` and `{body}` are replaced with the timestamp header
   * and the raw body, everything else is literal text. Checked at synth:
   * - `{body}` appears exactly once (absent, the body would be unsigned; twice, not what any sender signs);
   * - `{timestamp}` appears if and only if `timestampHeader` is set (without it, the window would be
   *   checked on an unsigned header; without the header, `{timestamp}` would be replaced by an empty string);
   * - no other `{name}` placeholder: nothing else (event ID, type or group headers) is substituted or signed.
   * @default '{timestamp}.{body}' with a timestamp header, '{body}' without
   */
  readonly signedContent?: string;
  /**
   * Where the event type used to route to processors is found. With `EventField.header(...)`, a
   * header is not signed; see README security model.
   * @default - events have no type; only processors subscribed to every event receive them
   */
  readonly eventType?: EventField;
  /**
   * Where the default FIFO message-group value is found. With `EventField.header(...)`, a header is
   * not signed; see README security model.
   * @default - the event ID (no ordering between events)
   */
  readonly groupKey?: EventField;
}

const PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]*\}/g;

/** RFC 9110's `token`: the characters a header field name may have. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Refuses `signedContent` layouts that leave the body or the timestamp unsigned, and header names no request can carry. */
function validateHmacLayout(options: HmacProviderOptions): void {
  const v = new PropsValidator('WebhookProvider.hmac');
  const { signedContent, timestampHeader } = options;
  // API Gateway requires these headers by name: an empty or malformed name would synthesize a
  // request parameter no request can carry, or none at all.
  v.matches('signatureHeader', options.signatureHeader, HEADER_NAME, 'an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)');
  v.matches('timestampHeader', timestampHeader, HEADER_NAME, 'an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)');
  if (signedContent !== undefined && !Token.isUnresolved(signedContent)) {
    const layout = JSON.stringify(signedContent);
    const bodies = signedContent.split('{body}').length - 1;
    v.check(bodies === 1, `signedContent must contain {body} exactly once (${bodies === 0 ? 'the body would not be signed' : 'the body would be signed twice'}); got ${layout}`);
    const signsTimestamp = signedContent.includes('{timestamp}');
    if (timestampHeader) {
      v.check(signsTimestamp,
        `signedContent must contain {timestamp} when timestampHeader is set (${JSON.stringify(timestampHeader)}): the tolerance window would be checked on an unsigned header anyone can rewrite; got ${layout}`);
    } else {
      v.check(!signsTimestamp, `signedContent contains {timestamp} but timestampHeader is not set: it would be replaced by an empty string; set timestampHeader or remove {timestamp}; got ${layout}`);
    }
    const unknown = [...new Set(signedContent.match(PLACEHOLDER) ?? [])].filter((p) => p !== '{body}' && p !== '{timestamp}');
    v.check(unknown.length === 0,
      `signedContent may use only the placeholders {body} and {timestamp}; ${unknown.join(', ')} would be signed as literal text, not as a value; got ${layout}`);
  }
  v.throwIfInvalid();
}

/** Which headers carry a Standard Webhooks signature. */
export enum StandardWebhooksHeaders {
  /** `webhook-id`, `webhook-timestamp` and `webhook-signature`, as the Standard Webhooks spec names them. */
  WEBHOOK = 'webhook',
  /** `svix-id`, `svix-timestamp` and `svix-signature`, as Svix sends them. */
  SVIX = 'svix',
  /**
   * Either family, chosen per request: `svix-*` when `svix-signature` is present, `webhook-*` otherwise.
   * API Gateway then cannot require the headers; the verifier still refuses requests without them.
   */
  EITHER = 'either',
}

/** Options of {@link WebhookProvider.standardWebhooks}. */
export interface StandardWebhooksProviderOptions {
  /**
   * Which header names carry the ID, timestamp and signature.
   * @default StandardWebhooksHeaders.WEBHOOK
   */
  readonly headers?: StandardWebhooksHeaders;
}

/** Options of {@link WebhookProvider.svix}. */
export interface SvixProviderOptions {
  /**
   * Which header names carry the ID, timestamp and signature.
   * @default StandardWebhooksHeaders.SVIX
   */
  readonly headers?: StandardWebhooksHeaders;
}

/** Where the Linear event ID (the idempotency key) comes from. */
export enum LinearEventIdSource {
  /**
   * The `Linear-Delivery` header; a request without it falls back to {@link LinearEventIdSource.PAYLOAD}.
   * The header is not signed.
   */
  DELIVERY_HEADER = 'delivery',
  /**
   * `webhookId`, `type`, `action`, `data.id` and `createdAt` from the signed body. A replay cannot change
   * it, but it is only stable across Linear's retries if Linear re-sends the same payload.
   */
  PAYLOAD = 'payload',
}

/** Options of {@link WebhookProvider.linear}. */
export interface LinearProviderOptions {
  /**
   * Where the event ID (the idempotency key) comes from.
   * @default LinearEventIdSource.PAYLOAD
   */
  readonly eventIdSource?: LinearEventIdSource;
}

/** Which header names Shopify deliveries carry. */
export enum ShopifyHeaderStyle {
  /** `X-Shopify-Hmac-Sha256`, `X-Shopify-Event-Id`, `X-Shopify-Topic`, …: webhook subscriptions. */
  WEBHOOKS = 'x-shopify',
  /** `shopify-hmac-sha256`, `shopify-event-id`, `shopify-topic`, …: Events deliveries (developer preview). */
  EVENTS = 'shopify',
  /**
   * Either family, per request. API Gateway then cannot require the signature header; the verifier
   * still refuses requests without one.
   */
  EITHER = 'any',
}

/** Options of {@link WebhookProvider.shopify}. */
export interface ShopifyProviderOptions {
  /**
   * Which header names the deliveries carry.
   * @default ShopifyHeaderStyle.WEBHOOKS
   */
  readonly headerStyle?: ShopifyHeaderStyle;
  /**
   * What one signed body can become. The topic header is not signed, and Shopify does send one body
   * under two topics (an order's `orders/create` and `orders/updated` can be byte for byte equal).
   * - `true`: one event per body, under the first topic it arrived with; the same bytes under another
   *   topic are answered as a duplicate (200) and counted in `ContentReplays`. No captured body can be
   *   re-routed (`orders/create` replayed as `orders/paid`); a processor subscribed only to the second
   *   topic of a byte-identical pair does not see that copy.
   * - `false`: one event per (body, topic): each topic's copy is delivered, but someone who captured a
   *   signed body can deliver it under ANY topic string (each once, under an event ID they choose)
   *   within `idempotencyRetention`. Only for processors that never act on the topic alone.
   * @default true
   */
  readonly oneEventPerBody?: boolean;
}

/** Where the Twilio event ID (the idempotency key) comes from. */
export enum TwilioEventIdSource {
  /**
   * `twilio:<SHA-256 of the signed string>` (the URL followed by every name and value, as Twilio signs
   * them). Every re-split of one signed string gives the same ID; Twilio's retries keep it; two
   * callbacks with identical URL and parameters count as one event.
   */
  SIGNED_CONTENT = 'content',
  /**
   * The `I-Twilio-Idempotency-Token` header names the event, falling back to
   * {@link TwilioEventIdSource.SIGNED_CONTENT} when absent. The header is not signed, so the event is
   * still claimed under the digest of the signed string: a fresh token never makes a replay a new
   * event, and identical callbacks stay one event as with the default.
   */
  IDEMPOTENCY_TOKEN = 'idempotency-token',
}

/** Options of {@link WebhookProvider.twilio}. */
export interface TwilioProviderOptions {
  /**
   * Where the event ID (the idempotency key) comes from.
   * @default TwilioEventIdSource.SIGNED_CONTENT
   */
  readonly eventIdSource?: TwilioEventIdSource;
}

/** Options of {@link WebhookProvider.square}. */
export interface SquareProviderOptions {
  /**
   * The notification URL exactly as registered in the Square webhook subscription. Square signs it
   * byte for byte: a trailing `/`, a port or another host makes every signature fail.
   * @default - the URL the request arrived at: `publicUrl` (plus the query) when set, else the API Gateway URL
   */
  readonly notificationUrl?: string;
}

/**
 * A webhook sender's signing scheme. Choose one with a static factory:
 * `WebhookProvider.stripe()`, `WebhookProvider.github()`, `WebhookProvider.hmac({...})`, …
 *
 * Each factory documents its default FIFO message group: the first of its listed fields that holds
 * a non-empty string or a number, else the event ID. The endpoint's `messageGroupPath`, when it
 * finds a value, takes precedence.
 */
export class WebhookProvider {
  /**
   * Stripe: `Stripe-Signature` (`t=…,v1=…`), HMAC-SHA256 over `t.body`; event ID = body `id`.
   *
   * Default message group: body `data.object.customer`, else `account`, else the event ID.
   */
  public static stripe(): WebhookProvider {
    return WebhookProvider.of(stripeScheme, {});
  }

  /**
   * GitHub: `X-Hub-Signature-256`, HMAC-SHA256 over the body; event ID = `X-GitHub-Delivery`, type =
   * `X-GitHub-Event` + body `action`. Neither header is signed: events are claimed under the digest of
   * the body, bound to the first delivery ID and event name, so a replay under a fresh ID or another
   * event name enqueues nothing. JSON and `form` (`payload=…`) hook content types.
   *
   * Default message group: body `repository.full_name`, else `organization.login`, else the event ID.
   */
  public static github(options: GitHubProviderOptions = {}): WebhookProvider {
    const schemeOptions: GitHubOptions = { allowLegacySha1: options.allowLegacySha1 ?? false };
    return WebhookProvider.of(githubScheme, schemeOptions);
  }

  /**
   * Mailgun: the JSON body carries `signature: {timestamp, token, signature}`, HMAC-SHA256 over
   * `timestamp + token` with the HTTP webhook signing key; event ID = body `event-data.id`.
   *
   * The rest of the body is NOT signed by Mailgun: the timestamp window, and the claim on the digest of
   * `timestamp + token` — made for every verified request, ignored ones too, and bound to the first
   * body that carried it — are what stop a captured signature being reused with another body.
   * Only the JSON format of current webhooks is accepted, not legacy form posts.
   *
   * Default message group: body `event-data.message.headers.message-id` (not signed: it orders, it
   * does not authenticate), else the event ID.
   */
  public static mailgun(): WebhookProvider {
    return WebhookProvider.of(mailgunScheme, {});
  }

  /**
   * SendGrid Event Webhook: ECDSA P-256 over `timestamp + body` (`X-Twilio-Email-Event-Webhook-Signature`
   * and `-Timestamp`). The signing secret holds the verification PUBLIC key from Mail Settings
   * (base64, as SendGrid shows it). Event ID = the `sg_event_id` of a one-event batch, else a
   * SHA-256 of the batch's sorted `sg_event_id`s; event type = the event's `event`, or `batch`.
   *
   * Default message group: for a one-event batch, its `sg_message_id`; for a larger batch, none (the
   * event ID).
   */
  public static sendgrid(): WebhookProvider {
    return WebhookProvider.of(sendgridScheme, {});
  }

  /**
   * PagerDuty webhooks v3: `X-PagerDuty-Signature: v1=…[,v1=…]`, HMAC-SHA256 over the body; event
   * ID = body `event.id`, type = `event.event_type`. No timestamp is signed: replays are refused by
   * event ID for as long as `idempotencyRetention`.
   *
   * Default message group: body `event.data.id`, else the event ID.
   */
  public static pagerduty(): WebhookProvider {
    return WebhookProvider.of(pagerdutyScheme, {});
  }

  /**
   * Discord interactions: Ed25519 over `timestamp + body` (`X-Signature-Ed25519`,
   * `X-Signature-Timestamp`). The signing secret holds the application's PUBLIC key (64 hex
   * characters). A verified PING is answered `{"type":1}`; other interactions are enqueued and
   * answered with a deferred response (`{"type":5}`); event ID = body `id`.
   *
   * Default message group: none — the event ID (no ordering between interactions).
   */
  public static discord(): WebhookProvider {
    return WebhookProvider.of(discordScheme, {});
  }

  /**
   * Any HMAC scheme described by header, digest, encoding, prefix and signed-content layout. A layout
   * that leaves the body or the timestamp unsigned is refused at synth (see `signedContent`).
   *
   * Default message group: the value at `groupKey` when set and present, else the event ID.
   */
  public static hmac(options: HmacProviderOptions): WebhookProvider {
    validateHmacLayout(options);
    const schemeOptions: HmacOptions = {
      header: options.signatureHeader,
      algorithm: options.algorithm ?? SignatureAlgorithm.SHA256,
      encoding: options.encoding ?? SignatureEncoding.HEX,
      prefix: options.prefix,
      separator: options.separator,
      timestampHeader: options.timestampHeader,
      timestampUnit: options.timestampInMilliseconds ? 'milliseconds' : 'seconds',
      signedContent: options.signedContent,
      eventId: options.eventId._source,
      eventType: options.eventType?._source,
      groupKey: options.groupKey?._source,
    };
    // Headers these options read the event ID, type or group from identify the event too.
    const named = [options.eventId, options.eventType, options.groupKey].flatMap((field) => (field && 'header' in field._source ? [field._source.header] : []));
    return WebhookProvider.of(hmacScheme, schemeOptions, named);
  }

  /**
   * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`, `webhook-signature`
   * (`v1,<base64>`, several allowed), HMAC-SHA256 over `id.timestamp.body` keyed with the base64 part of
   * the `whsec_…` secret; event ID = `webhook-id`.
   *
   * Default message group: none (the spec defines none) — the event ID.
   */
  public static standardWebhooks(options: StandardWebhooksProviderOptions = {}): WebhookProvider {
    const schemeOptions: StandardWebhooksOptions = { headerPrefix: options.headers ?? StandardWebhooksHeaders.WEBHOOK };
    return WebhookProvider.of(standardWebhooksScheme, schemeOptions);
  }

  /**
   * Svix: the Standard Webhooks scheme under `svix-id`, `svix-timestamp`, `svix-signature`;
   * secret `whsec_…`; event ID = `svix-id`.
   *
   * Default message group: none — the event ID.
   */
  public static svix(options: SvixProviderOptions = {}): WebhookProvider {
    const schemeOptions: StandardWebhooksOptions = { headerPrefix: options.headers ?? StandardWebhooksHeaders.SVIX };
    return WebhookProvider.of(svixScheme, schemeOptions);
  }

  /**
   * Paddle Billing: `Paddle-Signature` (`ts=…;h1=…`, several `h1` allowed), HMAC-SHA256 over `ts:body`
   * with the `pdl_ntfset_…` secret; event ID = body `event_id`.
   *
   * Default message group: body `data.customer_id`, else `data.id`, else the event ID.
   */
  public static paddle(): WebhookProvider {
    return WebhookProvider.of(paddleScheme, {});
  }

  /**
   * Intercom: `X-Hub-Signature` (`sha1=<hex>`), HMAC-SHA1 over the body with the app's client secret;
   * event ID = body `id`. Nothing time-bound is signed: replays are stopped by the event ID alone.
   *
   * Default message group: body `data.item.id`, else `app_id`, else the event ID.
   */
  public static intercom(): WebhookProvider {
    return WebhookProvider.of(intercomScheme, {});
  }

  /**
   * Linear: `Linear-Signature` (hex), HMAC-SHA256 over the body; signed timestamp = body `webhookTimestamp`
   * (milliseconds); event ID derived from signed body fields by default, because the `Linear-Delivery`
   * header is not signed and a replay could change it.
   *
   * Default message group: body `data.id`, else `organizationId`, else the event ID.
   */
  public static linear(options: LinearProviderOptions = {}): WebhookProvider {
    const schemeOptions: LinearOptions = { eventIdSource: options.eventIdSource ?? LinearEventIdSource.PAYLOAD };
    return WebhookProvider.of(linearScheme, schemeOptions);
  }

  /**
   * Slack: `X-Slack-Signature` (`v0=<hex>`), HMAC-SHA256 over `v0:timestamp:body` with the app's
   * signing secret; timestamp `X-Slack-Request-Timestamp`, held to the tolerance in both directions.
   * Events API: event ID = body `event_id`, type = `event.type`; `url_verification` is answered with
   * its challenge once verified. Slash commands: ID = `trigger_id`, type = the command (`/deploy`).
   * Interactivity: ID = `trigger_id` (else a digest of the signed request), type = payload `type`.
   * Slash commands and interactivity are acknowledged with an empty 200.
   *
   * Default message group (the workspace): Events API body `team_id`, else `enterprise_id`; slash
   * commands form field `team_id`, else `enterprise_id`; interactivity payload `team.id`, else
   * `enterprise.id`; else the event ID.
   */
  public static slack(): WebhookProvider {
    return WebhookProvider.of(slackScheme, {});
  }

  /**
   * Shopify: `X-Shopify-Hmac-Sha256` (base64), HMAC-SHA256 over the body with the app's client
   * secret; event ID = `X-Shopify-Event-Id` (else `X-Shopify-Webhook-Id`), type = `X-Shopify-Topic`.
   * Nothing time-bound and no header is signed: events are claimed under the digest of the body (see
   * {@link ShopifyProviderOptions.oneEventPerBody}), so a replay under a fresh event ID or another
   * topic enqueues nothing. JSON subscriptions only.
   *
   * Default message group (the shop): header `X-Shopify-Shop-Domain`, or `shopify-shop-domain` on a
   * delivery with the un-prefixed headers (not signed: it orders, it does not authenticate), else the
   * event ID.
   */
  public static shopify(options: ShopifyProviderOptions = {}): WebhookProvider {
    const schemeOptions: ShopifyOptions = {
      headerStyle: options.headerStyle ?? ShopifyHeaderStyle.WEBHOOKS,
      oneEventPerBody: options.oneEventPerBody ?? true,
    };
    return WebhookProvider.of(shopifyScheme, schemeOptions);
  }

  /**
   * Twilio: `X-Twilio-Signature` (base64), HMAC-SHA1 with the Auth Token — or HMAC-SHA256 with a
   * SharedKey secret when `X-Twilio-Webhooks-Signature-Settings` says so — over the URL Twilio called
   * followed by the sorted form parameters; JSON bodies through the URL's `bodySHA256`. Set
   * `publicUrl` on the endpoint when Twilio calls a custom domain. Nothing time-bound is signed, and the
   * signature covers the parameters concatenated, not the form: events are claimed under the digest of
   * the signed string for as long as `idempotencyRetention`, so no re-split of a captured request is a
   * second event. Accepted events are answered with empty TwiML.
   *
   * Default message group (the conversation or call): parameter `ConversationSid`, else `CallSid`,
   * else `MessageSid` (form parameters, or fields of a JSON body), else the event ID.
   */
  public static twilio(options: TwilioProviderOptions = {}): WebhookProvider {
    const schemeOptions: TwilioOptions = { eventIdSource: options.eventIdSource ?? TwilioEventIdSource.SIGNED_CONTENT };
    return WebhookProvider.of(twilioScheme, schemeOptions);
  }

  /**
   * Square: `x-square-hmacsha256-signature` (base64), HMAC-SHA256 over `notificationUrl + body` with
   * the subscription's signature key; event ID = body `event_id`, type = body `type`. No timestamp is
   * signed: replays are refused by event ID for as long as `idempotencyRetention`.
   *
   * Default message group: body `data.id`, else `merchant_id`, else the event ID.
   */
  public static square(options: SquareProviderOptions = {}): WebhookProvider {
    new PropsValidator('WebhookProvider.square')
      .matches('notificationUrl', options.notificationUrl, /^https:\/\/\S+$/, 'the https:// URL registered in the Square subscription')
      .throwIfInvalid();
    const schemeOptions: SquareOptions = options.notificationUrl === undefined ? {} : { notificationUrl: options.notificationUrl };
    return WebhookProvider.of(squareScheme, schemeOptions);
  }

  /**
   * Zoom: `x-zm-signature` (`v0=<hex>`), HMAC-SHA256 over `v0:timestamp:body` with the app's Secret
   * Token; timestamp `x-zm-request-timestamp`, held to the tolerance in both directions. Zoom sends no
   * delivery ID: event ID = `event:event_ts:` + a SHA-256 of the body; type = body `event`.
   * `endpoint.url_validation` is answered with `{plainToken, encryptedToken}` once verified.
   *
   * Default message group: body `payload.object.id`, else `payload.account_id`, else the event ID.
   */
  public static zoom(): WebhookProvider {
    return WebhookProvider.of(zoomScheme, {});
  }

  /**
   * Builds a provider from a scheme; every factory above goes through here. `namedHeaders`: headers
   * the options name that identify an event beyond the scheme's required ones.
   */
  private static of<O>(scheme: SignatureScheme<O>, options: O, namedHeaders: readonly string[] = []): WebhookProvider {
    return new WebhookProvider(scheme.id, scheme.requiredHeaders(options), options as Record<string, unknown>, namedHeaders);
  }

  private readonly headers: readonly string[];
  private readonly namedHeaders: readonly string[];

  private constructor(
    /** The scheme's identifier, e.g. `stripe`. */
    public readonly schemeId: string,
    headers: readonly string[],
    private readonly options: Record<string, unknown>,
    namedHeaders: readonly string[],
  ) {
    this.headers = [...headers];
    this.namedHeaders = [...namedHeaders];
  }

  /**
   * Headers every genuine request carries; API Gateway refuses requests without them. A copy each
   * time (a getter, not a `readonly string[]`, which jsii cannot carry to other languages).
   */
  public get requiredHeaders(): string[] {
    return [...this.headers];
  }

  /**
   * The request headers that identify an event of this provider, as named: the required headers,
   * then those the options name (the generic HMAC scheme's header-sourced event ID, type and group).
   * @internal
   */
  public _identifyingHeaders(): string[] {
    return [...this.headers, ...this.namedHeaders];
  }

  /** @internal */
  public _config(): ProviderConfig {
    return { scheme: this.schemeId, options: JSON.parse(JSON.stringify(this.options)) as Record<string, unknown> };
  }
}
