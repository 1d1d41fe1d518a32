/**
 * Replay markers: an empty object at `replayMarkerKey(sha256(event ID), processor, replay ID)` in
 * the event bucket, written once SQS accepted a replay's message. The processor's once-per-replay
 * record stops a second run of the same replay only while it lives (days); the archive keeps an
 * event up to ten years. The marker is what makes "the same replay ID twice does nothing the
 * second time" hold for as long as the event can be replayed at all: it expires with the archive's
 * retention counted from the replay, so never before the event's record does, and an erasure
 * removes it with the event.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3CallError, ReplayMarkerUnknownError } from '../archive/errors';
import { isNotFound, type S3Api } from '../archive/store';

/** What the bucket says about one event's replay. */
export type MarkerLookup =
  | { readonly replayed: false }
  /** `at`: when the marker was written (S3's Last-Modified), when S3 gave it. */
  | { readonly replayed: true; readonly at?: string };

/**
 * Whether the marker exists. Only a 404 means "not replayed": anything else (a 403 above all, which
 * S3 answers for a missing key to a caller without `s3:ListBucket` on the prefix) throws
 * {@link ReplayMarkerUnknownError}, and the event is not sent — a guess of "absent" would send it again.
 */
export async function lookUpReplayMarker(s3: S3Api, bucket: string, key: string): Promise<MarkerLookup> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { replayed: true, ...(head.LastModified === undefined ? {} : { at: head.LastModified.toISOString() }) };
  } catch (error) {
    if (isNotFound(error)) return { replayed: false };
    throw new ReplayMarkerUnknownError(`s3://${bucket}/${key}`, error);
  }
}

/**
 * Writes the marker, create-only (`If-None-Match: *`): a marker already there (412, another run of
 * the same replay got there first) is left as it was, which is what this write would have made.
 */
export async function writeReplayMarker(s3: S3Api, bucket: string, key: string): Promise<void> {
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0), IfNoneMatch: '*' }));
  } catch (error) {
    if (isPreconditionFailed(error)) return;
    throw new S3CallError('PutObject', `s3://${bucket}/${key}`, error);
  }
}

/**
 * S3's answer to `If-None-Match: *` when the key holds an object. A 409 ConditionalRequestConflict
 * (another conditional write of the key in progress, which may yet fail) is not: it is reported.
 */
function isPreconditionFailed(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412;
}
