/**
 * `hardened-webhooks replay`: send archived events to one processor's queue again, as the verifier
 * sent them (same envelope, attributes, group and bytes), marked `replay: { id, at }` and with the
 * deduplication ID `replayDeduplicationId(eventId, replayId)`. A replay runs once per (processor,
 * event, replay ID): a deliberate replay after a bug fix reruns the handler, the same replay sent
 * twice does nothing the second time. Three things keep that promise, each for its own span: SQS
 * drops the same deduplication ID for 5 minutes; the processor runtime keeps a record per replay
 * for its record retention (days); and this command writes a replay marker (`replayMarkerKey`) in
 * the event bucket once SQS accepted the message, and sends nothing for an event whose marker
 * exists — for as long as the archive keeps the event (see ./marker.ts).
 *
 * Events go in order of first receipt. Within a message group, an event whose send failed holds
 * back the later ones (they are reported failed, not sent), so a replay never reorders a group.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { replayMarkerKey, type ArchiveRecord, type BodyReference, type ReplayMarker } from '../../../lambda/shared/contract';
import { SQS_MESSAGE_LIMIT_BYTES, type Delivery, type EncodedMessage } from '../../../lambda/verifier/dispatch';
import { PAYLOAD_CONTENT_TYPE } from '../../../lambda/verifier/objects';
import { matchProcessors } from '../../../lambda/verifier/routing';
import { describeError, type SqsApi } from '../redrive';
import {
  ArchiveError, MessageTooLargeError, READ_CONCURRENCY, readRecord, S3CallError, scanRange, sha256Hex, sortByReceipt, type S3Api, type TimeRange,
} from '../archive';
import { inParallel } from '../in-parallel';
import { lookUpReplayMarker, writeReplayMarker, type MarkerLookup } from './marker';
import { bodyReference, deliveryOf, replayDedupId, replayGroupId, replayMessage } from './message';
import { checkReplayId } from './replay-id';

/** The processor a replay sends to, as the deployed stack names it. */
export interface ReplayTarget {
  /** The endpoint's construct path. */
  readonly endpoint: string;
  /** The processor's name (its payload objects go under `payloads/<name>/`). */
  readonly processor: string;
  readonly queueUrl: string;
  /** The endpoint's event bucket: the archive, and where a large body is put. */
  readonly bucket: string;
  /** The processor's event type patterns (the verifier's routing); empty means every event. */
  readonly eventTypes: readonly string[];
}

/** Which archived events: named by ID, or received in a time range. */
export type ReplaySelection = { readonly eventIds: readonly string[] } | { readonly range: TimeRange };

export interface ReplayOptions {
  readonly replayId: string;
  /** List what would be sent (and what was already replayed); put and send nothing. */
  readonly dryRun?: boolean;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * `skipped`: the processor is not subscribed to the event's type. `already-replayed`: this replay ID
 * was already sent to this processor (its replay marker exists); nothing is sent again.
 */
export type ReplayOutcome = 'sent' | 'would-send' | 'skipped' | 'already-replayed' | 'failed';

/** One event of the replay. Names and times only: never the body. */
export interface ReplayedEvent {
  readonly id: string;
  readonly type?: string;
  readonly receivedAt?: string;
  readonly outcome: ReplayOutcome;
  /** The body went (or would go) to the event bucket, the message carrying a `bodyRef`. */
  readonly byReference?: boolean;
  /**
   * Why it was skipped, already replayed or failed; on a sent event, that its replay marker could
   * not be written (a run of the same replay after SQS's 5-minute window would send it again).
   */
  readonly reason?: string;
}

export interface ReplayResult {
  readonly replayId: string;
  /** The replay marker's time, the same for every event of the run. */
  readonly at: string;
  readonly dryRun: boolean;
  readonly sent: number;
  readonly skipped: number;
  /** Events this replay ID had already been sent for (outcome `already-replayed`): none sent again. */
  readonly alreadyReplayed: number;
  readonly failed: number;
  readonly events: readonly ReplayedEvent[];
  /** Time-index entries that named no record of the range (a range replay only; see `scanRange`). */
  readonly orphans?: number;
}

const NOT_SUBSCRIBED = 'not subscribed: the processor\'s event types do not match';

export async function replay(s3: S3Api, sqs: SqsApi, target: ReplayTarget, selection: ReplaySelection, options: ReplayOptions): Promise<ReplayResult> {
  const replayId = checkReplayId(options.replayId);
  const marker: ReplayMarker = { id: replayId, at: (options.now ?? (() => new Date()))().toISOString() };
  const sender = new Sender(s3, sqs, target, marker, options.dryRun === true);
  let orphans: number | undefined;
  if ('eventIds' in selection) {
    await replayByIds(s3, target, selection.eventIds, sender);
  } else {
    const scan = await scanRange(s3, target.bucket, selection.range, async (records) => sender.sendAll(records));
    for (const invalid of scan.invalid) sender.events.push({ id: invalid.key, outcome: 'failed', reason: invalid.message });
    orphans = scan.orphans;
  }
  const count = (outcome: ReplayOutcome) => sender.events.filter((e) => e.outcome === outcome).length;
  return {
    replayId, at: marker.at, dryRun: options.dryRun === true,
    sent: count(options.dryRun ? 'would-send' : 'sent'), skipped: count('skipped'), alreadyReplayed: count('already-replayed'), failed: count('failed'),
    events: sender.events, ...(orphans === undefined ? {} : { orphans }),
  };
}

/** Each named event once, in order of first receipt; one not in the archive fails. */
async function replayByIds(s3: S3Api, target: ReplayTarget, eventIds: readonly string[], sender: Sender): Promise<void> {
  const ids = [...new Set(eventIds)];
  const read = await inParallel(ids, READ_CONCURRENCY, async (id) => {
    try {
      return { id, record: await readRecord(s3, target.bucket, id) };
    } catch (error) {
      return { id, error };
    }
  });
  const records: ArchiveRecord[] = [];
  for (const entry of read) {
    if ('error' in entry) sender.events.push({ id: entry.id, outcome: 'failed', reason: reasonOf(entry.error) });
    else if (entry.record === undefined) sender.events.push({ id: entry.id, outcome: 'failed', reason: 'not in the archive (never received, expired or erased)' });
    else records.push(entry.record);
  }
  await sender.sendAll(sortByReceipt(records));
}

/** Sends records in the order given, holding back a group behind its first failure. */
class Sender {
  public readonly events: ReplayedEvent[] = [];
  private readonly failedGroups = new Set<string>();

  public constructor(
    private readonly s3: S3Api,
    private readonly sqs: SqsApi,
    private readonly target: ReplayTarget,
    private readonly marker: ReplayMarker,
    private readonly dryRun: boolean,
  ) {}

  /** The markers of the batch are looked up at once (the sends that follow must stay in order). */
  public async sendAll(records: readonly ArchiveRecord[]): Promise<void> {
    const lookups = await inParallel(records, READ_CONCURRENCY, async (record) => (this.subscribed(record)
      ? lookUpReplayMarker(this.s3, this.target.bucket, this.markerKey(record)).catch((error: unknown) => ({ error }))
      : undefined));
    for (const [index, record] of records.entries()) this.events.push(await this.sendOne(record, lookups[index]));
  }

  /** `lookup`: what the bucket said of the event's replay marker; undefined for an event the processor does not take. */
  private async sendOne(record: ArchiveRecord, lookup: MarkerLookup | { error: unknown } | undefined): Promise<ReplayedEvent> {
    const about = { id: record.id, ...(record.type === undefined ? {} : { type: record.type }), receivedAt: record.receivedAt };
    if (lookup === undefined) return { ...about, outcome: 'skipped', reason: NOT_SUBSCRIBED };
    const group = replayGroupId(record);
    if ('error' in lookup) {
      // Not sent, so the later events of its group must wait for it.
      this.failedGroups.add(group);
      return { ...about, outcome: 'failed', reason: reasonOf(lookup.error) };
    }
    // Before the hold-back: an event already replayed is sent neither way, and saying so is the truth.
    if (lookup.replayed) return { ...about, outcome: 'already-replayed', reason: this.alreadyReplayed(lookup.at) };
    if (this.failedGroups.has(group)) return { ...about, outcome: 'failed', reason: 'held back: an earlier event of its message group failed' };
    let byReference: boolean;
    try {
      const { message, bodyRef, delivery } = this.encode(record);
      byReference = bodyRef !== undefined;
      if (this.dryRun) return { ...about, outcome: 'would-send', byReference };
      if (bodyRef !== undefined) await this.putBody(bodyRef, delivery);
      await this.sqs.send(new SendMessageCommand({
        QueueUrl: this.target.queueUrl,
        MessageBody: message.body,
        MessageGroupId: group,
        MessageDeduplicationId: replayDedupId(record.id, this.marker.id),
        MessageAttributes: message.attributes,
      }));
    } catch (error) {
      this.failedGroups.add(group);
      return { ...about, outcome: 'failed', reason: reasonOf(error) };
    }
    // Only after SQS accepted the message: a marker for a message that never left would stop the
    // rerun that should send it. A crash (or a failed write) between the send and the marker
    // leaves the event unmarked, and the same replay run again sends it again; that second message
    // is dropped by SQS within 5 minutes (same deduplication ID), and after that the processor's
    // record of this replay stops a second run while it lives — the span the marker exists to outlast.
    try {
      await writeReplayMarker(this.s3, this.target.bucket, this.markerKey(record));
    } catch (error) {
      return { ...about, outcome: 'sent', byReference, reason: `sent, but ${reasonOf(error)}: its replay marker is missing, so running this replay again after 5 minutes would send it again` };
    }
    return { ...about, outcome: 'sent', byReference };
  }

  /** The verifier's own matching: `*` patterns, and an untyped event only for a processor taking every event. */
  private subscribed(record: ArchiveRecord): boolean {
    const route = { name: this.target.processor, queueUrl: this.target.queueUrl, eventTypes: this.target.eventTypes };
    return matchProcessors([route], record.type).length > 0;
  }

  private markerKey(record: ArchiveRecord): string {
    return replayMarkerKey(sha256Hex(record.id), this.target.processor, this.marker.id);
  }

  private alreadyReplayed(at: string | undefined): string {
    return `replay ${this.marker.id} was already sent to ${this.target.processor}${at === undefined ? '' : ` (marked ${at})`}; a new replay ID sends it again`;
  }

  /** The message inline when it fits, else a pointer to the body's object (which must fit). */
  private encode(record: ArchiveRecord): { message: EncodedMessage; bodyRef?: BodyReference; delivery: Delivery } {
    const delivery = deliveryOf(record);
    const inline = replayMessage(delivery, this.marker);
    if (inline.bytes <= SQS_MESSAGE_LIMIT_BYTES) return { message: inline, delivery };
    const bodyRef = bodyReference(this.target.bucket, this.target.processor, delivery);
    const message = replayMessage(delivery, this.marker, bodyRef);
    if (message.bytes > SQS_MESSAGE_LIMIT_BYTES) throw new MessageTooLargeError(message.bytes, SQS_MESSAGE_LIMIT_BYTES);
    return { message, bodyRef, delivery };
  }

  /**
   * The exact bytes at the verifier's key for them: the same key always holds the same bytes (its
   * name is their digest), so an object the verifier already put is overwritten by itself.
   */
  private async putBody(bodyRef: BodyReference, delivery: Delivery): Promise<void> {
    try {
      // As the verifier stores it: never typed as a document S3 could present, and stored only if
      // the bytes S3 received have the digest the message names.
      await this.s3.send(new PutObjectCommand({
        Bucket: bodyRef.bucket, Key: bodyRef.key, Body: delivery.body, ContentType: PAYLOAD_CONTENT_TYPE, ChecksumSHA256: Buffer.from(bodyRef.sha256, 'hex').toString('base64'),
      }));
    } catch (error) {
      throw new S3CallError('PutObject', `s3://${bodyRef.bucket}/${bodyRef.key}`, error);
    }
  }
}

/** Our own errors say what failed in words for the operator; anything else (an SDK error) by its name and message. */
function reasonOf(error: unknown): string {
  return error instanceof ArchiveError ? error.message : describeError(error);
}
