import { createHash, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CLAIM_STATE, KEY_PREFIX, TABLE } from '../shared/contract';
import type { SignedContent } from './crypto';
import { DownstreamError } from './errors';

/** What the verifier claims for one verified request. */
export interface ClaimSubject {
  /** The provider's event ID: the claim key, unless {@link signedContent} is set. */
  readonly eventId: string;
  readonly eventType?: string;
  /**
   * The digest of the signed content, for events whose ID or type the signature does not cover:
   * then the claim is keyed by it and bound to the event ID, type and body.
   */
  readonly signedContent?: SignedContent;
  /** The exact body, for the binding of a content claim. */
  readonly body: Buffer;
}

export type ClaimResult =
  /** This request made the claim: it must enqueue, then mark it (or, with no processor, it is done). */
  | { readonly kind: 'claimed' }
  /** Another request already enqueued the event: nothing to do. */
  | { readonly kind: 'enqueued' }
  /**
   * A claim for this very event exists whose enqueue never finished (or is still running), or that
   * was ignored for want of a processor: route and enqueue again. `claimedAtMs` is when that claim
   * was made (the event's first receipt), when the claim says.
   */
  | { readonly kind: 'unfinished'; readonly claimedAtMs?: number }
  /**
   * The signed content is claimed by another event ID, type or body: the unsigned parts of a signed
   * request were changed. Nothing may be enqueued for it. `differs` is the weightiest part that
   * differs: the body, else the type, else only the ID.
   */
  | { readonly kind: 'conflict'; readonly differs: 'body' | 'type' | 'id' };

/** A claim written by an earlier version of the verifier under one of an event's former IDs. */
export interface LegacyClaim {
  readonly eventId: string;
  readonly state: 'enqueued' | 'pending';
}

/**
 * The verifier's side of the idempotency table. A claim is one conditional write; a duplicate learns
 * the existing claim's state from the same call (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 *
 * A claim is never deleted: one that failed to enqueue stays PENDING and the sender's retry, which
 * carries the same event, finishes it. Deleting it would free a content claim for any body (a Mailgun
 * token signs no body), and a write whose response was lost would find itself on the SDK's retry —
 * which is why a content claim names its owner in {@link TABLE.BINDING}.
 */
export class ClaimStore {
  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Claims the event. With `ignored`, no processor is subscribed: the claim is recorded as IGNORED
   * (only content claims need recording; the caller skips ID claims of ignored events, unless it
   * archives them: the claim then files every retry under the first receipt). With
   * `receivedAtMs`, the claim records that as its time (when the request arrived) rather than the
   * store's clock: the archive files a retried event under its first receipt by it.
   */
  public async claim(subject: ClaimSubject, options: { readonly ignored?: boolean; readonly receivedAtMs?: number } = {}): Promise<ClaimResult> {
    const now = options.receivedAtMs ?? this.clock();
    // The body is hashed once: its digest is stored, and the binding is built from it. When the
    // signature covers the body alone, the content's key is that digest already.
    const bodyDigest = subject.signedContent === undefined ? undefined : bodyDigestOf(subject.signedContent, subject.body);
    const binding = bodyDigest === undefined ? undefined : claimBinding(subject, bodyDigest);
    const item: Record<string, AttributeValue> = {
      [TABLE.PARTITION_KEY]: { S: claimKeyOf(subject) },
      [TABLE.STATE]: { S: options.ignored ? CLAIM_STATE.IGNORED : CLAIM_STATE.PENDING },
      [TABLE.CLAIM_TOKEN]: { S: randomUUID() },
      [TABLE.CLAIMED_AT]: { N: String(now) },
      [TABLE.TTL_ATTRIBUTE]: { N: String(this.expiry(now)) },
      [TABLE.EVENT_ID]: { S: subject.eventId.slice(0, 1024) },
      ...(subject.eventType ? { [TABLE.EVENT_TYPE]: { S: subject.eventType.slice(0, 256) } } : {}),
      ...(binding && bodyDigest ? { [TABLE.BINDING]: { S: binding }, [TABLE.BODY_SHA256]: { S: bodyDigest } } : {}),
    };
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': TABLE.PARTITION_KEY },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { kind: 'claimed' };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new DownstreamError('claim', { cause: error });
      // A write whose response was lost and that the SDK retried finds itself here: same binding, so
      // it is "unfinished" and the request goes on, rather than refusing a genuine delivery.
      if (binding !== undefined && error.Item?.[TABLE.BINDING]?.S !== binding) return { kind: 'conflict', differs: difference(error.Item, subject, bodyDigest) };
      if (error.Item?.[TABLE.STATE]?.S === CLAIM_STATE.ENQUEUED) return { kind: 'enqueued' };
      const claimedAtMs = epochMillis(error.Item?.[TABLE.CLAIMED_AT]?.N);
      return claimedAtMs === undefined ? { kind: 'unfinished' } : { kind: 'unfinished', claimedAtMs };
    }
  }

  /**
   * Records that every matched queue holds the message. Unconditional: only a request that made or
   * matched the claim gets here, and its sends succeeded, so ENQUEUED is true.
   */
  public async markEnqueued(subject: ClaimSubject): Promise<void> {
    const now = this.clock();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [TABLE.PARTITION_KEY]: { S: claimKeyOf(subject) } },
        UpdateExpression: 'SET #state = :enqueued, #exp = if_not_exists(#exp, :exp), #at = if_not_exists(#at, :now)',
        ExpressionAttributeNames: { '#state': TABLE.STATE, '#exp': TABLE.TTL_ATTRIBUTE, '#at': TABLE.CLAIMED_AT },
        ExpressionAttributeValues: { ':enqueued': { S: CLAIM_STATE.ENQUEUED }, ':exp': { N: String(this.expiry(now)) }, ':now': { N: String(now) } },
      }));
    } catch (error) {
      throw new DownstreamError('mark', { cause: error });
    }
  }

  /**
   * The state of the first claim an earlier version made under one of `eventIds` (strongly consistent
   * reads, stopping at the first found). Used only for events whose ID derivation changed.
   */
  public async legacyClaim(eventIds: readonly string[]): Promise<LegacyClaim | undefined> {
    for (const eventId of eventIds) {
      let state: string | undefined;
      try {
        const result = await this.client.send(new GetItemCommand({
          TableName: this.tableName,
          Key: { [TABLE.PARTITION_KEY]: { S: claimKey(eventId) } },
          ProjectionExpression: '#state',
          ExpressionAttributeNames: { '#state': TABLE.STATE },
          ConsistentRead: true,
        }));
        state = result.Item?.[TABLE.STATE]?.S;
      } catch (error) {
        throw new DownstreamError('claim', { cause: error });
      }
      if (state !== undefined) return { eventId, state: state === CLAIM_STATE.ENQUEUED ? 'enqueued' : 'pending' };
    }
    return undefined;
  }

  private expiry(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }
}

/** The key a subject is claimed under: its signed content's digest when set, else its event ID. */
export function claimKeyOf(subject: Pick<ClaimSubject, 'eventId' | 'signedContent'>): string {
  return subject.signedContent === undefined ? claimKey(subject.eventId) : `${KEY_PREFIX.CLAIM}${KEY_PREFIX.CONTENT}${subject.signedContent.key}`;
}

/** What a request that conflicts with a content claim changed, judged from the stored claim. */
function difference(item: Record<string, AttributeValue> | undefined, subject: ClaimSubject, bodyDigest: string | undefined): 'body' | 'type' | 'id' {
  if (item?.[TABLE.BODY_SHA256]?.S !== bodyDigest) return 'body';
  if (item?.[TABLE.EVENT_TYPE]?.S !== subject.eventType?.slice(0, 256)) return 'type';
  return 'id';
}

/** A stored epoch-milliseconds number, or `undefined` for anything that is not a plausible one. */
function epochMillis(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function bodyDigestOf(content: SignedContent, body: Buffer): string {
  return content.isExactly(body) ? content.key : sha256(body);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Who owns a content claim: the event ID, type and exact body (by its digest) it was made for. */
export function claimBinding(subject: Pick<ClaimSubject, 'eventId' | 'eventType'>, bodyDigest: string): string {
  // One JSON array: no two (ID, type, body) triples encode the same.
  return sha256(Buffer.from(JSON.stringify([subject.eventId, subject.eventType ?? null, bodyDigest]), 'utf8'));
}

function isConditionalCheckFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** SQS deduplication and group IDs: at most 128 characters of ASCII letters, digits and punctuation. */
const SQS_ID = /^[\x21-\x7e]{1,128}$/;

/** A provider ID fit for SQS and DynamoDB keys: itself when it fits, else a SHA-256 digest of it. */
export function safeId(value: string): string {
  return SQS_ID.test(value) ? value : `sha256-${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

export function claimKey(eventId: string): string {
  return `${KEY_PREFIX.CLAIM}${safeId(eventId)}`;
}
