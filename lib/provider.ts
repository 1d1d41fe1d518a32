import type { ProviderConfig } from '../lambda/shared/contract';
import { githubScheme, type GitHubOptions } from '../lambda/verifier/schemes/github';
import { hmacScheme, type FieldSource, type HmacOptions } from '../lambda/verifier/schemes/hmac';
import { discordScheme } from '../lambda/verifier/schemes/discord';
import { mailgunScheme } from '../lambda/verifier/schemes/mailgun';
import { pagerdutyScheme } from '../lambda/verifier/schemes/pagerduty';
import { sendgridScheme } from '../lambda/verifier/schemes/sendgrid';
import { stripeScheme } from '../lambda/verifier/schemes/stripe';
import type { SignatureScheme } from '../lambda/verifier/schemes/types';
import { intercomScheme } from '../lambda/verifier/schemes/intercom';
import { linearScheme, type LinearOptions } from '../lambda/verifier/schemes/linear';
import { paddleScheme } from '../lambda/verifier/schemes/paddle';
import { standardWebhooksScheme, svixScheme, type StandardWebhooksOptions } from '../lambda/verifier/schemes/standard-webhooks';

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
  /** Where the event ID (the idempotency key) is found. */
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
   * Header carrying a signed Unix timestamp; when set, requests outside the tolerance window are refused.
   * @default - no timestamp is signed
   */
  readonly timestampHeader?: string;
  /**
   * Whether the timestamp counts milliseconds rather than seconds.
   * @default false
   */
  readonly timestampInMilliseconds?: boolean;
  /**
   * Layout of the signed content; `{timestamp}` and `{body}` are replaced with the timestamp header and the raw body.
   * @default '{timestamp}.{body}' with a timestamp header, '{body}' without
   */
  readonly signedContent?: string;
  /**
   * Where the event type used to route to processors is found.
   * @default - events have no type; only processors subscribed to every event receive them
   */
  readonly eventType?: EventField;
  /**
   * Where the default FIFO message-group value is found.
   * @default - the event ID (no ordering between events)
   */
  readonly groupKey?: EventField;
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

/**
 * A webhook sender's signing scheme. Choose one with a static factory:
 * `WebhookProvider.stripe()`, `WebhookProvider.github()`, `WebhookProvider.hmac({...})`, …
 */
export class WebhookProvider {
  /** Stripe: `Stripe-Signature` (`t=…,v1=…`), HMAC-SHA256 over `t.body`; event ID = body `id`. */
  public static stripe(): WebhookProvider {
    return WebhookProvider.of(stripeScheme, {});
  }

  /** GitHub: `X-Hub-Signature-256`, HMAC-SHA256 over the body; event ID = `X-GitHub-Delivery`. */
  public static github(options: GitHubProviderOptions = {}): WebhookProvider {
    const schemeOptions: GitHubOptions = { allowLegacySha1: options.allowLegacySha1 ?? false };
    return WebhookProvider.of(githubScheme, schemeOptions);
  }

  /**
   * Mailgun: the JSON body carries `signature: {timestamp, token, signature}`, HMAC-SHA256 over
   * `timestamp + token` with the HTTP webhook signing key; event ID = body `event-data.id`.
   *
   * The rest of the body is NOT signed by Mailgun: the timestamp window and the single-use `token`
   * (refused when seen twice) are what stop a captured signature being reused with another body.
   * Only the JSON format of current webhooks is accepted, not legacy form posts.
   */
  public static mailgun(): WebhookProvider {
    return WebhookProvider.of(mailgunScheme, {});
  }

  /**
   * SendGrid Event Webhook: ECDSA P-256 over `timestamp + body` (`X-Twilio-Email-Event-Webhook-Signature`
   * and `-Timestamp`). The signing secret holds the verification PUBLIC key from Mail Settings
   * (base64, as SendGrid shows it). Event ID = the `sg_event_id` of a one-event batch, else a
   * SHA-256 of the batch's sorted `sg_event_id`s; event type = the event's `event`, or `batch`.
   */
  public static sendgrid(): WebhookProvider {
    return WebhookProvider.of(sendgridScheme, {});
  }

  /**
   * PagerDuty webhooks v3: `X-PagerDuty-Signature: v1=…[,v1=…]`, HMAC-SHA256 over the body; event
   * ID = body `event.id`, type = `event.event_type`. No timestamp is signed: replays are refused by
   * event ID for as long as `idempotencyRetention`.
   */
  public static pagerduty(): WebhookProvider {
    return WebhookProvider.of(pagerdutyScheme, {});
  }

  /**
   * Discord interactions: Ed25519 over `timestamp + body` (`X-Signature-Ed25519`,
   * `X-Signature-Timestamp`). The signing secret holds the application's PUBLIC key (64 hex
   * characters). A verified PING is answered `{"type":1}`; other interactions are enqueued and
   * answered with a deferred response (`{"type":5}`); event ID = body `id`.
   */
  public static discord(): WebhookProvider {
    return WebhookProvider.of(discordScheme, {});
  }

  /** Any HMAC scheme described by header, digest, encoding, prefix and signed-content layout. */
  public static hmac(options: HmacProviderOptions): WebhookProvider {
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
    return WebhookProvider.of(hmacScheme, schemeOptions);
  }

  /**
   * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`, `webhook-signature`
   * (`v1,<base64>`, several allowed), HMAC-SHA256 over `id.timestamp.body` keyed with the base64 part of
   * the `whsec_…` secret; event ID = `webhook-id`.
   */
  public static standardWebhooks(options: StandardWebhooksProviderOptions = {}): WebhookProvider {
    const schemeOptions: StandardWebhooksOptions = { headerPrefix: options.headers ?? StandardWebhooksHeaders.WEBHOOK };
    return WebhookProvider.of(standardWebhooksScheme, schemeOptions);
  }

  /**
   * Svix: the Standard Webhooks scheme under `svix-id`, `svix-timestamp`, `svix-signature`;
   * secret `whsec_…`; event ID = `svix-id`.
   */
  public static svix(options: SvixProviderOptions = {}): WebhookProvider {
    const schemeOptions: StandardWebhooksOptions = { headerPrefix: options.headers ?? StandardWebhooksHeaders.SVIX };
    return WebhookProvider.of(svixScheme, schemeOptions);
  }

  /**
   * Paddle Billing: `Paddle-Signature` (`ts=…;h1=…`, several `h1` allowed), HMAC-SHA256 over `ts:body`
   * with the `pdl_ntfset_…` secret; event ID = body `event_id`.
   */
  public static paddle(): WebhookProvider {
    return WebhookProvider.of(paddleScheme, {});
  }

  /**
   * Intercom: `X-Hub-Signature` (`sha1=<hex>`), HMAC-SHA1 over the body with the app's client secret;
   * event ID = body `id`. Nothing time-bound is signed: replays are stopped by the event ID alone.
   */
  public static intercom(): WebhookProvider {
    return WebhookProvider.of(intercomScheme, {});
  }

  /**
   * Linear: `Linear-Signature` (hex), HMAC-SHA256 over the body; signed timestamp = body `webhookTimestamp`
   * (milliseconds); event ID derived from signed body fields by default, because the `Linear-Delivery`
   * header is not signed and a replay could change it.
   */
  public static linear(options: LinearProviderOptions = {}): WebhookProvider {
    const schemeOptions: LinearOptions = { eventIdSource: options.eventIdSource ?? LinearEventIdSource.PAYLOAD };
    return WebhookProvider.of(linearScheme, schemeOptions);
  }

  /** Builds a provider from a scheme; every factory above goes through here. */
  private static of<O>(scheme: SignatureScheme<O>, options: O): WebhookProvider {
    return new WebhookProvider(scheme.id, scheme.requiredHeaders(options), options as Record<string, unknown>);
  }

  private constructor(
    /** The scheme's identifier, e.g. `stripe`. */
    public readonly schemeId: string,
    /** Headers every genuine request carries; API Gateway refuses requests without them. */
    public readonly requiredHeaders: readonly string[],
    private readonly options: Record<string, unknown>,
  ) {}

  /** @internal */
  public _config(): ProviderConfig {
    return { scheme: this.schemeId, options: JSON.parse(JSON.stringify(this.options)) as Record<string, unknown> };
  }
}
