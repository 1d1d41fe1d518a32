/**
 * `hardened-webhooks archive erase`: remove every object of one event from its endpoint's event
 * bucket — the payload objects under each processor's `payloads/<name>/<digest>/`, its replay
 * markers under `archive/replays/<digest>/`, the time-index entry of its first receipt, its archive
 * record — then write an audit object under
 * `archive/erasures/` that says who erased which event digest, when, why, and which keys went. The
 * audit never holds the event ID or anything of the event.
 *
 * Order: the audit entry first, then payloads, replay markers, time entry, record last. The audit is written before
 * anything is deleted, so no erasure — however it ends — goes unrecorded; the record is what finds
 * the time entry, so an erasure cut short (a failed delete, Ctrl-C) is completed by running it
 * again, which writes a second audit entry. A bucket with versioning
 * (the construct creates none, but an operator may turn it on) keeps a deleted object's data as an
 * older version: there every version and delete marker of each key is removed.
 *
 * Not covered, and said so in --help: messages still in queues or dead-letter queues carry small
 * bodies inline; a retry's time-index entry in another minute (empty, it holds only the digest)
 * stays until the archive's retention expires it.
 */
import {
  DeleteObjectCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import {
  archiveRecordKey, archiveTimeKey, BUCKET_PREFIX, type HexDigest,
} from '../../../lambda/shared/contract';
import { ArchiveInputError, AuditWriteError, CallerUnknownError, InvalidArchiveRecordError, S3CallError } from './errors';
import { isNotFound, parseArchiveRecord, receivedAtMs, sha256Hex, type S3Api } from './store';

export type StsApi = Pick<STSClient, 'send'>;

/** Version of {@link ErasureAudit}. */
export const ERASURE_AUDIT_VERSION = 1;

/** The most characters a reason may have: a ticket reference and a sentence, not a document. */
const MAX_REASON_LENGTH = 1000;

/** What `archive/erasures/<erasedAt>-<digest>.json` holds. */
export interface ErasureAudit {
  readonly v: typeof ERASURE_AUDIT_VERSION;
  /** SHA-256 of the event ID: the ID itself is what was erased. */
  readonly eventDigest: HexDigest;
  readonly erasedAt: string;
  /** The caller's ARN (STS GetCallerIdentity). */
  readonly erasedBy: string;
  readonly reason: string;
  readonly bucket: string;
  /**
   * Every key the erasure deletes (with its version, in a versioned bucket), written before the
   * deletes. A payload object's key is given up to the event's digest: its last part is the body's
   * digest, which would confirm a guess at the erased body.
   */
  readonly keysDeleted: readonly string[];
  /** Whether the archive record was among them. */
  readonly recordFound: boolean;
  /** Whether versions were deleted too (`on`), there were none (`off`), or the caller could not tell (`unknown`). */
  readonly versioning: Versioning;
}

export interface EraseOptions {
  readonly bucket: string;
  readonly eventId: string;
  readonly reason: string;
  /** Processors whose payload prefix is searched, besides every processor name found under `payloads/`. */
  readonly processors: readonly string[];
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export interface EraseResult {
  readonly eventDigest: HexDigest;
  /** Whether anything of the event was found (and so deleted). */
  readonly found: boolean;
  readonly recordFound: boolean;
  readonly keysDeleted: readonly string[];
  /** Where the audit object was written; absent when nothing was found (nothing erased, nothing to audit). */
  readonly auditKey?: string;
  readonly erasedBy: string;
  /**
   * Whether the bucket keeps versions: `on`, every version was deleted; `unknown`, the caller may
   * not read the bucket's versioning (s3:GetBucketVersioning), and the objects were deleted as in
   * an unversioned bucket — the construct's — with a warning that older versions would remain if
   * someone turned versioning on.
   */
  readonly versioning: Versioning;
}

export type Versioning = 'off' | 'on' | 'unknown';

/** One object version to delete; `versionId` only in a bucket with versioning. */
interface Found {
  readonly key: string;
  readonly versionId?: string;
  /** A delete marker: a version without content. */
  readonly deleteMarker?: boolean;
}

export async function eraseEvent(s3: S3Api, sts: StsApi, options: EraseOptions): Promise<EraseResult> {
  const { bucket, eventId } = options;
  checkErasureInput(eventId, options.reason);
  const erasedBy = await callerArn(sts);
  const versioning = await versioningOf(s3, bucket);
  const digest = sha256Hex(eventId);
  const objects = new ObjectFinder(s3, bucket, versioning === 'on');

  const recordKey = archiveRecordKey(digest);
  const record = await objects.exact(recordKey);
  const readable = record.find((o) => !o.deleteMarker);
  const timeKey = readable === undefined ? undefined : await timeKeyOf(s3, bucket, recordKey, readable, digest);
  const names = [...new Set([...options.processors, ...(await objects.childNames(BUCKET_PREFIX.PAYLOADS))])].sort();
  const payloads = (await Promise.all(names.map((name) => objects.under(`${BUCKET_PREFIX.PAYLOADS}${name}/${digest}/`)))).flat();
  // Empty, and named by the event's digest, a processor and a replay ID only; but the event is
  // forgotten, so nothing keeps saying it was replayed.
  const replays = await objects.under(`${BUCKET_PREFIX.ARCHIVE_REPLAYS}${digest}/`);
  const time = timeKey === undefined ? [] : await objects.exact(timeKey);

  // The record last: while it exists, running the erasure again finds everything else.
  const all = [...payloads, ...replays, ...time, ...record];
  const keysDeleted = [...new Set(all.map((o) => auditedKey(o, digest)))];
  const result = { eventDigest: digest, found: all.length > 0, recordFound: record.length > 0, keysDeleted, erasedBy, versioning };
  if (!result.found) return result;

  const erasedAt = (options.now ?? (() => new Date()))().toISOString();
  const audit: ErasureAudit = {
    v: ERASURE_AUDIT_VERSION, eventDigest: digest, erasedAt, erasedBy, reason: options.reason, bucket, keysDeleted, recordFound: result.recordFound, versioning,
  };
  const auditKey = `${BUCKET_PREFIX.ARCHIVE_ERASURES}${erasedAt}-${digest}.json`;
  try {
    // Never over another audit: the log of erasures is append-only. Written before any delete, so
    // an erasure that dies half-way is still on record.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: auditKey, Body: JSON.stringify(audit), ContentType: 'application/json', IfNoneMatch: '*' }));
  } catch (error) {
    throw new AuditWriteError(auditKey, audit, error);
  }
  for (const object of all) await deleteObject(s3, bucket, object);
  return { ...result, auditKey };
}

/** How the audit names a deleted object: a payload object by its folder, never by its body's digest. */
function auditedKey(object: Found, eventDigest: HexDigest): string {
  const folder = `/${eventDigest}/`;
  const key = object.key.startsWith(BUCKET_PREFIX.PAYLOADS) && object.key.includes(folder)
    ? `${object.key.slice(0, object.key.indexOf(folder) + folder.length)}…`
    : object.key;
  return object.versionId === undefined ? key : `${key}?versionId=${object.versionId}`;
}

/** The erasure's input, checked before any call. The reason goes into the audit object, which must not name the event. */
export function checkErasureInput(eventId: string, reason: string): void {
  if (eventId === '') throw new ArchiveInputError('--event', 'must not be empty');
  if (reason.trim() === '') throw new ArchiveInputError('--reason', 'must say why (a ticket, a request reference); got an empty reason');
  if (reason.length > MAX_REASON_LENGTH) throw new ArchiveInputError('--reason', `at most ${MAX_REASON_LENGTH} characters; got ${reason.length}`);
  if (reason.includes(eventId)) {
    throw new ArchiveInputError('--reason', 'must not contain the event ID: the audit object keeps only its digest, so that the erased ID is not written again');
  }
}

async function callerArn(sts: StsApi): Promise<string> {
  try {
    const arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    if (arn) return arn;
    throw new Error('the answer has no ARN');
  } catch (error) {
    throw new CallerUnknownError(error);
  }
}

async function versioningOf(s3: S3Api, bucket: string): Promise<Versioning> {
  try {
    const status = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
    // Suspended still keeps the versions written while it was on.
    return status === 'Enabled' || status === 'Suspended' ? 'on' : 'off';
  } catch (error) {
    if (isAccessDenied(error)) return 'unknown';
    throw new S3CallError('GetBucketVersioning of', `s3://${bucket}`, error);
  }
}

function isAccessDenied(error: unknown): boolean {
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name === 'AccessDenied' || $metadata?.httpStatusCode === 403;
}

/**
 * The time-index entry of the record's first receipt. A record that cannot be read still goes (it
 * is at this event's key); its time entry then cannot be named and stays until it expires.
 */
async function timeKeyOf(s3: S3Api, bucket: string, recordKey: string, record: Found, digest: HexDigest): Promise<string | undefined> {
  let text: string;
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: recordKey, VersionId: record.versionId }));
    text = await answer.Body?.transformToString('utf8') ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new S3CallError('GetObject', `s3://${bucket}/${recordKey}`, error);
  }
  try {
    return archiveTimeKey(receivedAtMs(parseArchiveRecord(recordKey, text, digest)), digest);
  } catch (error) {
    if (error instanceof InvalidArchiveRecordError) return undefined;
    throw error;
  }
}

async function deleteObject(s3: S3Api, bucket: string, object: Found): Promise<void> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.key, VersionId: object.versionId }));
  } catch (error) {
    throw new S3CallError('DeleteObject', `s3://${bucket}/${object.key}`, error);
  }
}

/** Lists objects, or in a versioned bucket every version and delete marker. */
class ObjectFinder {
  public constructor(private readonly s3: S3Api, private readonly bucket: string, private readonly versioned: boolean) {}

  /** The object at exactly this key. */
  public async exact(key: string): Promise<Found[]> {
    return (await this.under(key)).filter((o) => o.key === key);
  }

  /** Every object (version) whose key starts with the prefix. */
  public async under(prefix: string): Promise<Found[]> {
    const found: Found[] = [];
    await this.pages(prefix, undefined, (page) => found.push(...page.objects));
    return found;
  }

  /** The names of the "folders" directly under a prefix (`payloads/<name>/`): processors that ever had a large body. */
  public async childNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    await this.pages(prefix, '/', (page) => names.push(...page.prefixes.map((p) => p.slice(prefix.length, -1)).filter((n) => n !== '')));
    return names;
  }

  private async pages(prefix: string, delimiter: string | undefined, visit: (page: { objects: Found[]; prefixes: string[] }) => void): Promise<void> {
    const operation = this.versioned ? 'ListObjectVersions' : 'ListObjectsV2';
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    let token: string | undefined;
    try {
      for (;;) {
        if (this.versioned) {
          const page = await this.s3.send(new ListObjectVersionsCommand({
            Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, KeyMarker: keyMarker, VersionIdMarker: versionMarker,
          }));
          const objects: Found[] = [];
          for (const v of page.Versions ?? []) if (v.Key !== undefined && v.VersionId !== undefined) objects.push({ key: v.Key, versionId: v.VersionId });
          for (const m of page.DeleteMarkers ?? []) if (m.Key !== undefined && m.VersionId !== undefined) objects.push({ key: m.Key, versionId: m.VersionId, deleteMarker: true });
          visit({ objects, prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '') });
          if (!page.IsTruncated) return;
          [keyMarker, versionMarker] = [page.NextKeyMarker, page.NextVersionIdMarker];
        } else {
          const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }));
          visit({ objects: (page.Contents ?? []).filter((c) => c.Key !== undefined).map((c) => ({ key: c.Key as string })), prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '') });
          if (!page.IsTruncated) return;
          token = page.NextContinuationToken;
        }
      }
    } catch (error) {
      throw new S3CallError(operation, `s3://${this.bucket}/${prefix}`, error);
    }
  }
}
