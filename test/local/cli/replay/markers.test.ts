import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { webhookProcessor, type WebhookEvent } from '../../../../lambda/runtime';
import { replayDeduplicationId, replayMarkerKey, TABLE } from '../../../../lambda/shared/contract';
import type { S3Api } from '../../../../local/cli/archive';
import type { SqsApi } from '../../../../local/cli/redrive';
import { replay, type ReplayTarget } from '../../../../local/cli/replay';
import { createBucket, createIdempotencyTable, dynamoDb, s3 } from '../../../support/aws';
import { batch, failedIds, lambdaContext, recordsOf, sqsRecord } from '../../../lambda/runtime/messages';
import { archive, envelopesIn, record, sha256Hex } from '../archive/support';
import { countsOf, createProcessorQueues, sqs } from '../redrive/support';

/**
 * Replay markers against moto's S3, SQS and DynamoDB: "the same replay ID twice does nothing the
 * second time" for as long as the archive keeps the event — after SQS's 5-minute deduplication
 * window and after the processor's record of the replay expired — while a new replay ID still runs.
 */
const T0 = Date.UTC(2025, 0, 31, 10);

type Command = { constructor: { name: string }; input: Record<string, unknown> };

/** The S3 and SQS calls a replay makes, in order: `HeadObject <key>`, `SendMessage <dedup ID>`, … */
class CallLog {
  public readonly calls: string[] = [];

  public s3(real: S3Client, fails: (command: Command) => unknown = () => undefined): S3Api {
    return { send: (async (command: Command) => this.pass('Key', command, fails, () => real.send(command as never))) as S3Api['send'] };
  }

  public sqs(real: SQSClient, fails: (command: Command) => unknown = () => undefined): SqsApi {
    return { send: (async (command: Command) => this.pass('MessageDeduplicationId', command, fails, () => real.send(command as never))) as SqsApi['send'] };
  }

  public named(operation: string): string[] {
    return this.calls.filter((call) => call.startsWith(`${operation} `));
  }

  private async pass(field: string, command: Command, fails: (command: Command) => unknown, send: () => Promise<unknown>): Promise<unknown> {
    this.calls.push(`${command.constructor.name.replace(/Command$/, '')} ${String(command.input[field] ?? '')}`);
    const failure = fails(command);
    if (failure !== undefined) throw failure;
    return send();
  }
}

const injected = (name: string, status: number) => Object.assign(new Error(`injected ${name}`), { name, $metadata: { httpStatusCode: status } });

describe('replay markers', () => {
  const bucketClient = s3();
  const queueClient = sqs();
  let bucket: string;
  let target: ReplayTarget;
  const marker = (eventId: string, replayId: string, processor = 'orders') => replayMarkerKey(sha256Hex(eventId), processor, replayId);
  const exists = async (key: string) => bucketClient.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);

  beforeAll(async () => {
    bucket = await createBucket(bucketClient, 'markers');
    const queues = await createProcessorQueues(queueClient, 'markers');
    target = { endpoint: 'Stack/Hooks', processor: 'orders', queueUrl: queues.queueUrl, bucket, eventTypes: [] };
    await archive(bucketClient, bucket,
      record('evt_a1', T0, { groupId: 'cus_a' }), record('evt_a2', T0 + 1, { groupId: 'cus_a' }), record('evt_b1', T0 + 2, { groupId: 'cus_b' }),
      record('evt_fresh', T0 + 3), record('evt_raced', T0 + 4), record('evt_unmarked', T0 + 5), record('evt_dry', T0 + 6), record('evt_denied', T0 + 7, { groupId: 'cus_d' }),
      record('evt_denied_later', T0 + 8, { groupId: 'cus_d' }));
  });

  afterAll(() => {
    bucketClient.destroy();
    queueClient.destroy();
  });

  afterEach(async () => {
    await envelopesIn(queueClient, target.queueUrl);
  });

  test('the marker is written only after SQS accepted the message: empty, at replayMarkerKey, create-only', async () => {
    const log = new CallLog();

    const result = await replay(log.s3(bucketClient), log.sqs(queueClient), target, { eventIds: ['evt_fresh'] }, { replayId: 'm-1' });

    expect(result).toMatchObject({ sent: 1, alreadyReplayed: 0, failed: 0 });
    expect(log.calls.filter((call) => !call.startsWith('GetObject '))).toEqual([
      `HeadObject ${marker('evt_fresh', 'm-1')}`, `SendMessage ${replayDeduplicationId('evt_fresh', 'm-1')}`, `PutObject ${marker('evt_fresh', 'm-1')}`,
    ]);
    const listed = await bucketClient.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `archive/replays/${sha256Hex('evt_fresh')}/` }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([[marker('evt_fresh', 'm-1'), 0]]);
  });

  test('a replay whose marker exists sends nothing: outcome already-replayed, counted, no call to SQS', async () => {
    await bucketClient.send(new PutObjectCommand({ Bucket: bucket, Key: marker('evt_b1', 'm-2'), Body: new Uint8Array(0) }));
    const log = new CallLog();

    const result = await replay(log.s3(bucketClient), log.sqs(queueClient), target, { eventIds: ['evt_b1'] }, { replayId: 'm-2' });

    expect(result).toMatchObject({ sent: 0, skipped: 0, alreadyReplayed: 1, failed: 0 });
    expect(result.events).toEqual([expect.objectContaining({ id: 'evt_b1', outcome: 'already-replayed', reason: expect.stringMatching(/^replay m-2 was already sent to orders \(marked \d{4}-.+Z\); a new replay ID sends it again$/) })]);
    expect(log.named('SendMessage')).toEqual([]);
    expect(log.named('PutObject')).toEqual([]);
    expect(await countsOf(queueClient, target.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('a failed send leaves no marker, so running the same replay again sends it; the second run then writes the marker', async () => {
    const log = new CallLog();
    const sqsDown = log.sqs(queueClient, (c) => (c.constructor.name === 'SendMessageCommand' ? injected('InternalError', 500) : undefined));

    const failed = await replay(log.s3(bucketClient), sqsDown, target, { eventIds: ['evt_a1', 'evt_a2'] }, { replayId: 'm-3' });

    expect(failed.events.map((e) => [e.id, e.outcome])).toEqual([['evt_a1', 'failed'], ['evt_a2', 'failed']]);
    expect(log.named('PutObject')).toEqual([]);
    expect([await exists(marker('evt_a1', 'm-3')), await exists(marker('evt_a2', 'm-3'))]).toEqual([false, false]);

    const rerun = await replay(bucketClient, queueClient, target, { eventIds: ['evt_a1', 'evt_a2'] }, { replayId: 'm-3' });

    expect(rerun).toMatchObject({ sent: 2, alreadyReplayed: 0, failed: 0 });
    expect((await envelopesIn(queueClient, target.queueUrl)).map((m) => m.envelope.id)).toEqual(['evt_a1', 'evt_a2']);
    expect([await exists(marker('evt_a1', 'm-3')), await exists(marker('evt_a2', 'm-3'))]).toEqual([true, true]);
  });

  test('--dry-run reports which events would be skipped as already replayed, and writes nothing', async () => {
    await bucketClient.send(new PutObjectCommand({ Bucket: bucket, Key: marker('evt_a1', 'm-4'), Body: new Uint8Array(0) }));
    const log = new CallLog();

    const result = await replay(log.s3(bucketClient), log.sqs(queueClient), target, { eventIds: ['evt_a1', 'evt_dry'] }, { replayId: 'm-4', dryRun: true });

    expect(result).toMatchObject({ dryRun: true, sent: 1, alreadyReplayed: 1 });
    expect(result.events.map((e) => [e.id, e.outcome])).toEqual([['evt_a1', 'already-replayed'], ['evt_dry', 'would-send']]);
    expect(log.calls.filter((call) => !/^(HeadObject|GetObject) /.test(call))).toEqual([]);
    expect(await exists(marker('evt_dry', 'm-4'))).toBe(false);
  });

  test('a marker that cannot be looked up (403: no s3:ListBucket on archive/replays/) sends nothing and holds back the event\'s group', async () => {
    const log = new CallLog();
    const denied = log.s3(bucketClient, (c) => (c.constructor.name === 'HeadObjectCommand' && c.input.Key === marker('evt_denied', 'm-5') ? injected('Forbidden', 403) : undefined));

    const result = await replay(denied, log.sqs(queueClient), target, { eventIds: ['evt_denied', 'evt_denied_later'] }, { replayId: 'm-5' });

    expect(result).toMatchObject({ sent: 0, failed: 2 });
    expect(result.events[0].reason).toMatch(/^cannot tell whether it was already replayed: HeadObject s3:\/\/.+\/archive\/replays\/.+ failed: Forbidden: .*s3:ListBucket on archive\/replays\/.*; not sent$/);
    expect(result.events[1].reason).toBe('held back: an earlier event of its message group failed');
    expect(log.named('SendMessage')).toEqual([]);
  });

  test('a marker another run wrote between the lookup and the write (412) is left as it is; the event counts as sent', async () => {
    const key = marker('evt_raced', 'm-6');
    await bucketClient.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0), Metadata: { run: 'other' } }));
    // The lookup ran before the other run's write: it found nothing.
    const log = new CallLog();
    const earlyLookup = log.s3(bucketClient, (c) => (c.constructor.name === 'HeadObjectCommand' ? injected('NotFound', 404) : undefined));

    const result = await replay(earlyLookup, log.sqs(queueClient), target, { eventIds: ['evt_raced'] }, { replayId: 'm-6' });

    expect(result.events).toEqual([expect.objectContaining({ id: 'evt_raced', outcome: 'sent', byReference: false })]);
    expect(result.events[0].reason).toBeUndefined();
    expect(log.named('PutObject')).toEqual([`PutObject ${key}`]);
    expect((await bucketClient.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata).toEqual({ run: 'other' });
  });

  test('a marker that cannot be written after the send: the event is sent, and the outcome says a later rerun would send it again', async () => {
    const log = new CallLog();
    const noWrites = log.s3(bucketClient, (c) => (c.constructor.name === 'PutObjectCommand' ? injected('AccessDenied', 403) : undefined));

    const result = await replay(noWrites, log.sqs(queueClient), target, { eventIds: ['evt_unmarked'] }, { replayId: 'm-7' });

    expect(result).toMatchObject({ sent: 1, failed: 0 });
    expect(result.events[0].reason).toMatch(/^sent, but PutObject s3:\/\/.+\/archive\/replays\/.+ failed: AccessDenied: injected AccessDenied: its replay marker is missing, so running this replay again after 5 minutes would send it again$/);
    expect((await envelopesIn(queueClient, target.queueUrl)).map((m) => m.envelope.id)).toEqual(['evt_unmarked']);
  });
});

describe('the same replay ID after the processor\'s record of it expired', () => {
  const bucketClient = s3();
  const queueClient = sqs();
  let table: DynamoDBClient;
  afterAll(() => {
    bucketClient.destroy();
    queueClient.destroy();
    table.destroy();
  });

  test('sends nothing (the marker outlives the record); a different replay ID still sends and runs', async () => {
    // GIVEN an archived event, and the processor "orders" (real runtime, records on moto's DynamoDB)
    table = dynamoDb();
    const tableName = await createIdempotencyTable(table, 'markers-ttl');
    const bucket = await createBucket(bucketClient, 'markers-ttl');
    const queues = await createProcessorQueues(queueClient, 'markers-ttl');
    const target: ReplayTarget = { endpoint: 'Stack/Hooks', processor: 'orders', queueUrl: queues.queueUrl, bucket, eventTypes: [] };
    await archive(bucketClient, bucket, record('evt_1', T0));
    const runs: string[] = [];
    const processor = webhookProcessor((event: WebhookEvent) => void runs.push(`${event.id}/${event.replay?.id}`), {
      tableName, processorName: 'orders', dynamoDbClient: table, metrics: { count: () => undefined },
    });
    const deliver = async () => {
      const messages = await envelopesIn(queueClient, queues.queueUrl);
      if (messages.length > 0) expect(failedIds(await processor(batch(...messages.map((m) => sqsRecord(m.envelope, m.groupId))), lambdaContext()))).toEqual([]);
      return messages.length;
    };

    // WHEN the replay fix-1 runs once and is processed
    expect((await replay(bucketClient, queueClient, target, { eventIds: ['evt_1'] }, { replayId: 'fix-1' })).sent).toBe(1);
    expect(await deliver()).toBe(1);
    expect(runs).toEqual(['evt_1/fix-1']);

    // AND the processor's record of it expires (deleted, as DynamoDB's TTL would), weeks before the archive's retention is over
    const records = await recordsOf(table, tableName, 'orders');
    expect(records).toHaveLength(1);
    for (const item of records) await table.send(new DeleteItemCommand({ TableName: tableName, Key: { [TABLE.PARTITION_KEY]: item[TABLE.PARTITION_KEY] } }));

    // THEN the same replay ID, run again, sends nothing at all (not even for SQS to deduplicate)
    const log = new CallLog();
    const again = await replay(log.s3(bucketClient), log.sqs(queueClient), target, { eventIds: ['evt_1'] }, { replayId: 'fix-1' });
    expect(again).toMatchObject({ sent: 0, alreadyReplayed: 1, failed: 0 });
    expect(log.named('SendMessage')).toEqual([]);
    expect(await deliver()).toBe(0);
    expect(runs).toEqual(['evt_1/fix-1']);

    // AND a new replay ID is a new decision: sent, and run
    expect((await replay(bucketClient, queueClient, target, { eventIds: ['evt_1'] }, { replayId: 'fix-2' })).sent).toBe(1);
    expect(await deliver()).toBe(1);
    expect(runs).toEqual(['evt_1/fix-1', 'evt_1/fix-2']);
  });
});
