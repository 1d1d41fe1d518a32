import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ENV, payloadKey, type BodyReference } from '../shared/contract';
import { HandlerError } from '../shared/errors';

/**
 * Why a body kept in S3 (the claim check of a message too large for SQS) was not handed to the
 * handler. Every one fails the record: the handler never sees a body that is not exactly the one
 * the verifier checked.
 */
export type BodyReferenceFailure =
  /** The processor was given no event bucket (`HW_EVENT_BUCKET`, `eventBucket`), so it reads no body from S3. */
  | 'no_event_bucket'
  /** The message names another bucket than the processor's event bucket. */
  | 'foreign_bucket'
  /** The message names another object than the one the verifier keeps for this (processor, event, body). */
  | 'foreign_key'
  /** S3 did not return the object: missing (expired, deleted), access denied, throttled, unreachable. */
  | 'unreadable'
  /** The object is not as long as the message says. */
  | 'length_mismatch'
  /** The object's SHA-256 is not the one the message states: other bytes than those verified. */
  | 'digest_mismatch';

/** A message's body kept in S3 could not be read, or is not the body the message describes. */
export class BodyReferenceError extends HandlerError {
  public constructor(
    /** The SQS message that referred to the body. */
    public readonly messageId: string,
    public readonly reason: BodyReferenceFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BodyReferenceError', `message ${messageId}: ${message}`, options);
  }
}

/** Where one processor reads its large bodies from. */
export interface BodyStore {
  /** The processor's name: a body is kept under its own prefix. */
  readonly processorName: string;
  /** The endpoint's event bucket, the only bucket a body is read from. */
  readonly bucket?: string;
  /** Returns the S3 client, building it on first use when it is the shared one. */
  readonly client: () => S3Client;
}

/**
 * The exact body a message refers to: read from the processor's event bucket and checked against
 * the reference (object, length, SHA-256). Throws {@link BodyReferenceError}.
 */
export async function fetchBody(messageId: string, eventId: string, ref: BodyReference, store: BodyStore): Promise<Buffer> {
  checkLocation(messageId, eventId, ref, store);
  const where = `s3://${ref.bucket}/${ref.key}`;
  let response;
  try {
    response = await store.client().send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  } catch (error) {
    throw new BodyReferenceError(messageId, 'unreadable', `its body could not be read from ${where}: ${describe(error)}`, { cause: error });
  }
  // Checked before reading, so that an object replaced by a larger one is not read into memory.
  if (response.ContentLength !== undefined && response.ContentLength !== ref.bytes) {
    destroy(response.Body);
    throw lengthMismatch(messageId, where, response.ContentLength, ref.bytes);
  }
  let body: Buffer;
  try {
    if (!response.Body) throw new Error('the response has no body');
    const bytes = await response.Body.transformToByteArray();
    body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new BodyReferenceError(messageId, 'unreadable', `its body could not be read from ${where}: ${describe(error)}`, { cause: error });
  }
  if (body.length !== ref.bytes) throw lengthMismatch(messageId, where, body.length, ref.bytes);
  const digest = createHash('sha256').update(body).digest('hex');
  if (digest !== ref.sha256) {
    throw new BodyReferenceError(messageId, 'digest_mismatch', `the object at ${where} has SHA-256 ${digest}, not the ${ref.sha256} its message states`);
  }
  return body;
}

/**
 * The processor reads only the object the verifier writes for it: in its endpoint's event bucket,
 * at the key of (this processor, this event, this body). IAM already limits it to its own prefix;
 * this keeps a message from pointing it at any other bucket it can read, or at another event's body.
 */
function checkLocation(messageId: string, eventId: string, ref: BodyReference, store: BodyStore): void {
  if (store.bucket === undefined) {
    throw new BodyReferenceError(messageId, 'no_event_bucket', `its body is kept in bucket ${JSON.stringify(ref.bucket)}, but this processor has no event bucket: set ${ENV.EVENT_BUCKET} or options.eventBucket`);
  }
  if (ref.bucket !== store.bucket) {
    throw new BodyReferenceError(messageId, 'foreign_bucket', `it names bucket ${JSON.stringify(ref.bucket)} for its body; this processor reads bodies only from its event bucket ${JSON.stringify(store.bucket)}`);
  }
  const expected = payloadKey(store.processorName, sha256Hex(eventId), ref.sha256);
  if (ref.key !== expected) {
    throw new BodyReferenceError(messageId, 'foreign_key', `it names key ${JSON.stringify(ref.key)} for its body; the body of this event for processor ${JSON.stringify(store.processorName)} is kept at ${JSON.stringify(expected)}`);
  }
}

function lengthMismatch(messageId: string, where: string, actual: number, stated: number): BodyReferenceError {
  return new BodyReferenceError(messageId, 'length_mismatch', `the object at ${where} is ${actual} bytes long, not the ${stated} its message states`);
}

/** SHA-256 of a UTF-8 string, lowercase hex: how event IDs appear in object keys. */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Releases the connection of a response whose body will not be read. */
function destroy(body: unknown): void {
  const stream = body as { destroy?: () => void } | undefined;
  stream?.destroy?.();
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

let sharedClient: S3Client | undefined;

/** One client per execution environment, built when the first message that needs it arrives. */
export function sharedS3Client(): S3Client {
  sharedClient ??= new S3Client({});
  return sharedClient;
}
