import {
  ARCHIVE_RECORD_VERSION, archiveRecordKey, archiveTimeKey, type ArchiveConfig, type ArchiveRecord,
} from '../shared/contract';
import type { Delivery } from './dispatch';
import { DownstreamError } from './errors';
import { sha256Hex, type EventBucket } from './objects';
import { decodeUtf8 } from './payload';
import type { InboundRequest } from './schemes/types';

/** What is archived of one verified event. */
export interface ArchiveEntry {
  /** The event as it is (or would have been) sent: its ID as sent, group, body, content type. */
  readonly delivery: Delivery;
  /** The configured headers the request carried (see {@link archivedHeaders}). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * When the event was first received: its claim's time when a claim was found (a retry of an
   * unfinished event), so that every attempt writes the same time entry; else this request's.
   */
  readonly firstReceivedAtMs: number;
}

/**
 * The archive's headers of a request: each configured name the request carries, with its value.
 * Read with the request's own lookup, so a header sent twice with different values throws
 * `ConflictingHeaderError` here, as it does for the scheme: which one identified the event is
 * unknowable, and the request is refused rather than archived with either.
 */
export function archivedHeaders(config: ArchiveConfig, request: Pick<InboundRequest, 'header'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of config.headers) {
    const value = request.header(name);
    // Never a prototype key of a plain object: configured names are header names (no `__proto__`), but a record is data.
    if (value !== undefined) Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}

/** The record kept of an event. */
function archiveRecord(entry: ArchiveEntry): ArchiveRecord {
  const { delivery } = entry;
  const text = decodeUtf8(delivery.body);
  return {
    v: ARCHIVE_RECORD_VERSION,
    id: delivery.eventId,
    ...(delivery.eventType === undefined ? {} : { type: delivery.eventType }),
    provider: delivery.provider,
    receivedAt: new Date(entry.firstReceivedAtMs).toISOString(),
    groupId: delivery.groupId,
    ...(delivery.contentType === undefined ? {} : { contentType: delivery.contentType }),
    ...(delivery.jsonField === undefined ? {} : { jsonField: delivery.jsonField }),
    headers: entry.headers,
    body: text ?? delivery.body.toString('base64'),
    bodyEncoding: text === undefined ? 'base64' : 'utf8',
  };
}

const EMPTY = Buffer.alloc(0);
const EMPTY_SHA256 = sha256Hex(EMPTY);

/**
 * Archives an event before it is acknowledged: first its entry in the time index (an empty object
 * under the minute it was first received), then its record, written only if none is there
 * (`If-None-Match: *`), so the first receipt's record stands and a retry's finds it (412) and is
 * done. In that order because a record the time index does not list could not be found by time;
 * a time entry whose record was never written (the verifier died between the two) is skipped by
 * whoever reads the index, and the sender's retry writes the record.
 *
 * Throws {@link DownstreamError} (`archive`) when either write fails: the request answers 503 and
 * the retry archives it.
 */
export async function archiveEvent(bucket: EventBucket, bucketName: string, entry: ArchiveEntry): Promise<'stored' | 'exists'> {
  const eventDigest = sha256Hex(entry.delivery.eventId);
  const record = Buffer.from(JSON.stringify(archiveRecord(entry)), 'utf8');
  try {
    await bucket.put({ bucket: bucketName, key: archiveTimeKey(entry.firstReceivedAtMs, eventDigest), body: EMPTY, contentType: 'application/octet-stream', sha256: EMPTY_SHA256 });
    return await bucket.put({ bucket: bucketName, key: archiveRecordKey(eventDigest), body: record, contentType: 'application/json', sha256: sha256Hex(record), ifAbsent: true });
  } catch (error) {
    throw new DownstreamError('archive', { cause: error });
  }
}
