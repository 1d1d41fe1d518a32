/**
 * The contract between `hardened-webhooks send` (argument parsing, the POST, the output) and the
 * signing core in this folder: what the CLI asks for, and the request it gets back to send.
 */

/** Where a generic HMAC endpoint reads a value: a request header or a dot-separated path into the JSON body. */
export type FieldLocation = { readonly header: string } | { readonly jsonPath: string };

/**
 * Options that change what is signed or sent, named as the construct's provider props name them
 * (`WebhookProvider.<provider>({...})`), so a user copies them from their stack. Each provider reads
 * only its own and ignores the rest.
 */
export interface SendOptions {
  // ---- generic HMAC (`WebhookProvider.hmac`) ----
  /** Header carrying the signature. Required for `hmac`: the construct requires it too. */
  readonly signatureHeader?: string;
  /** HMAC digest. Default `sha256`. */
  readonly algorithm?: 'sha1' | 'sha256' | 'sha512';
  /** How the digest is written. Default `hex`. */
  readonly encoding?: 'hex' | 'base64';
  /** Text before the digest, e.g. `sha256=`. Default none. */
  readonly prefix?: string;
  /** Header carrying the signed timestamp. Default none (nothing time-bound is signed). */
  readonly timestampHeader?: string;
  /** The timestamp counts milliseconds rather than seconds. */
  readonly timestampInMilliseconds?: boolean;
  /** Layout of the signed content with `{timestamp}` and `{body}`. Default `{timestamp}.{body}` with a timestamp header, `{body}` without. */
  readonly signedContent?: string;
  /** The construct's `eventId`: where the endpoint reads the event ID. Default the body's `id`. */
  readonly eventIdField?: FieldLocation;
  /** The construct's `eventType`: where the endpoint reads the event type. Default none (the endpoint reads no type). */
  readonly eventTypeField?: FieldLocation;

  // ---- GitHub ----
  /** Sign only with the legacy `X-Hub-Signature: sha1=…` header, as an old integration would (the endpoint needs `allowLegacySha1`). */
  readonly legacySha1?: boolean;
  /** The hook's content type: `json` (default) or `form` (`payload=<url-encoded JSON>`, the REST API's default for new hooks). */
  readonly contentType?: 'json' | 'form';

  // ---- Shopify ----
  /** Header family: `x-shopify` (webhooks, default) or `shopify` (Events deliveries); `any` sends `x-shopify`. */
  readonly headerStyle?: 'x-shopify' | 'shopify' | 'any';

  // ---- Standard Webhooks / Svix ----
  /** Header family: `webhook-*` or `svix-*`; `either` (or absent) sends the scheme's own family. */
  readonly headerPrefix?: 'webhook' | 'svix' | 'either';

  // ---- Twilio ----
  /** `HMAC_SHA1` (Auth Token, default) or `HMAC_SHA256` (SharedKey webhooks, announced in `X-Twilio-Webhooks-Signature-Settings`). */
  readonly signatureAlgorithm?: 'HMAC_SHA1' | 'HMAC_SHA256';

  // ---- Twilio and Linear ----
  /**
   * Where the endpoint takes the event ID from, so the returned `eventId` is the one it will see.
   * Twilio: `content` (default) or `idempotency-token`. Linear: `payload` (default) or `delivery`.
   */
  readonly eventIdSource?: 'content' | 'idempotency-token' | 'payload' | 'delivery';
}

export interface SendInput {
  /** Where the request is POSTed. */
  readonly url: string;
  /**
   * The URL the provider signs, when it differs from `url` (Twilio, Square: a tunnel or local server
   * receives what the provider signed for the public URL). Default `url`.
   */
  readonly signedUrl?: string;
  /**
   * The shared secret, as the endpoint's secret holds it. For Discord and SendGrid, whose endpoints
   * hold a PUBLIC key, the matching PRIVATE key instead (see `generateKeyPair`): PEM, or Discord's
   * 32-byte seed in hex, or SendGrid's base64 DER PKCS#8.
   */
  readonly secret: string;
  /** The event type, in the provider's own words (`payment_intent.succeeded`, `pull_request.opened`, `url_verification`). Default per provider. */
  readonly eventType?: string;
  /** A body to send byte for byte instead of the built one (Mailgun: see its provider). Headers are still derived. */
  readonly body?: Buffer;
  /**
   * The provider's event or delivery ID. Given, the whole request is deterministic (every other random
   * value is derived from it); absent, every call makes a fresh event.
   */
  readonly eventId?: string;
  /** The clock, in epoch milliseconds. Default `Date.now()`. */
  readonly now?: number;
  /** Added to the clock for everything the provider timestamps: negative makes a stale request. */
  readonly timestampOffsetSeconds?: number;
  readonly options?: SendOptions;
}

/** What an endpoint should answer to a handshake (URL verification, PING), when it is verified. */
export interface ExpectedReply {
  readonly statusCode: number;
  readonly body: string;
}

export interface SignedTestRequest {
  readonly method: 'POST';
  /** Where to POST: `input.url`, plus any query the provider adds (Twilio's `bodySHA256`). */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The event ID the endpoint will read (or derive), when it can be told in advance. */
  readonly eventId?: string;
  /** The event type the endpoint will route on, when it reads one. */
  readonly eventType?: string;
  /** One line for humans: provider, event, what was signed. */
  readonly description: string;
  /** For handshakes: the answer a correctly configured endpoint gives. */
  readonly expectedReply?: ExpectedReply;
}

/** The pair a Discord or SendGrid test endpoint needs: the public half for its secret, the private half to sign with. */
export interface TestKeyPair {
  /** In the format the endpoint's secret stores: Discord 64 hex characters, SendGrid base64 DER SPKI. */
  readonly publicKey: string;
  /** PKCS#8 PEM, for `SendInput.secret`. */
  readonly privateKey: string;
}
