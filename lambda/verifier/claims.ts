import { createHash, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CLAIM_STATE, KEY_PREFIX, TABLE } from '../shared/contract';
import { DownstreamError } from './errors';

export type ClaimResult =
  /** This request owns the new claim and must enqueue, then mark it. */
  | { readonly kind: 'claimed'; readonly token: string }
  /** Another request already enqueued the event: nothing to do. */
  | { readonly kind: 'enqueued' }
  /** A claim exists whose enqueue never finished (or is still running): enqueue again. */
  | { readonly kind: 'unfinished' };

/**
 * The verifier's side of the idempotency table. A claim is one conditional write; a duplicate learns
 * the existing claim's state from the same call (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 */
export class ClaimStore {
  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  public async claim(eventId: string, eventType: string | undefined): Promise<ClaimResult> {
    const token = randomUUID();
    const now = this.clock();
    const item: Record<string, AttributeValue> = {
      [TABLE.PARTITION_KEY]: { S: claimKey(eventId) },
      [TABLE.STATE]: { S: CLAIM_STATE.PENDING },
      [TABLE.CLAIM_TOKEN]: { S: token },
      [TABLE.CLAIMED_AT]: { N: String(now) },
      [TABLE.TTL_ATTRIBUTE]: { N: String(this.expiry(now)) },
      ...(eventType ? { [TABLE.EVENT_TYPE]: { S: eventType.slice(0, 256) } } : {}),
    };
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': TABLE.PARTITION_KEY },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { kind: 'claimed', token };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new DownstreamError('claim', { cause: error });
      const state = error.Item?.[TABLE.STATE]?.S;
      return state === CLAIM_STATE.ENQUEUED ? { kind: 'enqueued' } : { kind: 'unfinished' };
    }
  }

  /**
   * Records a single-use value the provider signed (e.g. Mailgun's token). Returns false when it
   * was seen before. Kept for twice the tolerance window: after that the timestamp check refuses it.
   */
  public async recordNonce(nonce: string, keepSeconds: number): Promise<boolean> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          [TABLE.PARTITION_KEY]: { S: `${KEY_PREFIX.NONCE}${safeId(nonce)}` },
          [TABLE.TTL_ATTRIBUTE]: { N: String(Math.floor(this.clock() / 1000) + keepSeconds) },
        },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': TABLE.PARTITION_KEY },
      }));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw new DownstreamError('claim', { cause: error });
    }
  }

  /** Forgets a nonce whose request could not be enqueued, so the sender's retry is not refused. */
  public async releaseNonce(nonce: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [TABLE.PARTITION_KEY]: { S: `${KEY_PREFIX.NONCE}${safeId(nonce)}` } } }));
    } catch (error) {
      throw new DownstreamError('release', { cause: error });
    }
  }

  /**
   * Records that every matched queue holds the message. Unconditional: if the claim was released
   * meanwhile by a failed concurrent attempt, this attempt's sends still succeeded, so ENQUEUED is true.
   */
  public async markEnqueued(eventId: string): Promise<void> {
    const now = this.clock();
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [TABLE.PARTITION_KEY]: { S: claimKey(eventId) } },
        UpdateExpression: 'SET #state = :enqueued, #exp = if_not_exists(#exp, :exp), #at = if_not_exists(#at, :now)',
        ExpressionAttributeNames: { '#state': TABLE.STATE, '#exp': TABLE.TTL_ATTRIBUTE, '#at': TABLE.CLAIMED_AT },
        ExpressionAttributeValues: { ':enqueued': { S: CLAIM_STATE.ENQUEUED }, ':exp': { N: String(this.expiry(now)) }, ':now': { N: String(now) } },
      }));
    } catch (error) {
      throw new DownstreamError('mark', { cause: error });
    }
  }

  /** Gives a claim back after a failed enqueue, only if it is still this attempt's pending claim. */
  public async release(eventId: string, token: string): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: { [TABLE.PARTITION_KEY]: { S: claimKey(eventId) } },
        ConditionExpression: '#token = :token AND #state = :pending',
        ExpressionAttributeNames: { '#token': TABLE.CLAIM_TOKEN, '#state': TABLE.STATE },
        ExpressionAttributeValues: { ':token': { S: token }, ':pending': { S: CLAIM_STATE.PENDING } },
      }));
    } catch (error) {
      if (isConditionalCheckFailure(error)) return;
      throw new DownstreamError('release', { cause: error });
    }
  }

  private expiry(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retentionSeconds;
  }
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
