/**
 * The event bucket over the AWS SDK's S3 client. Bundled as a file of its own beside the verifier
 * (`assets/verifier/s3.js`, scripts/bundle-handlers.mjs) and `require`d on the first write: the S3
 * client is a large part of the SDK (its XML protocol, checksums, S3's own endpoint rules), and a
 * verifier that sends no large body and keeps no archive must not parse it at every cold start.
 *
 * Nothing of the verifier is imported here but types: this file is a bundle of its own, and a class
 * it shared with the verifier would be a second copy (an `instanceof` across the two would fail).
 * So failures leave as the SDK raised them, and the verifier wraps them.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { BucketObject, EventBucket } from './objects';

/** Builds the event bucket's client with the verifier's options (timeouts, and its credential provider). */
export function createEventBucket(config: S3ClientConfig): EventBucket {
  return new S3EventBucket(new S3Client(config));
}

export class S3EventBucket implements EventBucket {
  public constructor(private readonly client: S3Client) {}

  public async put(object: BucketObject): Promise<'stored' | 'exists'> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType,
        // Given, the SDK computes no checksum of its own (a second pass over up to 4.5 MiB), and S3
        // stores the object only if the bytes it received have this digest.
        ChecksumSHA256: Buffer.from(object.sha256, 'hex').toString('base64'),
        ...(object.ifAbsent ? { IfNoneMatch: '*' } : {}),
      }));
      return 'stored';
    } catch (error) {
      if (object.ifAbsent && isPreconditionFailed(error)) return 'exists';
      throw error;
    }
  }
}

/**
 * S3's answer to `If-None-Match: *` when the key holds an object: 412 PreconditionFailed. (A 409
 * ConditionalRequestConflict — another conditional write of the key still in progress — is not:
 * whether that write will succeed is unknown, so it fails like any other error and the sender's
 * retry asks again.)
 */
function isPreconditionFailed(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'PreconditionFailed' || $metadata?.httpStatusCode === 412;
}
