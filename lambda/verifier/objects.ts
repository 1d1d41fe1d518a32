import { createHash } from 'node:crypto';
import { payloadKey, type BodyReference, type HexDigest, type ProcessorRoute } from '../shared/contract';
import type { Delivery } from './dispatch';
import { DownstreamError } from './errors';

/**
 * The verifier's access to the endpoint's event bucket: large bodies (the claim check) and the
 * archive. An interface with no SDK behind it here, because the S3 client is loaded only when an
 * object is first written (./s3.ts, bundled as a file of its own beside the verifier): the common
 * path — small bodies, no archive — never parses it.
 */
export interface EventBucket {
  /**
   * Stores one object. Resolves `'exists'` when `ifAbsent` is set and the key already holds an
   * object (S3's 412 to `If-None-Match: *`), which is left as it was; rejects on any other failure,
   * with the service's error as it is (the caller wraps it: an error class of another bundle fails
   * `instanceof`).
   */
  put(object: BucketObject): Promise<'stored' | 'exists'>;
}

/** One object the verifier writes. */
export interface BucketObject {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** SHA-256 of `body`, lowercase hex: S3 refuses the upload unless the bytes it received match it. */
  readonly sha256: HexDigest;
  /** Write only if nothing is at the key yet (`If-None-Match: *`): the first write wins. */
  readonly ifAbsent?: boolean;
}

/**
 * An {@link EventBucket} that loads its implementation on the first `put` (and never, when nothing
 * is written). A load that fails (a missing file) rejects that `put`, so the request answers 503
 * rather than the container failing to start; the next `put` tries again.
 */
export function lazyEventBucket(load: () => EventBucket): EventBucket {
  let loaded: EventBucket | undefined;
  return {
    async put(object) {
      loaded ??= load();
      return loaded.put(object);
    },
  };
}

/** SHA-256 of bytes or a UTF-8 string, lowercase hex. */
export function sha256Hex(data: Buffer | string): HexDigest {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The content type every large body is stored with, whatever the request said: the object holds
 * signed bytes for a processor, never a document S3 should present as HTML or script to anyone
 * handed a link to it.
 */
export const PAYLOAD_CONTENT_TYPE = 'application/octet-stream';

/**
 * Where each matched processor will find a large body: one object per processor (IAM lets each read
 * only `payloads/<its name>/*`), keyed by the event ID as sent and the body's digest, so a retry of
 * the same event writes the same bytes to the same keys.
 */
export function bodyReferences(bucket: string, routes: readonly ProcessorRoute[], eventId: string, body: Buffer, bodySha256: HexDigest): Map<string, BodyReference> {
  const eventDigest = sha256Hex(eventId);
  return new Map(routes.map((route) => [route.name, { bucket, key: payloadKey(route.name, eventDigest, bodySha256), bytes: body.length, sha256: bodySha256 }]));
}

/**
 * Stores a large body once per reference, all at once, and resolves when every object is stored.
 * Throws {@link DownstreamError} (`payload`) if any write failed: no message may point at an object
 * that is not there, and the retry writes the same bytes again.
 */
export async function storeBodies(bucket: EventBucket, delivery: Pick<Delivery, 'body'>, references: ReadonlyMap<string, BodyReference>): Promise<void> {
  const results = await Promise.allSettled([...references.values()].map((reference) => bucket.put({
    bucket: reference.bucket, key: reference.key, body: delivery.body, contentType: PAYLOAD_CONTENT_TYPE, sha256: reference.sha256,
  })));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw new DownstreamError('payload', { cause: failure.reason });
}
