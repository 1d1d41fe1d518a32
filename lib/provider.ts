import type { ProviderConfig } from '../lambda/shared/contract';
import { githubScheme, type GitHubOptions } from '../lambda/verifier/schemes/github';
import { hmacScheme, type FieldSource, type HmacOptions } from '../lambda/verifier/schemes/hmac';
import { stripeScheme } from '../lambda/verifier/schemes/stripe';
import type { SignatureScheme } from '../lambda/verifier/schemes/types';

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
