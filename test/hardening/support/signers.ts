/**
 * One small signer per provider scheme, for the hardening suite (property tests, the bad-input corpus,
 * the secrets-hygiene and soak runs). Each signs exactly as the scheme's own tests do
 * (test/lambda/verifier/schemes/*.test.ts), which check the hand-signing against the provider's SDK.
 *
 * A signer turns an {@link EventSeed} (event ID, type, extra fields), a key and a signing time into
 * the request the provider would send. It also says which headers the signature covers and whether
 * the scheme signs a timestamp, so the properties know which mutations must be refused.
 */
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as signData, type KeyObject } from 'node:crypto';
import fc from 'fast-check';

export type HeaderMap = Record<string, string>;

/** Key material for one signer. */
export interface KeyMaterial {
  /** The value the endpoint's secret holds: the shared secret, or the provider's PUBLIC key. */
  readonly stored: string;
  /** What signs: the shared secret, or the private key. */
  readonly signing: string | Buffer | KeyObject;
}

/** What an event is about; each signer lays it out the way its provider does. */
export interface EventSeed {
  /** The provider's event ID (for schemes that derive it, a part of what it is derived from). */
  readonly id: string;
  readonly type: string;
  /** Arbitrary JSON fields placed where the provider puts its event data. */
  readonly extra: Record<string, unknown>;
  /** Pretty-print the JSON body (the verifier must check the raw bytes, not a re-serialisation). */
  readonly pretty: boolean;
}

/** A request as the provider sends it. */
export interface SignedRequest {
  readonly body: Buffer;
  readonly headers: HeaderMap;
  /** Query string parameters of the URL the provider called. */
  readonly query?: Record<string, string>;
  /** The event ID the verifier must find, when it is predictable from the seed. */
  readonly expectedId?: string;
}

export interface SignOptions {
  /** Add signatures that do not match (other secrets, other versions) next to the genuine one, where the format allows. */
  readonly decoys?: boolean;
  /**
   * Picks one of a scheme's delivery variants, where it has several: Twilio (SHA-1 or SharedKey
   * SHA-256, form or JSON body), GitHub (legacy SHA-1 header), Slack (form or JSON), Discord
   * (interaction type), Shopify/Standard Webhooks (header family), generic HMAC (base64url).
   */
  readonly variant?: number;
}

/** What an accepted request is claimed as: its event ID, and the signed-content digest for content claims. */
export interface VerdictIdentity {
  readonly id: string;
  readonly signedContent?: { readonly key: string };
}

export interface SchemeSigner {
  readonly id: string;
  /** Whether `sign` adds decoy signatures when asked (the header format carries several). */
  readonly decoys?: boolean;
  /** Relative cost of one case (public-key schemes are slower), to balance the test shards. */
  readonly weight?: number;
  /** Options for the scheme; random for schemes with many configurations (generic HMAC, Standard Webhooks). */
  readonly options: fc.Arbitrary<Record<string, unknown>>;
  /** Fresh key material. */
  readonly key: fc.Arbitrary<KeyMaterial>;
  /** `seconds`/`milliseconds`: a signed timestamp is held to the window. `none`: nothing time-bound is signed. */
  timestamp(options: Record<string, unknown>): 'seconds' | 'milliseconds' | 'none';
  /** Headers whose value the signature covers: changing one must be refused. */
  signedHeaders(options: Record<string, unknown>, request: SignedRequest): readonly string[];
  /** The public URL configured on the endpoint (schemes that sign the URL). */
  readonly publicUrl?: string;
  sign(seed: EventSeed, key: KeyMaterial, signedAtMs: number, options: Record<string, unknown>, sign?: SignOptions): SignedRequest;
  /**
   * For schemes whose signature covers less than every body byte (Mailgun signs only its timestamp
   * and token; Twilio signs decoded form parameters): why an accepted mutated body is still correct.
   * Returns undefined when it is, else the reason it is not.
   */
  acceptedMutation?(original: SignedRequest, mutated: SignedRequest, verdict: VerdictIdentity, originalVerdict: VerdictIdentity, options: Record<string, unknown>): string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Shared generators

/** A shared secret as a user would paste it: any non-empty Unicode text without NUL (HMAC pads keys with NUL). */
export const secretText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\u0000'));

const hmacKey = secretText.map((text): KeyMaterial => ({ stored: text, signing: text }));

/** Header-safe identifiers (visible ASCII), as providers send delivery IDs. */
export const headerId = fc.stringMatching(/^[\x21-\x7e]{1,48}$/);

/** Event types as providers name them. */
export const eventType = fc.stringMatching(/^[a-z][a-z_]{0,12}(\.[a-z_]{1,12}){0,2}$/);

export const jsonExtra = fc.dictionary(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' }),
  { maxKeys: 4 },
) as fc.Arbitrary<Record<string, unknown>>;

export const eventSeed: fc.Arbitrary<EventSeed> = fc.record({
  id: fc.oneof(headerId, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })),
  type: eventType,
  extra: jsonExtra,
  pretty: fc.boolean(),
});

function json(value: unknown, pretty: boolean): string {
  return pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}

const hex = (algorithm: 'sha1' | 'sha256' | 'sha512', key: string | Buffer, ...parts: (string | Buffer)[]) => mac(algorithm, key, parts).toString('hex');
const b64 = (algorithm: 'sha1' | 'sha256' | 'sha512', key: string | Buffer, ...parts: (string | Buffer)[]) => mac(algorithm, key, parts).toString('base64');

function mac(algorithm: 'sha1' | 'sha256' | 'sha512', key: string | Buffer, parts: (string | Buffer)[]): Buffer {
  const h = createHmac(algorithm, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

const seconds = (ms: number) => String(Math.floor(ms / 1000));
const decoyHex = (bytes: number) => 'f'.repeat(bytes * 2);
const noOptions = fc.constant({} as Record<string, unknown>);

// ---------------------------------------------------------------------------------------------
// Asymmetric keys: P-256 pairs are slow to generate, so a small pool is made once per process.

export interface EcPair { readonly privateKey: KeyObject; readonly publicB64: string }
let ecPool: EcPair[] | undefined;
export function ecPairs(): EcPair[] {
  ecPool ??= Array.from({ length: 8 }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return { privateKey, publicB64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
  });
  return ecPool;
}

let edPool: KeyMaterial[] | undefined;
function ed25519Pool(): KeyMaterial[] {
  edPool ??= Array.from({ length: 8 }, (_, i) => ed25519FromSeed(createHash('sha256').update(`discord-pool-${i}`).digest()));
  return edPool;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key pair from a 32-byte seed; the public half as Discord shows it (64 hex characters). */
export function ed25519FromSeed(seed: Uint8Array): KeyMaterial {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { stored: spki.subarray(spki.length - 32).toString('hex'), signing: privateKey };
}

// ---------------------------------------------------------------------------------------------
// The signers

const stripe: SchemeSigner = {
  id: 'stripe',
  decoys: true,
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'seconds',
  signedHeaders: () => ['Stripe-Signature'],
  sign(seed, key, at, _o, how = {}) {
    const body = json({ id: seed.id, object: 'event', type: seed.type, data: { object: seed.extra } }, seed.pretty);
    const t = seconds(at);
    const v1 = hex('sha256', key.signing as string, `${t}.`, body);
    const header = how.decoys ? `t=${t},v1=${decoyHex(32)},v0=${decoyHex(32)},v1=${v1}` : `t=${t},v1=${v1}`;
    return { body: Buffer.from(body), headers: { 'Stripe-Signature': header, 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

const github: SchemeSigner = {
  id: 'github',
  options: fc.record({ allowLegacySha1: fc.boolean() }),
  key: hmacKey,
  timestamp: () => 'none',
  signedHeaders: (_o, request) => ['X-Hub-Signature-256' in request.headers ? 'X-Hub-Signature-256' : 'X-Hub-Signature'],
  sign(seed, key, _at, options, how = {}) {
    const body = json({ action: seed.type, repository: { full_name: 'acme/api' }, ...seed.extra }, seed.pretty);
    const legacy = options.allowLegacySha1 === true && (how.variant ?? 0) % 2 === 1;
    const signature: HeaderMap = legacy
      ? { 'X-Hub-Signature': `sha1=${hex('sha1', key.signing as string, body)}` }
      : { 'X-Hub-Signature-256': `sha256=${hex('sha256', key.signing as string, body)}` };
    const id = headerSafe(seed.id);
    return { body: Buffer.from(body), headers: { ...signature, 'X-GitHub-Delivery': id, 'X-GitHub-Event': 'issues' }, expectedId: id };
  },
};

/** Generic HMAC: random header, digest, encoding, prefix, separator, timestamp and layout. */
const hmacOptions = fc.record({
  header: fc.constantFrom('X-Signature', 'X-Hook-Signature', 'Webhook-Sig'),
  algorithm: fc.constantFrom('sha1', 'sha256', 'sha512'),
  encoding: fc.constantFrom('hex', 'base64'),
  prefix: fc.constantFrom(undefined, 'sha256=', 'v1=', 'sig:'),
  separator: fc.constantFrom(undefined, ',', ' '),
  timestampHeader: fc.constantFrom(undefined, 'X-Timestamp'),
  timestampUnit: fc.constantFrom('seconds', 'milliseconds'),
  layout: fc.constantFrom('{timestamp}.{body}', 'v1:{timestamp}:{body}', '{body}.{timestamp}', '{body}', 'hook:{body}'),
  eventId: fc.constantFrom({ jsonPath: 'id' }, { jsonPath: 'meta.id' }, { header: 'X-Event-Id' }),
  eventType: fc.constantFrom({ jsonPath: 'type' }, { jsonPath: 'type' }, { header: 'X-Event-Type' }),
}).map((o) => {
  const hasTimestamp = o.timestampHeader !== undefined;
  const layout = hasTimestamp === o.layout.includes('{timestamp}') ? o.layout : hasTimestamp ? '{timestamp}.{body}' : '{body}';
  const options: Record<string, unknown> = {
    header: o.header, algorithm: o.algorithm, encoding: o.encoding, eventId: o.eventId, eventType: o.eventType,
    signedContent: layout,
  };
  if (o.prefix !== undefined) options.prefix = o.prefix;
  if (o.separator !== undefined) options.separator = o.separator;
  if (hasTimestamp) {
    options.timestampHeader = o.timestampHeader;
    options.timestampUnit = o.timestampUnit;
  }
  return options;
});

/**
 * The signature header is the one header a signature cannot cover. An edit of it that leaves the
 * genuine digest as one of its separator-split parts (e.g. `…Brg==` → `…Brg,=`: the unpadded
 * spelling, which the scheme accepts, beside a malformed part it ignores) is still that signature.
 * Anything else accepted is not excused.
 */
function sameHmacSignature(original: SignedRequest, mutated: SignedRequest, verdict: VerdictIdentity, originalVerdict: VerdictIdentity, o: Record<string, unknown>): string | undefined {
  const header = o.header as string;
  const changed = Object.keys({ ...original.headers, ...mutated.headers }).filter((name) => original.headers[name] !== mutated.headers[name]);
  if (!original.body.equals(mutated.body) || changed.length !== 1 || changed[0] !== header) return 'a signed part of the request changed';
  if (verdict.id !== originalVerdict.id || verdict.signedContent?.key !== originalVerdict.signedContent?.key) return 'the event read differs';
  const prefix = (o.prefix as string | undefined) ?? '';
  const canonical = (part: string) => {
    const encoded = part.trim().startsWith(prefix) ? part.trim().slice(prefix.length) : undefined;
    if (encoded === undefined) return undefined;
    return o.encoding === 'hex' ? encoded.toLowerCase() : encoded.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  };
  const genuine = canonical(original.headers[header] ?? '');
  const parts = (mutated.headers[header] ?? '').split((o.separator as string | undefined) ?? '\u0000');
  return genuine !== undefined && parts.some((part) => canonical(part) === genuine) ? undefined : 'the signature header no longer carries the genuine digest';
}

const hmac: SchemeSigner = {
  id: 'hmac',
  decoys: true,
  acceptedMutation: sameHmacSignature,
  options: hmacOptions,
  key: hmacKey,
  timestamp: (o) => (o.timestampHeader ? (o.timestampUnit === 'milliseconds' ? 'milliseconds' : 'seconds') : 'none'),
  signedHeaders: (o) => [o.header as string, ...(o.timestampHeader ? [o.timestampHeader as string] : [])],
  sign(seed, key, at, o, how = {}) {
    const eventId = o.eventId as { jsonPath?: string; header?: string };
    const idInHeader = eventId.header !== undefined;
    const id = idInHeader ? headerSafe(seed.id) : seed.id;
    const payload: Record<string, unknown> = { type: seed.type, data: seed.extra };
    if (eventId.jsonPath === 'id') payload.id = id;
    if (eventId.jsonPath === 'meta.id') payload.meta = { id };
    const body = json(payload, seed.pretty);
    const timestamp = o.timestampHeader ? (o.timestampUnit === 'milliseconds' ? String(Math.floor(at)) : seconds(at)) : '';
    const layout = o.signedContent as string;
    const at_ = layout.indexOf('{body}');
    const fill = (text: string) => text.split('{timestamp}').join(timestamp);
    const digest = mac(o.algorithm as 'sha256', key.signing as string, [fill(layout.slice(0, at_)), body, fill(layout.slice(at_ + 6))]);
    const encoded = o.encoding === 'hex' ? digest.toString('hex') : (how.variant ?? 0) % 2 === 1 ? digest.toString('base64url') : digest.toString('base64');
    const prefix = (o.prefix as string | undefined) ?? '';
    let value = `${prefix}${encoded}`;
    if (how.decoys && o.separator) {
      const decoy = `${prefix}${o.encoding === 'hex' ? '0'.repeat(digest.length * 2) : Buffer.alloc(digest.length).toString('base64')}`;
      value = [decoy, value].join(o.separator as string);
    }
    const headers: HeaderMap = { [o.header as string]: value, 'Content-Type': 'application/json' };
    if (o.timestampHeader) headers[o.timestampHeader as string] = timestamp;
    if (idInHeader) headers['X-Event-Id'] = id;
    if ((o.eventType as { header?: string }).header !== undefined) headers['X-Event-Type'] = seed.type;
    return { body: Buffer.from(body), headers, expectedId: id };
  },
};

const mailgun: SchemeSigner = {
  id: 'mailgun',
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'seconds',
  signedHeaders: () => [],
  sign(seed, key, at) {
    // The token is derived from the seed so the same seed signs the same token (a replay).
    const token = createHash('sha256').update(`token:${seed.id}:${seed.type}`).digest('hex').slice(0, 50);
    const timestamp = seconds(at);
    const signature = { timestamp, token, signature: hex('sha256', key.signing as string, timestamp, token) };
    const body = json({ signature, 'event-data': { ...seed.extra, id: seed.id, event: seed.type } }, seed.pretty);
    return { body: Buffer.from(body), headers: { 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
  acceptedMutation(_original, _mutated, verdict, originalVerdict) {
    // Mailgun signs only timestamp + token: any other byte may change, but the request is claimed
    // under the digest of that signed content, so it can be one event at most.
    return verdict.signedContent !== undefined && verdict.signedContent.key === originalVerdict.signedContent?.key
      ? undefined
      : `accepted under signed content ${verdict.signedContent?.key}, not ${originalVerdict.signedContent?.key}`;
  },
};

const sendgrid: SchemeSigner = {
  id: 'sendgrid',
  weight: 4,
  options: noOptions,
  key: fc.nat({ max: 7 }).map((i): KeyMaterial => ({ stored: ecPairs()[i].publicB64, signing: ecPairs()[i].privateKey })),
  timestamp: () => 'seconds',
  signedHeaders: () => ['X-Twilio-Email-Event-Webhook-Signature', 'X-Twilio-Email-Event-Webhook-Timestamp'],
  sign(seed, key, at) {
    const event = { email: 'a@example.com', event: seed.type, sg_event_id: seed.id, sg_message_id: 'm.1', timestamp: 1, ...withoutKeys(seed.extra, ['sg_event_id', 'event']) };
    const body = `${json([event], seed.pretty)}\r\n`;
    const timestamp = seconds(at);
    const signature = signData('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), key.signing as KeyObject).toString('base64');
    return {
      body: Buffer.from(body),
      headers: { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp, 'Content-Type': 'application/json' },
      expectedId: seed.id,
    };
  },
};

const pagerduty: SchemeSigner = {
  id: 'pagerduty',
  decoys: true,
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'none',
  signedHeaders: () => ['X-PagerDuty-Signature'],
  sign(seed, key, _at, _o, how = {}) {
    const body = json({ event: { id: seed.id, event_type: seed.type, resource_type: 'incident', data: seed.extra } }, seed.pretty);
    const v1 = `v1=${hex('sha256', key.signing as string, body)}`;
    return { body: Buffer.from(body), headers: { 'X-PagerDuty-Signature': how.decoys ? `v1=${decoyHex(32)},${v1}` : v1, 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

const discord: SchemeSigner = {
  id: 'discord',
  weight: 5,
  options: noOptions,
  // Deriving an Ed25519 pair costs ~0.5 ms: a pool of 8 made once keeps 10,000 cases fast.
  key: fc.nat({ max: 7 }).map((i) => ed25519Pool()[i]),
  timestamp: () => 'seconds',
  signedHeaders: () => ['X-Signature-Ed25519', 'X-Signature-Timestamp'],
  sign(seed, key, at, _o, how = {}) {
    const kind = 2 + ((how.variant ?? 0) % 4);
    const body = json({ ...seed.extra, id: seed.id, type: kind, application_id: '7', data: { name: seed.type } }, seed.pretty);
    const timestamp = seconds(at);
    const signature = signData(null, Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), key.signing as KeyObject).toString('hex');
    return { body: Buffer.from(body), headers: { 'X-Signature-Ed25519': signature, 'X-Signature-Timestamp': timestamp, 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

function standardWebhooksSigner(id: 'standard-webhooks' | 'svix', fallback: 'webhook' | 'svix'): SchemeSigner {
  return {
    id,
    decoys: true,
    options: fc.constantFrom<Record<string, unknown>>({}, { headerPrefix: 'webhook' }, { headerPrefix: 'svix' }, { headerPrefix: 'either' }),
    key: fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes): KeyMaterial => {
      const secret = `whsec_${Buffer.from(bytes).toString('base64')}`;
      return { stored: secret, signing: Buffer.from(bytes) };
    }),
    timestamp: () => 'seconds',
    signedHeaders: (_o, request) => Object.keys(request.headers).filter((name) => /-(id|timestamp|signature)$/.test(name)),
    sign(seed, key, at, o, how = {}) {
      const configured = (o.headerPrefix as string | undefined) ?? fallback;
      const prefix = configured === 'either' ? ((how.variant ?? 0) % 2 === 0 ? 'webhook' : 'svix') : configured;
      const body = json({ type: seed.type, data: seed.extra }, seed.pretty);
      const msgId = headerSafe(seed.id).replace(/ /g, '_');
      const timestamp = seconds(at);
      const v1 = `v1,${b64('sha256', key.signing as Buffer, `${msgId}.${timestamp}.`, body)}`;
      const signature = how.decoys ? `v1a,${Buffer.alloc(64).toString('base64')} v1,${Buffer.alloc(32, 1).toString('base64')} ${v1}` : v1;
      return {
        body: Buffer.from(body),
        headers: { [`${prefix}-id`]: msgId, [`${prefix}-timestamp`]: timestamp, [`${prefix}-signature`]: signature, 'Content-Type': 'application/json' },
        expectedId: msgId,
      };
    },
  };
}

const paddle: SchemeSigner = {
  id: 'paddle',
  decoys: true,
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'seconds',
  signedHeaders: () => ['Paddle-Signature'],
  sign(seed, key, at, _o, how = {}) {
    const body = json({ event_id: seed.id, event_type: seed.type, notification_id: 'ntf_1', occurred_at: '2023-11-14T22:13:20.000Z', data: seed.extra }, seed.pretty);
    const ts = seconds(at);
    const h1 = hex('sha256', key.signing as string, `${ts}:`, body);
    return { body: Buffer.from(body), headers: { 'Paddle-Signature': how.decoys ? `ts=${ts};h1=${h1};h1=${decoyHex(32)}` : `ts=${ts};h1=${h1}`, 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

const intercom: SchemeSigner = {
  id: 'intercom',
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'none',
  signedHeaders: () => ['X-Hub-Signature'],
  sign(seed, key) {
    const body = json({ type: 'notification_event', app_id: 'app1', id: seed.id, topic: seed.type, data: { item: seed.extra }, delivery_attempts: 1 }, seed.pretty);
    return { body: Buffer.from(body), headers: { 'X-Hub-Signature': `sha1=${hex('sha1', key.signing as string, body)}`, 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

const linear: SchemeSigner = {
  id: 'linear',
  options: fc.constantFrom<Record<string, unknown>>({}, { eventIdSource: 'payload' }, { eventIdSource: 'delivery' }),
  key: hmacKey,
  timestamp: () => 'milliseconds',
  signedHeaders: () => ['Linear-Signature'],
  sign(seed, key, at, o) {
    const createdAt = '2023-11-14T22:13:19.512Z';
    const [type, action = 'update'] = seed.type.split('.');
    const body = json({ action, type, createdAt, organizationId: 'org_1', webhookId: seed.id, data: { ...seed.extra, id: 'iss_1' }, webhookTimestamp: Math.floor(at) }, seed.pretty);
    const delivery = `d-${createHash('sha256').update(seed.id).digest('hex').slice(0, 16)}`;
    const expectedId = o.eventIdSource === 'delivery' ? delivery : `${seed.id}:${type}.${action}:iss_1:${createdAt}`;
    return { body: Buffer.from(body), headers: { 'Linear-Signature': hex('sha256', key.signing as string, body), 'Linear-Delivery': delivery, 'Content-Type': 'application/json' }, expectedId };
  },
};

const slack: SchemeSigner = {
  id: 'slack',
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'seconds',
  signedHeaders: () => ['X-Slack-Signature', 'X-Slack-Request-Timestamp'],
  sign(seed, key, at, _o, how = {}) {
    const form = (how.variant ?? 0) % 3 === 2;
    const id = form ? headerSafe(seed.id) : seed.id;
    const body = form
      ? new URLSearchParams({ team_id: 'T1', command: `/${seed.type}`, text: JSON.stringify(seed.extra), trigger_id: id }).toString()
      : json({ token: 'x', team_id: 'T1', type: 'event_callback', event_id: id, event_time: 1, event: { type: seed.type, ...seed.extra } }, seed.pretty);
    const ts = seconds(at);
    return {
      body: Buffer.from(body),
      headers: { 'X-Slack-Signature': `v0=${hex('sha256', key.signing as string, `v0:${ts}:`, body)}`, 'X-Slack-Request-Timestamp': ts, 'Content-Type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
      expectedId: id,
    };
  },
};

const shopify: SchemeSigner = {
  id: 'shopify',
  options: fc.constantFrom<Record<string, unknown>>({}, { headerStyle: 'x-shopify' }, { headerStyle: 'shopify' }, { headerStyle: 'any' }),
  key: hmacKey,
  timestamp: () => 'none',
  signedHeaders: (_o, request) => Object.keys(request.headers).filter((name) => /hmac-sha256$/i.test(name)),
  sign(seed, key, _at, o, how = {}) {
    const style = o.headerStyle === 'shopify' || (o.headerStyle === 'any' && (how.variant ?? 0) % 2 === 1) ? '' : 'X-';
    const body = json({ id: 820982911946154500, note: seed.type, ...seed.extra }, seed.pretty);
    const id = headerSafe(seed.id);
    return {
      body: Buffer.from(body),
      headers: {
        [`${style}Shopify-Hmac-Sha256`]: b64('sha256', key.signing as string, body),
        [`${style}Shopify-Event-Id`]: id,
        [`${style}Shopify-Topic`]: 'orders/create',
        [`${style}Shopify-Shop-Domain`]: 'shop.myshopify.com',
        'Content-Type': 'application/json',
      },
      expectedId: id,
    };
  },
};

const TWILIO_URL = 'https://hooks.example.com/twilio';

const twilio: SchemeSigner = {
  id: 'twilio',
  options: fc.constantFrom<Record<string, unknown>>({}, { eventIdSource: 'content' }),
  key: hmacKey,
  publicUrl: TWILIO_URL,
  timestamp: () => 'none',
  signedHeaders: () => ['X-Twilio-Signature'],
  sign(seed, key, _at, _o, how = {}) {
    const variant = how.variant ?? 0;
    const sha256 = variant % 2 === 1;
    const algorithm = sha256 ? 'sha256' : 'sha1';
    const settings: HeaderMap = sha256 ? { 'X-Twilio-Webhooks-Signature-Settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256' } : {};
    if (variant % 4 >= 2) {
      // JSON body: the URL carries bodySHA256 and the signature covers the URL alone.
      const body = json({ type: seed.type, id: seed.id, data: seed.extra }, seed.pretty);
      const bodyHash = createHash('sha256').update(body).digest('hex');
      const signature = b64(algorithm, key.signing as string, `${TWILIO_URL}?bodySHA256=${bodyHash}`);
      return { body: Buffer.from(body), headers: { 'X-Twilio-Signature': signature, 'Content-Type': 'application/json', ...settings }, query: { bodySHA256: bodyHash } };
    }
    const params: Record<string, string> = { MessageSid: `SM${createHash('sha1').update(seed.id).digest('hex').slice(0, 32)}`, MessageStatus: seed.type, AccountSid: 'AC1' };
    for (const [name, value] of Object.entries(seed.extra)) params[`X${name}`] = JSON.stringify(value) ?? 'null';
    const body = new URLSearchParams(params).toString();
    const data = Object.keys(params).sort().map((name) => name + params[name]).join('');
    return { body: Buffer.from(body), headers: { 'X-Twilio-Signature': b64(algorithm, key.signing as string, TWILIO_URL + data), 'Content-Type': 'application/x-www-form-urlencoded', ...settings } };
  },
  acceptedMutation: formEquivalence,
};

/**
 * Twilio signs the URL followed by the decoded parameters concatenated, so other byte strings verify:
 * `+` for `%20`, and any re-split of the same concatenation (`B=odyPay` for `Body=Pay`, `&=`). What
 * must hold is that such a body is the same signed content, and so the same event and the same claim.
 */
function formEquivalence(original: SignedRequest, _mutated: SignedRequest, verdict: VerdictIdentity, originalVerdict: VerdictIdentity): string | undefined {
  if (original.query?.bodySHA256 !== undefined) return 'a changed JSON body was accepted under bodySHA256';
  if (verdict.signedContent === undefined || verdict.signedContent.key !== originalVerdict.signedContent?.key) return `accepted as other signed content ${verdict.signedContent?.key}`;
  return verdict.id === originalVerdict.id ? undefined : `same signed content, different event ID ${verdict.id}`;
}

const SQUARE_URL = 'https://hooks.example.com/square';

const square: SchemeSigner = {
  id: 'square',
  options: fc.constantFrom<Record<string, unknown>>({}, { notificationUrl: SQUARE_URL }),
  key: hmacKey,
  publicUrl: SQUARE_URL,
  timestamp: () => 'none',
  signedHeaders: () => ['x-square-hmacsha256-signature'],
  sign(seed, key) {
    const body = json({ merchant_id: 'M1', type: seed.type, event_id: seed.id, created_at: '2023-11-14T22:13:20Z', data: { type: 'payment', id: 'p1', object: seed.extra } }, seed.pretty);
    return { body: Buffer.from(body), headers: { 'x-square-hmacsha256-signature': b64('sha256', key.signing as string, SQUARE_URL, body), 'Content-Type': 'application/json' }, expectedId: seed.id };
  },
};

const zoom: SchemeSigner = {
  id: 'zoom',
  options: noOptions,
  key: hmacKey,
  timestamp: () => 'seconds',
  signedHeaders: () => ['x-zm-signature', 'x-zm-request-timestamp'],
  sign(seed, key, at) {
    const body = json({ event: seed.type, event_ts: 1_699_999_999_123, payload: { account_id: 'A1', object: { id: seed.id, ...seed.extra } } }, seed.pretty);
    const ts = seconds(at);
    return { body: Buffer.from(body), headers: { 'x-zm-signature': `v0=${hex('sha256', key.signing as string, `v0:${ts}:`, body)}`, 'x-zm-request-timestamp': ts, 'Content-Type': 'application/json' } };
  },
};

/** Every signer, by scheme ID. A scheme registered in the verifier without a signer here fails the suite. */
export const SIGNERS: Readonly<Record<string, SchemeSigner>> = Object.fromEntries(
  [stripe, github, hmac, mailgun, sendgrid, pagerduty, discord, standardWebhooksSigner('standard-webhooks', 'webhook'), standardWebhooksSigner('svix', 'svix'),
    paddle, intercom, linear, slack, shopify, twilio, square, zoom].map((signer) => [signer.id, signer]),
);

function headerSafe(id: string): string {
  return /^[\x21-\x7e]+$/.test(id) ? id : `id-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

function withoutKeys(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

/** Fixed key material and a fixed-time signer for the data-driven corpus and the soak run. */
export function fixedKey(schemeId: string, secret: string): KeyMaterial {
  if (schemeId === 'sendgrid') return p256FromSeed(createHash('sha256').update(secret).digest());
  if (schemeId === 'discord') return ed25519FromSeed(createHash('sha256').update(secret).digest());
  if (schemeId === 'standard-webhooks' || schemeId === 'svix') {
    const bytes = createHash('sha256').update(secret).digest();
    return { stored: `whsec_${bytes.toString('base64')}`, signing: bytes };
  }
  return { stored: secret, signing: secret };
}

/** A P-256 key pair from a 32-byte scalar, so fixed keys are the same on every run. */
export function p256FromSeed(seed: Buffer): KeyMaterial {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(seed);
  const point = ecdh.getPublicKey();
  const privateKey = createPrivateKey({
    key: { kty: 'EC', crv: 'P-256', d: seed.toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  return { stored: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64'), signing: privateKey };
}
