import { Duration, Lazy, Names, RemovalPolicy, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { BUCKET_PREFIX, SQS_MESSAGE_LIMIT_BYTES, WORST_JSON_ESCAPE } from '../../lambda/shared/contract';
import type { ArchiveOptions } from '../archive';
import { grantKeyThroughService } from './key-grants';
import { messageLifetime } from './retention';
import { checkovSkips } from './scanner-metadata';
import type { PropsValidator } from './validation';

/*
 * A body surely fits inside its SQS message when even its worst escaping does: SQS takes 1 MiB per
 * message, the envelope's other fields and the message attributes are allowed 64 KiB (an event ID
 * and type of ordinary length; the verifier measures every request's own, in
 * `mayExceedMessageLimit`, and answers 413 `message_too_large` where one without a bucket does not
 * fit), and JSON escaping writes one byte as at most six.
 */
const ENVELOPE_ALLOWANCE_BYTES = 64 * 1024;
/** The largest `maxBodySize` that needs no event bucket: 163,840 bytes (160 KiB). */
const SURELY_INLINE_BODY_BYTES = Math.floor((SQS_MESSAGE_LIMIT_BYTES - ENVELOPE_ALLOWANCE_BYTES) / WORST_JSON_ESCAPE);

const ARCHIVE_RETENTION_DAYS = { min: 1, max: 3650 };


/** How long a processor's large-body object must outlive its writing: as long as a message pointing at it ({@link messageLifetime}). */
export function payloadLifetime(queueRetention: Duration, deadLetterRetention: Duration): Duration {
  return messageLifetime(queueRetention, deadLetterRetention);
}

/** Whether an endpoint needs an event bucket: a body could be too large for its message, or it archives. */
export function needsEventBucket(maxBodyBytes: number, archive: ArchiveOptions | undefined): boolean {
  return archive !== undefined || maxBodyBytes > SURELY_INLINE_BODY_BYTES;
}

/** Adds the problems of `archive` to the endpoint's validator. */
export function validateArchiveOptions(v: PropsValidator, archive: ArchiveOptions | undefined): void {
  const days = archive?.retention.toDays({ integral: false });
  if (days === undefined || Token.isUnresolved(days)) return;
  v.range('archive.retention', days, ARCHIVE_RETENTION_DAYS.min, ARCHIVE_RETENTION_DAYS.max, ' days');
  v.check(!Number.isFinite(days) || Number.isInteger(days), `archive.retention must be whole days (lifecycle rules count days); got ${days} days`);
}

export interface EventBucketProps {
  /** The endpoint's key; SSE-S3 without it. */
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** Where S3 server access logs go; none without it. */
  readonly accessLogs?: s3.IBucket;
  /** Lifecycle of the archive's records, time index and replay markers; no archive rules without it. */
  readonly archive?: ArchiveOptions;
  /**
   * How long large-body objects must live: read when the template is synthesized, so that processors
   * added after the bucket count (the longest of them).
   */
  readonly payloadLifetime: () => Duration;
}

/**
 * The endpoint's event bucket: large bodies under `payloads/` (the claim check), the archive under
 * `archive/`. Private, TLS-only (1.2 or later), owner-enforced, encrypted with the endpoint's key
 * (S3 Bucket Key on) or SSE-S3, unversioned (so that an erasure leaves no older version behind; every
 * object is written once per digest), and each prefix expires on its own lifecycle rule.
 */
export function createEventBucket(scope: Construct, id: string, props: EventBucketProps): s3.Bucket {
  const lifecycleRules: s3.LifecycleRule[] = [
    {
      id: 'Payloads',
      prefix: BUCKET_PREFIX.PAYLOADS,
      // Whole days, rounded up: never before the last message that can point at an object is gone.
      expiration: Duration.days(Lazy.number({ produce: () => Math.ceil(props.payloadLifetime().toSeconds() / 86400) })),
    },
    // The verifier writes single PUTs; an operator's interrupted multipart upload is not kept.
    { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
  ];
  if (props.archive) {
    const expiration = Duration.days(props.archive.retention.toDays());
    lifecycleRules.push(
      { id: 'ArchiveRecords', prefix: BUCKET_PREFIX.ARCHIVE_BY_ID, expiration },
      { id: 'ArchiveTimeIndex', prefix: BUCKET_PREFIX.ARCHIVE_BY_TIME, expiration },
      // Counted from the replay, which comes after the event's receipt: a marker never expires
      // before the record it stops a second replay of.
      { id: 'ArchiveReplays', prefix: BUCKET_PREFIX.ARCHIVE_REPLAYS, expiration },
    );
  }
  const bucket = new s3.Bucket(scope, id, {
    encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey: props.encryptionKey,
    // One data key per bucket and period rather than one KMS call per object; the encryption context
    // becomes the bucket's ARN, which the grants below name.
    bucketKeyEnabled: props.encryptionKey ? true : undefined,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    removalPolicy: props.removalPolicy,
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: props.accessLogs ? `${Names.uniqueId(scope)}/` : undefined,
    lifecycleRules,
  });
  const unversioned = 'Unversioned on purpose: an erasure must leave no older version of an event behind, and every object is written once under a key that names its content digest (payloads) or with If-None-Match (archive records), so there is nothing a version would restore.';
  checkovSkips(bucket, { id: 'CKV_AWS_21', comment: unversioned });
  if (!props.accessLogs) {
    const noAccessLogs = 'Server access logs are opt-in (eventBucketAccessLogs): a log bucket of the webhook endpoint\'s own would need its own logging; every read and write is by the verifier, processor or operator roles granted here, which CloudTrail data events record.';
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: noAccessLogs });
    checkovSkips(bucket, { id: 'CKV_AWS_18', comment: noAccessLogs });
  }
  return bucket;
}

/**
 * The verifier stores large bodies and, with an archive, records and time-index entries: `s3:PutObject`
 * on those prefixes only — nothing it could read back, list or delete. An archive record may only be
 * created (`s3:if-none-match` present), never overwritten, so the first receipt's time stands. With a
 * customer-managed key: `kms:GenerateDataKey` through S3 for this bucket.
 */
export function grantVerifierWrites(bucket: s3.IBucket, grantee: iam.IGrantable, archive: boolean): iam.Grant {
  const writable = [BUCKET_PREFIX.PAYLOADS, ...(archive ? [BUCKET_PREFIX.ARCHIVE_BY_TIME] : [])];
  let grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: writable.map((prefix) => bucket.arnForObjects(`${prefix}*`)) });
  if (archive) {
    grant = grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [bucket.arnForObjects(`${BUCKET_PREFIX.ARCHIVE_BY_ID}*`)],
      conditions: { Null: { 's3:if-none-match': 'false' } },
    }));
  }
  grantBucketKey(bucket, grantee, ['kms:GenerateDataKey']);
  acknowledgePrefixes(bucket, grantee, [...writable, ...(archive ? [BUCKET_PREFIX.ARCHIVE_BY_ID] : [])],
    'The webhook verifier may only PutObject under the event bucket prefixes it writes (large bodies; archive records and time index): the key names a content digest, unknown until the request arrives.');
  return grant;
}

/**
 * A processor reads the large bodies routed to it: `s3:GetObject` on `payloads/<its name>/*` only
 * (another processor's objects are under another name); with a customer-managed key,
 * `kms:Decrypt` through S3 for this bucket.
 */
export function grantProcessorReads(bucket: s3.IBucket, grantee: iam.IGrantable, processorName: string): iam.Grant {
  const prefix = `${BUCKET_PREFIX.PAYLOADS}${processorName}/`;
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
  grantBucketKey(bucket, grantee, ['kms:Decrypt']);
  acknowledgePrefixes(bucket, grantee, [prefix],
    `The webhook processor "${processorName}" may only GetObject the large bodies routed to it, under its own prefix of the event bucket; each key names the event's and the body's digests.`);
  return grant;
}

/**
 * Reading the archive (`hardened-webhooks archive show` and `list`): `s3:GetObject` on records (`archive/by-id/`) and erasure entries
 * (`archive/erasures/`), `s3:ListBucket` limited (`s3:prefix`) to `archive/by-id/`,
 * `archive/by-time/` and `archive/erasures/`; with a customer-managed key, `kms:Decrypt` through S3
 * for this bucket. Never a large body under `payloads/`.
 */
export function grantArchiveRead(bucket: s3.IBucket, grantee: iam.IGrantable): iam.Grant {
  return grantArchiveReadListing(bucket, grantee, []);
}

/** {@link grantArchiveRead}, with more prefixes in its one `s3:ListBucket` statement. */
function grantArchiveReadListing(bucket: s3.IBucket, grantee: iam.IGrantable, moreListPrefixes: readonly string[]): iam.Grant {
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:GetObject'],
    resourceArns: [BUCKET_PREFIX.ARCHIVE_BY_ID, BUCKET_PREFIX.ARCHIVE_ERASURES].map((prefix) => bucket.arnForObjects(`${prefix}*`)),
  }).combine(grantListPrefixes(bucket, grantee, [BUCKET_PREFIX.ARCHIVE_BY_ID, BUCKET_PREFIX.ARCHIVE_BY_TIME, BUCKET_PREFIX.ARCHIVE_ERASURES, ...moreListPrefixes]));
  grantBucketKey(bucket, grantee, ['kms:Decrypt']);
  acknowledgePrefixes(bucket, grantee, [BUCKET_PREFIX.ARCHIVE_BY_ID, BUCKET_PREFIX.ARCHIVE_ERASURES],
    'Reading the webhook archive: GetObject under the archive record and erasure prefixes of the event bucket only; each key names an event ID digest, unknown in advance.');
  return grant;
}

/**
 * What `hardened-webhooks replay` needs of the bucket: {@link grantArchiveRead}, with `s3:ListBucket`
 * of `archive/replays/` too; `s3:PutObject` on `payloads/*` for a body too large for its message;
 * and its replay markers: `s3:GetObject` on `archive/replays/*` (HeadObject: was this replay sent?
 * A missing marker answers 404 only to a caller who may list its prefix, else 403) and
 * `s3:PutObject` there only as a create (`s3:if-none-match` present: a marker is never rewritten).
 * With a customer-managed key, `kms:GenerateDataKey` through S3 for this bucket. The queues are
 * granted by the endpoint.
 */
export function grantReplayObjects(bucket: s3.IBucket, grantee: iam.IGrantable): iam.Grant {
  const markers = bucket.arnForObjects(`${BUCKET_PREFIX.ARCHIVE_REPLAYS}*`);
  const grant = grantArchiveReadListing(bucket, grantee, [BUCKET_PREFIX.ARCHIVE_REPLAYS])
    .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [bucket.arnForObjects(`${BUCKET_PREFIX.PAYLOADS}*`)] }))
    .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [markers] }))
    .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [markers], conditions: { Null: { 's3:if-none-match': 'false' } } }));
  grantBucketKey(bucket, grantee, ['kms:GenerateDataKey']);
  acknowledgePrefixes(bucket, grantee, [BUCKET_PREFIX.PAYLOADS],
    'Replaying a webhook event too large for its message stores its body again under the large-body prefix of the event bucket; the key names the processor and the event\'s and body\'s digests.');
  acknowledgePrefixes(bucket, grantee, [BUCKET_PREFIX.ARCHIVE_REPLAYS],
    'Replaying a webhook event looks up and creates its replay marker under the replay-marker prefix of the event bucket; the key names the event\'s digest, the processor and the replay ID, unknown in advance.');
  return grant;
}

/**
 * What `hardened-webhooks archive erase` needs: `s3:GetBucketVersioning` (to be sure no older
 * version would remain); `s3:GetObject` on records (to find the event's time-index entry);
 * `s3:ListBucket` limited to `archive/by-id/`, `archive/by-time/`, `payloads/` and
 * `archive/replays/` (to find the record, its entry, every processor's copy of the body and the
 * event's replay markers); `s3:DeleteObject` on records, time-index entries, large bodies and
 * replay markers; `s3:PutObject` on `archive/erasures/` only as a create
 * (`s3:if-none-match` present: the audit log is append-only). With a customer-managed key,
 * `kms:Decrypt` and `kms:GenerateDataKey` through S3 for this bucket.
 */
export function grantArchiveErase(bucket: s3.IBucket, grantee: iam.IGrantable): iam.Grant {
  const erased = [BUCKET_PREFIX.ARCHIVE_BY_ID, BUCKET_PREFIX.ARCHIVE_BY_TIME, BUCKET_PREFIX.PAYLOADS, BUCKET_PREFIX.ARCHIVE_REPLAYS];
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketVersioning'], resourceArns: [bucket.bucketArn] })
    .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${BUCKET_PREFIX.ARCHIVE_BY_ID}*`)] }))
    .combine(grantListPrefixes(bucket, grantee, erased))
    .combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:DeleteObject'], resourceArns: erased.map((prefix) => bucket.arnForObjects(`${prefix}*`)) }))
    .combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [bucket.arnForObjects(`${BUCKET_PREFIX.ARCHIVE_ERASURES}*`)],
      conditions: { Null: { 's3:if-none-match': 'false' } },
    }));
  grantBucketKey(bucket, grantee, ['kms:Decrypt', 'kms:GenerateDataKey']);
  acknowledgePrefixes(bucket, grantee, [...erased, BUCKET_PREFIX.ARCHIVE_ERASURES],
    'Erasing one webhook event by ID deletes its archive record, time-index entries, every processor\'s copy of its body and its replay markers, and writes an audit entry: each under its event bucket prefix, keyed by digests unknown in advance.');
  return grant;
}

function grantListPrefixes(bucket: s3.IBucket, grantee: iam.IGrantable, prefixes: readonly string[]): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
  });
}

/** With a Bucket Key, S3 asks KMS in the caller's name with the bucket's ARN as encryption context. */
function grantBucketKey(bucket: s3.IBucket, grantee: iam.IGrantable, actions: string[]): void {
  if (!bucket.encryptionKey) return;
  grantKeyThroughService(bucket, grantee, bucket.encryptionKey, 's3', actions, { 'kms:EncryptionContext:aws:s3:arn': bucket.bucketArn });
}

/**
 * cdk-nag reports each object-prefix resource of a role's policy (`<bucket>.Arn/<prefix>*`) as a
 * wildcard; each is acknowledged on the role, one finding at a time, with why it is the narrowest.
 */
function acknowledgePrefixes(bucket: s3.IBucket, grantee: iam.IGrantable, prefixes: readonly string[], reason: string): void {
  const role = grantee.grantPrincipal;
  const cfnBucket = bucket.node.defaultChild as CfnElement | undefined;
  if (!(role instanceof iam.Role) || !cfnBucket) return;
  const bucketId = Stack.of(cfnBucket).getLogicalId(cfnBucket);
  for (const prefix of prefixes) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, reason });
  }
}
