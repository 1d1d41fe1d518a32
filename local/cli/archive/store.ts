/**
 * Reading the archive the verifier writes into an endpoint's event bucket (keys and record shape:
 * lambda/shared/contract.ts). Every record is checked before it is used: it must be the version
 * this CLI knows and its event ID must hash to the key it is stored under, so that an object put at
 * the wrong key (by mistake or by someone who may write to the bucket) is never replayed as another event.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  ARCHIVE_RECORD_VERSION, archiveRecordKey, BUCKET_PREFIX, type ArchiveRecord, type HexDigest,
} from '../../../lambda/shared/contract';
import { inParallel } from '../in-parallel';
import { InvalidArchiveRecordError, S3CallError } from './errors';
import { inRange, type TimeRange } from './time';

/** The S3 calls the archive commands make (an `S3Client` fits as it is; tests may wrap one). */
export type S3Api = Pick<S3Client, 'send'>;

/** Records read at once: enough to hide S3's latency, few enough for a laptop's connection pool. */
export const READ_CONCURRENCY = 8;

/** SHA-256 of a UTF-8 string, lowercase hex: how an event ID appears in object keys. */
export function sha256Hex(value: string | Buffer): HexDigest {
  return createHash('sha256').update(value).digest('hex');
}

/** The event's archive record, or undefined when the archive has none. */
export async function readRecord(s3: S3Api, bucket: string, eventId: string): Promise<ArchiveRecord | undefined> {
  const record = await readRecordByDigest(s3, bucket, sha256Hex(eventId));
  // A record whose ID hashes to this key but differs from the one asked for would be a SHA-256 collision.
  if (record !== undefined && record.id !== eventId) throw new InvalidArchiveRecordError(archiveRecordKey(sha256Hex(eventId)), 'it holds another event ID');
  return record;
}

/** The record stored under an event digest, or undefined when there is none. */
async function readRecordByDigest(s3: S3Api, bucket: string, digest: HexDigest): Promise<ArchiveRecord | undefined> {
  const key = archiveRecordKey(digest);
  const text = await getText(s3, bucket, key);
  return text === undefined ? undefined : parseArchiveRecord(key, text, digest);
}

/** An object's content as UTF-8 text, or undefined when it does not exist. */
async function getText(s3: S3Api, bucket: string, key: string): Promise<string | undefined> {
  try {
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await answer.Body?.transformToString('utf8') ?? '';
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new S3CallError('GetObject', `s3://${bucket}/${key}`, error);
  }
}

export function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

/** A record as the verifier writes it, checked field by field; throws {@link InvalidArchiveRecordError}. */
export function parseArchiveRecord(key: string, text: string, expectedDigest: HexDigest): ArchiveRecord {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArchiveRecordError(key, 'not JSON');
  }
  const record = value as Partial<Record<keyof ArchiveRecord, unknown>>;
  const problem = recordProblem(record);
  if (problem !== undefined) throw new InvalidArchiveRecordError(key, problem);
  if (sha256Hex(record.id as string) !== expectedDigest) throw new InvalidArchiveRecordError(key, 'its event ID does not hash to its key');
  return value as ArchiveRecord;
}

function recordProblem(record: Partial<Record<keyof ArchiveRecord, unknown>>): string | undefined {
  if (typeof record !== 'object' || record === null) return 'not a JSON object';
  if (record.v !== ARCHIVE_RECORD_VERSION) return `version ${JSON.stringify(record.v)}, this CLI reads version ${ARCHIVE_RECORD_VERSION}`;
  for (const field of ['id', 'provider', 'receivedAt', 'groupId', 'body'] as const) {
    if (typeof record[field] !== 'string') return `${field} is not a string`;
  }
  for (const field of ['type', 'contentType', 'jsonField'] as const) {
    if (record[field] !== undefined && typeof record[field] !== 'string') return `${field} is not a string`;
  }
  if (record.id === '') return 'id is empty';
  if (record.bodyEncoding !== 'utf8' && record.bodyEncoding !== 'base64') return 'bodyEncoding is neither utf8 nor base64';
  if (record.bodyEncoding === 'base64' && !isCanonicalBase64(record.body as string)) return 'body is not canonical base64';
  if (!isIsoInstant(record.receivedAt as string)) return 'receivedAt is not an ISO 8601 instant';
  const headers = record.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((h) => typeof h === 'string')) {
    return 'headers is not an object of strings';
  }
  return undefined;
}

/** `toISOString()`'s form: what the verifier writes, and what replays as the envelope's `receivedAt` unchanged. */
function isIsoInstant(value: string): boolean {
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value;
}

function isCanonicalBase64(value: string): boolean {
  return Buffer.from(value, 'base64').toString('base64') === value;
}

/** The exact signed bytes of a record. */
export function bodyOf(record: ArchiveRecord): Buffer {
  return Buffer.from(record.body, record.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

export function receivedAtMs(record: ArchiveRecord): number {
  return Date.parse(record.receivedAt);
}

/** What a scan of a time range found besides the records it handed on. */
export interface RangeScan {
  /** Records in the range, handed to the visitor. */
  readonly records: number;
  /** Objects under the archive's keys that are not valid records: reported, never used. */
  readonly invalid: readonly InvalidArchiveRecordError[];
  /**
   * Time-index entries that do not stand for a record received in the range and in their minute:
   * a retry's entry (the verifier writes the entry before the record, and the record keeps the
   * first receipt's time), or one whose record no longer exists (erased, or expired first).
   */
  readonly orphans: number;
}

/**
 * The records received in [since, until), handed to `visit` one minute at a time, each minute's
 * oldest first (then by ID), so that a long range never holds more than a minute's bodies. The
 * time index's minutes covering the range are listed; each entry's record is read and kept only
 * when its own `receivedAt` is in the range and in the entry's minute: every record has an entry
 * at its first receipt, so a retry's entry in another minute is skipped rather than counted twice.
 */
export async function scanRange(
  s3: S3Api, bucket: string, range: TimeRange, visit: (records: readonly ArchiveRecord[]) => Promise<void>,
): Promise<RangeScan> {
  const entries = await listTimeIndex(s3, bucket, range);
  const invalid: InvalidArchiveRecordError[] = [];
  let records = 0;
  for (const [minute, digests] of byMinute(entries)) {
    const read = await inParallel([...new Set(digests)], READ_CONCURRENCY, async (digest) => {
      try {
        return await readRecordByDigest(s3, bucket, digest);
      } catch (error) {
        if (error instanceof InvalidArchiveRecordError) return error;
        throw error;
      }
    });
    invalid.push(...read.filter((r): r is InvalidArchiveRecordError => r instanceof InvalidArchiveRecordError));
    const kept = read.filter((r): r is ArchiveRecord => r !== undefined && !(r instanceof InvalidArchiveRecordError)
      && inRange(range, receivedAtMs(r)) && minuteOf(receivedAtMs(r)) === minute);
    records += kept.length;
    if (kept.length > 0) await visit(sortByReceipt(kept));
  }
  return { records, invalid, orphans: entries.length - records - invalid.length };
}

export function sortByReceipt(records: readonly ArchiveRecord[]): ArchiveRecord[] {
  return [...records].sort((a, b) => receivedAtMs(a) - receivedAtMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One entry of the time index. */
export interface TimeIndexEntry {
  /** `YYYY-MM-DDTHH:MM`, UTC. */
  readonly minute: string;
  readonly digest: HexDigest;
}

/** Minute of a time-index key: `archive/by-time/<YYYY-MM-DDTHH:MM>/<digest>`. */
const TIME_KEY = /^archive\/by-time\/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\/([0-9a-f]{64})$/;

/**
 * The time-index entries of the minutes that overlap the range, in key order. Keys sort by minute,
 * so one listing from the first minute (StartAfter) to the first key past the last minute reads
 * exactly those minutes, however long the range.
 */
export async function listTimeIndex(s3: S3Api, bucket: string, range: TimeRange): Promise<TimeIndexEntry[]> {
  const first = minuteOf(range.sinceMs);
  const last = minuteOf(range.untilMs - 1);
  const entries: TimeIndexEntry[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await s3.send(new ListObjectsV2Command({
        Bucket: bucket, Prefix: BUCKET_PREFIX.ARCHIVE_BY_TIME, ContinuationToken: token, ...(token ? {} : { StartAfter: `${BUCKET_PREFIX.ARCHIVE_BY_TIME}${first}` }),
      }));
    } catch (error) {
      throw new S3CallError('ListObjectsV2', `s3://${bucket}/${BUCKET_PREFIX.ARCHIVE_BY_TIME}`, error);
    }
    for (const { Key } of page.Contents ?? []) {
      const match = TIME_KEY.exec(Key ?? '');
      // Anything else under the prefix was not written by the verifier; it names no event.
      if (!match) continue;
      if (match[1] > last) return entries;
      if (match[1] >= first) entries.push({ minute: match[1], digest: match[2] });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return entries;
}

/** Consecutive entries of one minute, grouped (the listing is in key order, so minutes are contiguous). */
function byMinute(entries: readonly TimeIndexEntry[]): Map<string, HexDigest[]> {
  const groups = new Map<string, HexDigest[]>();
  for (const { minute, digest } of entries) {
    const group = groups.get(minute);
    if (group === undefined) groups.set(minute, [digest]);
    else group.push(digest);
  }
  return groups;
}

function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

