/**
 * A replayed event's SQS message: what the verifier sent for it, plus the replay marker. The
 * envelope (inline, or pointing at the stored body with `bodyRef`), attributes and size accounting
 * are the verifier's own (lambda/verifier/dispatch.ts `encodeMessage`), so a replay cannot drift
 * from an original.
 */
import {
  payloadKey, replayDeduplicationId, type ArchiveRecord, type BodyReference, type ReplayMarker,
} from '../../../lambda/shared/contract';
import { safeId } from '../../../lambda/verifier/claims';
import { encodeMessage, type Delivery, type EncodedMessage } from '../../../lambda/verifier/dispatch';
import { bodyOf, receivedAtMs, sha256Hex } from '../archive/store';

/** The delivery the verifier made of an archived event (same ID, type, group, bytes and receipt time). */
export function deliveryOf(record: ArchiveRecord): Delivery {
  return {
    eventId: record.id,
    eventType: record.type,
    provider: record.provider,
    groupId: record.groupId,
    body: bodyOf(record),
    contentType: record.contentType,
    ...(record.jsonField === undefined ? {} : { jsonField: record.jsonField }),
    receivedAtMs: receivedAtMs(record),
  };
}

/** The message of a replayed delivery: inline, or pointing at `bodyRef` when given. */
export function replayMessage(delivery: Delivery, replay: ReplayMarker, bodyRef?: BodyReference): EncodedMessage {
  return encodeMessage(delivery, bodyRef, replay);
}

/** Where the body of a replay to `processor` is put when it cannot travel inline: the verifier's key for it. */
export function bodyReference(bucket: string, processor: string, delivery: Delivery): BodyReference {
  const sha256 = sha256Hex(delivery.body);
  return { bucket, key: payloadKey(processor, sha256Hex(delivery.eventId), sha256), bytes: delivery.body.length, sha256 };
}

/** The message group: the verifier's, made SQS-safe the same way (idempotent on an already safe ID). */
export function replayGroupId(record: ArchiveRecord): string {
  return safeId(record.groupId);
}

/** The deduplication ID: one per (event, replay ID), never the original's (see `replayDeduplicationId`). */
export function replayDedupId(eventId: string, replayId: string): string {
  return replayDeduplicationId(eventId, replayId);
}
