import { createHash } from 'node:crypto';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { webhookProcessor, type WebhookEvent } from '../../../lambda/runtime';
import { KEY_PREFIX, TABLE, type ReplayMarker } from '../../../lambda/shared/contract';
import { createIdempotencyTable, dynamoDb } from '../../support/aws';
import { batch, envelopeOf, failedIds, lambdaContext, recordsOf, sqsRecord } from './messages';

/**
 * Replays from the archive, against moto's DynamoDB: a replay runs once per (processor, event,
 * replay ID) whatever the original did, and the original's record key is the one the runtime
 * wrote before replays existed, so events in flight across the upgrade run once.
 */
let client: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  client = dynamoDb();
  tableName = await createIdempotencyTable(client, 'runtime-replays');
});

const processor = (name: string, handler: (event: WebhookEvent) => Promise<void> | void) => webhookProcessor(handler, { tableName, processorName: name, dynamoDbClient: client });
const replayOf = (eventId: string, replay: ReplayMarker) => sqsRecord(envelopeOf(eventId, { replay }));
const keysOf = async (name: string) => (await recordsOf(client, tableName, name)).map((item) => item[TABLE.PARTITION_KEY].S).sort();

/**
 * The runtime as it was released before replays (0.1.x), reduced to what decides a record's key and
 * its states: Powertools' idempotency keyed by the JMESPath `powertools_json(body).id` under
 * `processor#<name>`, in the same table layout, under the FIFO batch processor.
 */
function previousRuntime(name: string, handler: (record: SQSRecord) => unknown): (event: SQSEvent, context: Context) => Promise<unknown> {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName, keyAttr: TABLE.PARTITION_KEY, expiryAttr: TABLE.TTL_ATTRIBUTE, inProgressExpiryAttr: TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY,
    statusAttr: TABLE.POWERTOOLS_STATUS, dataAttr: TABLE.POWERTOOLS_DATA, awsSdkV3Client: client,
  });
  return (event, context) => {
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'powertools_json(body).id', throwOnNoIdempotencyKey: true, expiresAfterSeconds: 7 * 86400, lambdaContext: context });
    const runOnce = makeIdempotent((record: SQSRecord) => handler(record), { persistenceStore, config, keyPrefix: `${KEY_PREFIX.PROCESSOR}${name}` });
    return processPartialResponse(event, runOnce, new SqsFifoPartialProcessorAsync(), { context, skipGroupOnError: true, throwOnFullBatchFailure: false });
  };
}

describe('replays', () => {
  test('original, replay fix-1, fix-1 again, fix-2: the handler runs three times, and tells each replay from the original', async () => {
    // GIVEN a processor that has handled an event
    const runs: Array<{ id: string; replay?: { id: string; at: Date } }> = [];
    const run = processor('replayed', (event) => void runs.push({ id: event.id, replay: event.replay }));
    const at = '2026-05-01T12:00:00.000Z';
    expect(failedIds(await run(batch(sqsRecord(envelopeOf('evt_r'))), lambdaContext()))).toEqual([]);

    // WHEN the event is replayed as fix-1, fix-1 is sent again (and the original redelivered), then replayed as fix-2
    for (const message of [replayOf('evt_r', { id: 'fix-1', at }), replayOf('evt_r', { id: 'fix-1', at }), sqsRecord(envelopeOf('evt_r')), replayOf('evt_r', { id: 'fix-2', at })]) {
      expect(failedIds(await run(batch(message), lambdaContext()))).toEqual([]);
    }

    // THEN it ran for the original and once per replay ID, each run knowing which it was
    expect(runs).toEqual([
      { id: 'evt_r', replay: undefined },
      { id: 'evt_r', replay: { id: 'fix-1', at: new Date(at) } },
      { id: 'evt_r', replay: { id: 'fix-2', at: new Date(at) } },
    ]);
    // AND each of the three is its own completed record
    const records = await recordsOf(client, tableName, 'replayed');
    expect(records.map((item) => item[TABLE.POWERTOOLS_STATUS].S)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  test('a replay\'s record is its processor\'s: the same replay ID of the same event runs once in each processor, and of another event again', async () => {
    const seen: string[] = [];
    const a = processor('replay-a', (event) => void seen.push(`a:${event.id}`));
    const b = processor('replay-b', (event) => void seen.push(`b:${event.id}`));
    const marker = { id: 'fix-9', at: '2026-05-01T12:00:00.000Z' };
    await a(batch(replayOf('evt_1', marker)), lambdaContext());
    await b(batch(replayOf('evt_1', marker)), lambdaContext());
    await a(batch(replayOf('evt_2', marker)), lambdaContext());
    await a(batch(replayOf('evt_1', marker)), lambdaContext());
    expect(seen).toEqual(['a:evt_1', 'b:evt_1', 'a:evt_2']);
  });

  test('a failed replay leaves no record, so its retry runs; the original\'s record is untouched', async () => {
    let attempts = 0;
    const run = processor('replay-retry', (event) => {
      if (!event.replay) return;
      attempts += 1;
      if (attempts === 1) throw new Error('still broken');
    });
    await run(batch(sqsRecord(envelopeOf('evt_retry'))), lambdaContext());
    const original = await keysOf('replay-retry');
    const replay = replayOf('evt_retry', { id: 'fix-3', at: '2026-05-01T12:00:00.000Z' });
    expect(failedIds(await run(batch(replay), lambdaContext()))).toEqual([replay.messageId]);
    expect(await keysOf('replay-retry')).toEqual(original);
    expect(failedIds(await run(batch(replay), lambdaContext()))).toEqual([]);
    expect(attempts).toBe(2);
  });

  test.each([
    ['an empty replay ID', { id: '', at: '2026-05-01T12:00:00.000Z' }],
    ['a replay ID that is not a string', { id: 7, at: '2026-05-01T12:00:00.000Z' }],
    ['no replay ID', { at: '2026-05-01T12:00:00.000Z' }],
    ['a replay time that is not one', { id: 'fix-1', at: 'yesterday' }],
    ['a marker that is not an object', 'fix-1'],
  ])('a replay marker with %s is refused before any claim: it never runs as the original, nor writes a record', async (_, marker) => {
    const seen: string[] = [];
    const run = processor('bad-marker', (event) => void seen.push(event.id));
    const message = replayOf('evt_bad_marker', marker as unknown as ReplayMarker);
    expect(failedIds(await run(batch(message), lambdaContext()))).toEqual([message.messageId]);
    expect(seen).toEqual([]);
    expect(await keysOf('bad-marker')).toEqual([]);
  });
});

describe('the record of an original message', () => {
  test('is keyed exactly as before replays: the same key as the previous runtime writes for the same message', async () => {
    // GIVEN the same message handled by the previous runtime (as processor "compat-old") and this one ("compat-new")
    const message = sqsRecord(envelopeOf('evt_compat_é'));
    await previousRuntime('compat-old', () => undefined)(batch(message), lambdaContext());
    await processor('compat-new', () => undefined)(batch(message), lambdaContext());

    // THEN past their processor prefixes the keys are equal
    const [previous] = await keysOf('compat-old');
    const [current] = await keysOf('compat-new');
    expect(current?.slice(`${KEY_PREFIX.PROCESSOR}compat-new`.length)).toBe(previous?.slice(`${KEY_PREFIX.PROCESSOR}compat-old`.length));
    // AND are Powertools' hash (MD5, base64) of the event ID as JSON, under processor#<name>#
    const md5 = createHash('md5').update(JSON.stringify('evt_compat_é')).digest('base64');
    expect(current).toBe(`${KEY_PREFIX.PROCESSOR}compat-new#${md5}`);
  });

  test('an event the previous runtime completed is not run again by this one (an upgrade with events in flight); a replay of it still runs', async () => {
    const previousRuns: string[] = [];
    await previousRuntime('upgraded', (record) => void previousRuns.push(record.messageId))(batch(sqsRecord(envelopeOf('evt_inflight'))), lambdaContext());
    expect(previousRuns).toHaveLength(1);

    const seen: Array<string | undefined> = [];
    const run = processor('upgraded', (event) => void seen.push(event.replay?.id));
    expect(failedIds(await run(batch(sqsRecord(envelopeOf('evt_inflight'))), lambdaContext()))).toEqual([]);
    expect(seen).toEqual([]);
    expect(failedIds(await run(batch(replayOf('evt_inflight', { id: 'after-upgrade', at: '2026-05-01T12:00:00.000Z' })), lambdaContext()))).toEqual([]);
    expect(seen).toEqual(['after-upgrade']);
  });

  test('an event the previous runtime is still working on is not run beside it by this one (the lease is found under the same key)', async () => {
    let release!: () => void;
    const working = new Promise<void>((resolve) => { release = resolve; });
    const previousRun = previousRuntime('upgrading', () => working)(batch(sqsRecord(envelopeOf('evt_working'))), lambdaContext(60_000));
    // Wait until the previous runtime holds its in-progress record.
    const deadline = Date.now() + 30_000;
    while ((await recordsOf(client, tableName, 'upgrading')).length === 0) {
      if (Date.now() > deadline) throw new Error('the previous runtime never claimed the event');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const seen: string[] = [];
    const message = sqsRecord(envelopeOf('evt_working'));
    expect(failedIds(await processor('upgrading', (event) => void seen.push(event.id))(batch(message), lambdaContext()))).toEqual([message.messageId]);
    expect(seen).toEqual([]);
    release();
    await previousRun;
  });
});
