/**
 * Every name that the CDK constructs and the Lambda handlers must agree on.
 *
 * Both sides import this module; nothing here may import aws-cdk-lib or an AWS SDK, because it is
 * bundled into every handler.
 */
import { createHash } from 'node:crypto';

/** Environment variables the construct sets and the handlers read. */
export const ENV = {
  /** JSON-encoded {@link VerifierConfig} for the verifier function. */
  VERIFIER_CONFIG: 'HW_VERIFIER_CONFIG',
  /** Name of the idempotency table (verifier claims and processor records). */
  TABLE_NAME: 'HW_TABLE_NAME',
  /** The processor's name; prefixes its idempotency records. */
  PROCESSOR_NAME: 'HW_PROCESSOR_NAME',
  /**
   * The endpoint a processor belongs to (its construct path): with the processor's name, the
   * dimensions of its metrics — processor names are unique per endpoint only.
   */
  ENDPOINT_NAME: 'HW_ENDPOINT_NAME',
  /** How long a processor's completed marker is kept, in seconds. */
  PROCESSOR_RECORD_TTL_SECONDS: 'HW_PROCESSOR_RECORD_TTL_SECONDS',
  /** JSON map of token name → secret ARN for the processor's scoped tokens. */
  TOKENS: 'HW_TOKENS',
  /** Seconds a scoped token value is cached by the processor runtime. */
  TOKEN_CACHE_TTL_SECONDS: 'HW_TOKEN_CACHE_TTL_SECONDS',
  /** JSON-encoded {@link RotationConfig} for a scoped token's rotation function. */
  ROTATION_CONFIG: 'HW_ROTATION_CONFIG',
  /**
   * The endpoint's event bucket, on a processor: the only bucket its runtime fetches a large body
   * from (a message naming another bucket fails its record).
   */
  EVENT_BUCKET: 'HW_EVENT_BUCKET',
} as const;

/** CloudWatch namespace of every metric the handlers emit. */
export const METRIC_NAMESPACE = 'HardenedWebhooks';

/** Metric names the verifier, processors and token runtime emit (Embedded Metric Format). */
export const METRICS = {
  RECEIVED: 'Received',
  REJECTED: 'Rejected',
  SIGNATURE_FAILURES: 'SignatureFailures',
  DUPLICATES: 'Duplicates',
  /**
   * Signed content already claimed by an event with another ID, type or body arrived again: someone
   * re-sent captured bytes with changed unsigned parts (or a provider sent one body twice). Nothing is enqueued.
   */
  CONTENT_REPLAYS: 'ContentReplays',
  ENQUEUED: 'Enqueued',
  IGNORED: 'Ignored',
  DOWNSTREAM_FAILURES: 'DownstreamFailures',
  PROCESSED: 'Processed',
  PROCESSOR_FAILURES: 'ProcessorFailures',
  TOKEN_USAGE: 'TokenUsage',
  /**
   * Entries of the signing-secret value the verifier dropped as malformed (fail closed), counted once
   * per fetch of the value: a secret meant to be accepted during a roll is not.
   */
  SIGNING_SECRET_ENTRIES_DROPPED: 'SigningSecretEntriesDropped',
} as const;

/** Metric dimension names. */
export const DIMENSIONS = {
  ENDPOINT: 'Endpoint',
  REASON: 'Reason',
  PROCESSOR: 'Processor',
  TOKEN: 'Token',
} as const;

/** Attribute names of the idempotency table. Processor records use the same key and TTL attributes. */
export const TABLE = {
  PARTITION_KEY: 'id',
  TTL_ATTRIBUTE: 'expiration',
  STATE: 'state',
  CLAIM_TOKEN: 'claimToken',
  CLAIMED_AT: 'claimedAt',
  EVENT_TYPE: 'eventType',
  /** The provider's event ID a claim belongs to (a content claim is keyed by a digest, not by it). */
  EVENT_ID: 'eventId',
  /**
   * On a content claim: SHA-256 of the event ID, type and body the claim was made for. Only a request
   * carrying the same three may finish a claim that is not yet ENQUEUED.
   */
  BINDING: 'binding',
  /** On a content claim: SHA-256 (hex) of the body it was made for, to tell what a conflicting request changed. */
  BODY_SHA256: 'bodySha256',
  PROCESSORS: 'processors',
  /** Powertools idempotency attributes used by processor records. */
  POWERTOOLS_STATUS: 'status',
  POWERTOOLS_DATA: 'data',
  POWERTOOLS_IN_PROGRESS_EXPIRY: 'in_progress_expiration',
} as const;

/** Key prefixes: the verifier's claims and each processor's records never share a key. */
export const KEY_PREFIX = {
  CLAIM: 'claim#',
  /**
   * Follows {@link KEY_PREFIX.CLAIM} on claims keyed by a digest of the signed content rather than by
   * the event ID (schemes whose ID or type the signature does not cover). It holds a space, which no
   * ID claim's key can (IDs outside visible ASCII are claimed by their digest), so the two never meet.
   */
  CONTENT: 'content sha256:',
  /** Followed by the processor name and `#`; the IAM `dynamodb:LeadingKeys` condition uses it. */
  PROCESSOR: 'processor#',
} as const;

/** The states a verifier claim moves through. See README, "Idempotency state machine". */
export const CLAIM_STATE = {
  /** Claimed; the messages may or may not have been sent yet. */
  PENDING: 'PENDING',
  /** Every matched processor's queue accepted the message. */
  ENQUEUED: 'ENQUEUED',
  /**
   * No processor was subscribed to the event when it arrived; nothing was sent. Recorded for content
   * claims only, so that unsigned input cannot later turn the same signed bytes into another event.
   * The provider's own retry (same ID, type and body) is routed again.
   */
  IGNORED: 'IGNORED',
} as const;

/**
 * Value of a signing secret the construct created but nobody has set yet. The verifier treats it
 * like an empty secret: it answers 503 and accepts nothing.
 */
export const UNSET_SECRET_PLACEHOLDER = 'HARDENED_WEBHOOKS_SIGNING_SECRET_NOT_SET';

/** Message attribute names on the SQS messages the verifier sends. */
export const MESSAGE_ATTRIBUTES = {
  EVENT_ID: 'hw-event-id',
  EVENT_TYPE: 'hw-event-type',
  PROVIDER: 'hw-provider',
} as const;

/**
 * The `Token` dimension of a scoped token's metrics: its secret's name, which Secrets Manager keeps
 * unique per account and Region (token names are unique per stack only). The runtime knows the
 * secret by ARN — `arn:…:secret:<name>-<6 random characters>` — and takes the name from it; a value
 * that is not such an ARN (tests, hand-set configuration) is used as it is.
 */
export function tokenMetricId(secretArn: string): string {
  const name = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretArn)?.[1];
  return name ?? secretArn;
}

/** Version of the message envelope below; a processor refuses envelopes it does not know. */
export const ENVELOPE_VERSION = 1;

/** SQS's limit on a message: body and attributes (names, types and values), in UTF-8 bytes. */
export const SQS_MESSAGE_LIMIT_BYTES = 1024 * 1024;

/**
 * The most bytes JSON escaping writes for one byte of a body, or one UTF-16 unit of a string
 * (`\u00XX`): a bound on a message's size that needs no encoding.
 */
export const WORST_JSON_ESCAPE = 6;

/**
 * Where a body too large to travel inside its SQS message is kept (the claim check): in the
 * endpoint's event bucket, one object per (processor, event, body), so that IAM can let each
 * processor read only what was routed to it. Written before the message is sent; the same bytes
 * always land under the same key, so a retry overwrites nothing with anything else.
 */
export interface BodyReference {
  readonly bucket: string;
  readonly key: string;
  /** Length of the body in bytes. */
  readonly bytes: number;
  /** SHA-256 of the body, lowercase hex: the runtime checks the object against it. */
  readonly sha256: string;
}

/** Key prefixes of the endpoint's event bucket. Each has its own lifecycle rule and IAM grants. */
export const BUCKET_PREFIX = {
  /** Large bodies, `payloads/<processor>/<sha256(event ID)>/<sha256(body)>`. */
  PAYLOADS: 'payloads/',
  /** The archive's records, `archive/by-id/<sha256(event ID)>.json`, one {@link ArchiveRecord} each. */
  ARCHIVE_BY_ID: 'archive/by-id/',
  /**
   * The archive's time index, `archive/by-time/<YYYY-MM-DDTHH:MM>/<sha256(event ID)>`, empty
   * objects: list a minute's prefix to find the events received in it.
   */
  ARCHIVE_BY_TIME: 'archive/by-time/',
  /** One JSON object per erasure (who, when, which event digest, why); never holds event data. */
  ARCHIVE_ERASURES: 'archive/erasures/',
  /**
   * Replay markers, `archive/replays/<sha256(event ID)>/<processor>/<replay ID>`: see {@link replayMarkerKey}.
   * Empty objects; never hold event data.
   */
  ARCHIVE_REPLAYS: 'archive/replays/',
} as const;

/** SHA-256 of a UTF-8 string, lowercase hex: how event IDs appear in object keys. */
export type HexDigest = string;

/** The key of a large body's object. `eventDigest` and `bodyDigest` are lowercase hex SHA-256. */
export function payloadKey(processor: string, eventDigest: HexDigest, bodyDigest: HexDigest): string {
  return `${BUCKET_PREFIX.PAYLOADS}${processor}/${eventDigest}/${bodyDigest}`;
}

/** The key of an event's archive record. */
export function archiveRecordKey(eventDigest: HexDigest): string {
  return `${BUCKET_PREFIX.ARCHIVE_BY_ID}${eventDigest}.json`;
}

/** The key of an event's entry in the archive's time index: the minute it was received, UTC. */
export function archiveTimeKey(receivedAtMs: number, eventDigest: HexDigest): string {
  return `${BUCKET_PREFIX.ARCHIVE_BY_TIME}${new Date(receivedAtMs).toISOString().slice(0, 16)}/${eventDigest}`;
}

/**
 * The key of a replay marker: written (create-only, empty) by `hardened-webhooks replay` after SQS
 * accepted the replay's message, and looked up before sending, so that the same replay ID sent
 * again does nothing for as long as the archive keeps the event — the processor's once-per-replay
 * record expires much sooner. Holds no event data: the event appears only as its digest.
 */
export function replayMarkerKey(eventDigest: HexDigest, processor: string, replayId: string): string {
  return `${BUCKET_PREFIX.ARCHIVE_REPLAYS}${eventDigest}/${processor}/${replayId}`;
}

/** Version of {@link ArchiveRecord}. */
export const ARCHIVE_RECORD_VERSION = 1;

/**
 * What the archive keeps of a verified event: enough to send it to a processor again exactly as it
 * was first sent, and to show what identified it. Never a rejected request.
 */
export interface ArchiveRecord {
  readonly v: typeof ARCHIVE_RECORD_VERSION;
  readonly id: string;
  readonly type?: string;
  readonly provider: string;
  /** When the verifier first accepted it (ISO 8601); a later retry does not move it. */
  readonly receivedAt: string;
  /** The SQS message group it was (or would have been) sent in. */
  readonly groupId: string;
  readonly contentType?: string;
  readonly jsonField?: string;
  /** The request headers that identify the event (the scheme's, lower-case names), as received. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact signed bytes: UTF-8 text as is, anything else in base64. */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
}

/**
 * Marks a message sent again from the archive by `hardened-webhooks replay`. A replay runs once per
 * (processor, event, replay ID): the processor's once-per-event record of the original does not stop
 * it, and sending the same replay again does nothing.
 */
export interface ReplayMarker {
  /** Chosen by whoever replays (e.g. `fix-1234`): the same ID twice is one replay. */
  readonly id: string;
  /** When the replay was requested (ISO 8601). */
  readonly at: string;
}

/**
 * The deduplication ID of a replayed message: one per (event, replay ID), SQS-safe, and never an
 * original's. An original's is its event ID (or that ID's digest), any text a provider chooses; so
 * a replay's is a digest of both IDs, which no event ID can equal without a SHA-256 preimage — an
 * event literally named `evt_1#replay-fix-1` cannot make SQS drop the replay `fix-1` of `evt_1`.
 */
export function replayDeduplicationId(eventId: string, replayId: string): string {
  return `replay-${createHash('sha256').update(JSON.stringify([eventId, replayId]), 'utf8').digest('hex')}`;
}

/** The body of every SQS message the verifier sends to a processor queue. */
export interface WebhookEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  /** The provider's event ID (the idempotency key). */
  readonly id: string;
  /** The event type, when the provider states one. */
  readonly type?: string;
  /** The provider scheme that verified the request, e.g. `stripe`. */
  readonly provider: string;
  /** When the verifier accepted the request (ISO 8601). */
  readonly receivedAt: string;
  /**
   * The exact bytes that were signed: UTF-8 text as is, anything else in base64. Empty when the body
   * travels by {@link bodyRef}.
   */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  /** Set instead of `body` when the message could not carry it: where the exact bytes are kept. */
  readonly bodyRef?: BodyReference;
  /** Set on a message sent again from the archive. */
  readonly replay?: ReplayMarker;
  /** The verified request's content type, if any. */
  readonly contentType?: string;
  /**
   * Set when the body is an `application/x-www-form-urlencoded` form whose field of this name holds
   * the JSON payload (GitHub's `content_type: form` hooks, Slack interactivity): `json()` parses it.
   */
  readonly jsonField?: string;
}

/** One processor as the verifier sees it. */
export interface ProcessorRoute {
  readonly name: string;
  readonly queueUrl: string;
  /** Event type patterns; `*` matches any run of characters. Empty means every event. */
  readonly eventTypes: readonly string[];
}

/** Provider choice serialised for the verifier. */
export interface ProviderConfig {
  readonly scheme: string;
  readonly options: Record<string, unknown>;
}

/** Everything the verifier needs, passed as one JSON environment variable. */
export interface VerifierConfig {
  readonly endpointName: string;
  readonly provider: ProviderConfig;
  readonly signingSecretArn: string;
  readonly secretCacheTtlSeconds: number;
  readonly toleranceSeconds: number;
  readonly maxBodyBytes: number;
  readonly tableName: string;
  readonly retentionSeconds: number;
  /** JSON path (dot-separated) to the value naming the message group; empty means the provider default. */
  readonly groupKeyPath?: string;
  /** The public URL the sender calls, when set explicitly (Twilio, Square sign it). */
  readonly publicUrl?: string;
  readonly processors: readonly ProcessorRoute[];
  /**
   * The endpoint's event bucket, when it has one: bodies whose message would exceed SQS's limit go
   * there (see {@link BodyReference}); without it they are refused with 413.
   */
  readonly eventBucket?: string;
  /** Set when the endpoint archives every verified event (in {@link eventBucket}). */
  readonly archive?: ArchiveConfig;
}

/** The archive as the verifier sees it. */
export interface ArchiveConfig {
  /** Lower-case names of the request headers kept with each event (see {@link ArchiveRecord.headers}). */
  readonly headers: readonly string[];
}

/** Machine-readable codes of every response the verifier gives. */
export const ERROR_CODES = {
  MALFORMED_REQUEST: 'malformed_request',
  MALFORMED_BODY: 'malformed_body',
  BODY_TOO_LARGE: 'body_too_large',
  MISSING_SIGNATURE: 'missing_signature',
  MISSING_HEADER: 'missing_header',
  CONFLICTING_HEADER: 'conflicting_header',
  MALFORMED_SIGNATURE: 'malformed_signature',
  BAD_SIGNATURE: 'bad_signature',
  MALFORMED_TIMESTAMP: 'malformed_timestamp',
  STALE_TIMESTAMP: 'timestamp_out_of_window',
  MISSING_EVENT_ID: 'missing_event_id',
  /**
   * The signed content was already received as another event (another type, or another body under a
   * signature that does not cover the body): the unsigned parts were changed.
   */
  CONFLICTING_REPLAY: 'conflicting_replay',
  /** The event, once encoded for SQS, would not fit in a message. */
  MESSAGE_TOO_LARGE: 'message_too_large',
  SECRET_UNAVAILABLE: 'signing_secret_unavailable',
  DOWNSTREAM_UNAVAILABLE: 'downstream_unavailable',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * Value of a scoped token secret before its first rotation has issued a token (CloudFormation
 * creates the secret with it; the rotation that runs at deployment replaces it). The runtime
 * refuses to hand it out and the rotation never sends it to an issuer.
 */
export const UNISSUED_TOKEN_PLACEHOLDER = 'HARDENED_WEBHOOKS_TOKEN_NOT_ISSUED';

/** Version of {@link TokenSecretValue}. */
export const TOKEN_VALUE_VERSION = 1;

/**
 * What each version of a scoped token secret holds (JSON). Services that check a random token
 * read the same secret and compare against `token`.
 */
export interface TokenSecretValue {
  readonly v: typeof TOKEN_VALUE_VERSION;
  /** The token itself. */
  readonly token: string;
  /** The issuer's ID for the token (what a third-party API revokes by), when it gives one. */
  readonly tokenId?: string;
  /** When the rotation stored it (ISO 8601). */
  readonly issuedAt: string;
  /** When the issuer says it expires (ISO 8601), if it does. */
  readonly expiresAt?: string;
  /** Anything else the issuer returned for its own later calls (activate, test, revoke). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Secrets Manager staging labels the rotation moves. */
export const STAGES = {
  CURRENT: 'AWSCURRENT',
  PENDING: 'AWSPENDING',
  PREVIOUS: 'AWSPREVIOUS',
} as const;

/**
 * Tags the rotation function keeps on a scoped token secret: which version became AWSCURRENT when,
 * so that the grace of the AWSPREVIOUS version is measured from the moment it was replaced.
 */
export const TOKEN_TAGS = {
  CURRENT_VERSION: 'hardened-webhooks:current-version',
  CURRENT_SINCE: 'hardened-webhooks:current-since',
} as const;

/** The event a schedule sends the rotation function to revoke an AWSPREVIOUS token whose grace is over. */
export const REVOKE_PREVIOUS_ACTION = 'hardened-webhooks:revoke-previous';
export interface RevokePreviousEvent {
  readonly action: typeof REVOKE_PREVIOUS_ACTION;
}

/** Issuer choice serialised for the rotation function. */
export type IssuerConfig =
  | { readonly kind: 'random'; readonly length: number }
  | { readonly kind: 'lambda'; readonly functionName: string };

/** Everything a scoped token's rotation function needs, passed as one JSON environment variable. */
export interface RotationConfig {
  /** The token's name, e.g. `orders-write`. */
  readonly tokenName: string;
  /** The only secret this function rotates. */
  readonly secretArn: string;
  /** How long the AWSPREVIOUS token stays valid after it was replaced, in seconds. */
  readonly graceSeconds: number;
  readonly issuer: IssuerConfig;
}

/** Version of the issuer Lambda contract ({@link TokenIssuerRequest}). */
export const ISSUER_CONTRACT_VERSION = 1;

/** What a `TokenIssuer.fromFunction()` function is asked to do. See README, "Plugging an issuer". */
export const ISSUER_ACTIONS = {
  MINT: 'mint',
  ACTIVATE: 'activate',
  TEST: 'test',
  REVOKE: 'revoke',
} as const;
export type IssuerAction = (typeof ISSUER_ACTIONS)[keyof typeof ISSUER_ACTIONS];

/** A token as the issuer Lambda receives it for `activate`, `test` and `revoke`. */
export interface IssuedTokenRef {
  readonly value: string;
  readonly tokenId?: string;
  readonly expiresAt?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The payload the rotation function invokes a `TokenIssuer.fromFunction()` function with (synchronously). */
export interface TokenIssuerRequest {
  readonly v: typeof ISSUER_CONTRACT_VERSION;
  readonly action: IssuerAction;
  /** The scoped token's name, e.g. `orders-write`. */
  readonly tokenName: string;
  /** The secret that stores the token. */
  readonly secretArn: string;
  /**
   * The Secrets Manager version ID of the token concerned. The same for every call about one
   * token, including retries: use it as the idempotency key of your API's mint call.
   */
  readonly versionId: string;
  /** The token concerned; absent for `mint`. */
  readonly token?: IssuedTokenRef;
}

/** What a `mint` must return. */
export interface TokenIssuerMintResponse {
  /** The new token (1–8192 characters). */
  readonly token: string;
  /** Your API's ID for the token, passed back on `activate`, `test` and `revoke`. */
  readonly tokenId?: string;
  /** ISO 8601 expiry, if your API sets one. */
  readonly expiresAt?: string;
  /** String values passed back on later calls. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What a `test` must return; `ok: false` (or a thrown error) fails the rotation before AWSCURRENT moves. */
export interface TokenIssuerTestResponse {
  readonly ok: boolean;
  readonly reason?: string;
}
