import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENV, KEY_PREFIX, TABLE } from '../../../lambda/shared/contract';
import { webhookProcessor, type WebhookEvent } from '../../../lambda/runtime';
import { createIdempotencyTable, dynamoDb } from '../../support/aws';
import { envelopeOf, lambdaContext, sqsRecord } from './messages';

/** The processor runtime against moto: claims, completion markers, lease expiry and FIFO failure order. */
let client: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  client = dynamoDb();
  tableName = await createIdempotencyTable(client, 'runtime');
});

const context = lambdaContext;

function record(eventId: string, group = 'g1', body: unknown = { id: eventId }): SQSRecord {
  return sqsRecord(envelopeOf(eventId, { body: JSON.stringify(body) }), group);
}

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

function processor(name: string, handler: (event: WebhookEvent, lambdaContext: Context) => Promise<void> | void) {
  return webhookProcessor(handler, { tableName, processorName: name, dynamoDbClient: client });
}

/** Resolves when `condition` holds, checking every 10 ms; fails after 30 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits for the in-progress record of the processor (each test here has its own name and one event) and returns its lease end (epoch ms). */
async function inProgressRecord(name: string): Promise<number> {
  let lease = 0;
  await until(async () => {
    const item = (await recordsOf(name)).find((candidate) => candidate[TABLE.POWERTOOLS_STATUS]?.S === 'INPROGRESS');
    lease = Number(item?.[TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY]?.N ?? 0);
    return lease > 0;
  });
  return lease;
}

async function recordsOf(name: string) {
  const scan = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return (scan.Items ?? []).filter((item) => item[TABLE.PARTITION_KEY].S?.startsWith(`${KEY_PREFIX.PROCESSOR}${name}#`));
}

describe('webhookProcessor', () => {
  test('runs the handler once per event; a redelivery after completion is skipped and reported as success', async () => {
    const seen: string[] = [];
    const run = processor('once', (event) => void seen.push(event.id));
    expect(await run(batch(record('evt_1')), context())).toEqual({ batchItemFailures: [] });
    expect(await run(batch(record('evt_1')), context())).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(['evt_1']);
    const [marker] = await recordsOf('once');
    expect(marker[TABLE.POWERTOOLS_STATUS].S).toBe('COMPLETED');
    expect(Number(marker[TABLE.TTL_ATTRIBUTE].N)).toBeGreaterThan(Date.now() / 1000 + 6 * 86400);
  });

  test('the completed marker is kept as long as the construct says (HW_PROCESSOR_RECORD_TTL_SECONDS: its queues\' retention plus a day), not the 7-day default', async () => {
    const saved = process.env[ENV.PROCESSOR_RECORD_TTL_SECONDS];
    process.env[ENV.PROCESSOR_RECORD_TTL_SECONDS] = String(23 * 86400);
    try {
      const run = processor('ttl-from-env', () => undefined);
      await run(batch(record('evt_ttl')), context());
    } finally {
      if (saved === undefined) delete process.env[ENV.PROCESSOR_RECORD_TTL_SECONDS];
      else process.env[ENV.PROCESSOR_RECORD_TTL_SECONDS] = saved;
    }
    const [marker] = await recordsOf('ttl-from-env');
    expect(marker[TABLE.POWERTOOLS_STATUS].S).toBe('COMPLETED');
    const expiresIn = Number(marker[TABLE.TTL_ATTRIBUTE].N) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(23 * 86400 - 300);
    expect(expiresIn).toBeLessThanOrEqual(23 * 86400 + 1);  // written a moment ago, in whole seconds
  });

  test('each processor keeps its own records: the same event runs once in each', async () => {
    const seen: string[] = [];
    const a = processor('proc-a', (event) => void seen.push(`a:${event.id}`));
    const b = processor('proc-b', (event) => void seen.push(`b:${event.id}`));
    await a(batch(record('evt_shared')), context());
    await b(batch(record('evt_shared')), context());
    await a(batch(record('evt_shared')), context());
    expect(seen).toEqual(['a:evt_shared', 'b:evt_shared']);
  });

  test('a handler that throws leaves no marker, so the retry runs it again', async () => {
    let attempts = 0;
    const run = processor('flaky', () => {
      attempts += 1;
      if (attempts < 3) throw new Error('downstream 500');
    });
    const message = record('evt_flaky');
    expect((await run(batch(message), context())).batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect((await run(batch(message), context())).batchItemFailures).toHaveLength(1);
    expect((await run(batch(message), context())).batchItemFailures).toEqual([]);
    expect((await run(batch(message), context())).batchItemFailures).toEqual([]);
    expect(attempts).toBe(3);
  });

  test('an in-progress claim blocks a concurrent redelivery, then expires with the invocation so a crash is recovered', async () => {
    let calls = 0;
    let release!: () => void;
    const hung = new Promise<void>((resolve) => { release = resolve; });
    const run = processor('lease', async () => {
      calls += 1;
      if (calls === 1) await hung; // the first invocation "dies" mid-work
    });
    const first = run(batch(record('evt_lease')), context(300));
    const lease = await inProgressRecord('lease');
    // Inside the lease: the redelivery must not run the handler a second time concurrently.
    expect((await run(batch(record('evt_lease')), context())).batchItemFailures).toHaveLength(1);
    expect(calls).toBe(1);
    // Lease over (the dead invocation's remaining time has passed): SQS redelivery completes the work.
    await until(() => Date.now() > lease);
    expect((await run(batch(record('evt_lease')), context())).batchItemFailures).toEqual([]);
    expect(calls).toBe(2);
    release();
    await first;
  });

  test('an invocation at its deadline (0 ms left) still leases only to its end, so a redelivery after it runs the work', async () => {
    // Powertools stores no lease at all for 0 ms remaining: the claim would then block every
    // redelivery until the record expires (days) and the event would end in the DLQ unprocessed.
    let calls = 0;
    let release!: () => void;
    const hung = new Promise<void>((resolve) => { release = resolve; });
    const run = processor('deadline', async () => {
      calls += 1;
      if (calls === 1) await hung; // the invocation is stopped at its deadline mid-work
    });
    const startedAt = Date.now();
    const first = run(batch(record('evt_deadline')), context(0));
    await until(async () => (await recordsOf('deadline')).some((item) => item[TABLE.POWERTOOLS_STATUS]?.S === 'INPROGRESS'));
    const [claim] = await recordsOf('deadline');
    // THEN the claim carries a lease, of at least 1 ms, ending with the invocation
    const lease = Number(claim[TABLE.POWERTOOLS_IN_PROGRESS_EXPIRY]?.N);
    expect(lease).toBeGreaterThanOrEqual(startedAt + 1);
    expect(lease).toBeLessThanOrEqual(Date.now() + 1);
    // AND once it has passed, the redelivery claims the event and completes it
    await until(() => Date.now() > lease);
    expect((await run(batch(record('evt_deadline')), context())).batchItemFailures).toEqual([]);
    expect(calls).toBe(2);
    release();
    await first;
  });

  test('a message without an event ID is refused before any claim: nothing is written to the table and nothing is counted', async () => {
    // Keyed as it is, every such message would share one claim (the hash of null or of "") and reach
    // the handler wrapper, which would count it as a processor failure.
    const own = dynamoDb();
    const send = jest.spyOn(own, 'send');
    const counts: string[] = [];
    const seen: string[] = [];
    const run = webhookProcessor((event) => void seen.push(event.id), {
      tableName, processorName: 'no-id', dynamoDbClient: own, metrics: { count: (name) => void counts.push(name) },
    });
    const envelope = JSON.parse(record('evt_no_id').body) as Record<string, unknown>;
    const noId = { ...record('evt_no_id'), body: JSON.stringify({ ...envelope, id: undefined }) };
    expect((await run(batch(noId), context())).batchItemFailures).toEqual([{ itemIdentifier: noId.messageId }]);
    expect(seen).toEqual([]);
    expect(counts).toEqual([]);
    expect(send).not.toHaveBeenCalled();
  });

  test('overlapping deliveries of one event: the lease is the running invocation\'s own remaining time, and the handler runs once', async () => {
    // Stands for a visibility timeout shorter than the work: SQS hands the message to a second
    // invocation while the first still runs (in AWS, in another execution environment; here the two
    // share one process, so the runtime must keep each invocation's state — its context, its batch — apart).
    const runs: number[] = [];
    let release!: () => void;
    const working = new Promise<void>((resolve) => { release = resolve; });
    const run = processor('overlap', async (event, lambdaContext) => {
      if (event.id !== 'evt_overlap') return;
      runs.push(lambdaContext.getRemainingTimeInMillis());
      await working;
    });
    // GIVEN invocation A, with a minute left, and invocation B, with a second left, started together;
    // B reaches the shared event only after another record, so A normally claims it first
    const startedAt = Date.now();
    const a = run(batch(record('evt_overlap')), context(60_000));
    const b = run(batch(record('evt_before', 'g2'), record('evt_overlap')), context(1_000));
    // WHEN one of them has left the event to the other (which is still working on it)
    const loser = await Promise.race([a, b]);
    expect(loser.batchItemFailures).toHaveLength(1);
    // THEN the one running the handler holds the only in-progress record, leased for its own remaining time
    await until(() => runs.length === 1);
    const lease = await inProgressRecord('overlap');
    expect(lease).toBeGreaterThanOrEqual(startedAt + runs[0] - 1_000);
    expect(lease).toBeLessThanOrEqual(Date.now() + runs[0]);
    release();
    const outcomes = await Promise.all([a, b]);
    // AND the later delivery of the event left aside finds it completed: one run in all
    expect(outcomes.map((outcome) => outcome.batchItemFailures.length).sort()).toEqual([0, 1]);
    expect((await run(batch(record('evt_overlap')), context(1_000))).batchItemFailures).toEqual([]);
    expect(runs).toHaveLength(1);
  });

  test('FIFO: a failure stops its message group (later messages fail too, in order) while other groups go on', async () => {
    const seen: string[] = [];
    const run = processor('fifo', (event) => {
      seen.push(event.id);
      if (event.id === 'a2') throw new Error('fails');
    });
    const a1 = record('a1', 'A');
    const b1 = record('b1', 'B');
    const a2 = record('a2', 'A');
    const b2 = record('b2', 'B');
    const a3 = record('a3', 'A');
    const response = await run(batch(a1, b1, a2, b2, a3), context());
    expect(seen).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([a2.messageId, a3.messageId]);
  });

  test('the handler receives the envelope: id, type, provider, exact body bytes, parsed JSON', async () => {
    let received: WebhookEvent | undefined;
    const run = processor('envelope', (event) => { received = event; });
    await run(batch(record('evt_env', 'g', { id: 'evt_env', amount: 42 })), context());
    expect(received).toMatchObject({ id: 'evt_env', type: 'test.event', provider: 'stripe' });
    expect(received?.rawBody.toString()).toBe('{"id":"evt_env","amount":42}');
    expect(received?.json<{ amount: number }>().amount).toBe(42);
  });

  test('a message that is not an envelope fails (and will reach the DLQ), without running the handler', async () => {
    const seen: string[] = [];
    const run = processor('poison', (event) => void seen.push(event.id));
    const poison = { ...record('evt_poison'), body: 'not json' };
    expect((await run(batch(poison), context())).batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(seen).toEqual([]);
  });

  test('configuration errors are raised at cold start', () => {
    expect(() => webhookProcessor(() => undefined, { tableName })).toThrow(/no processor name/);
    expect(() => webhookProcessor(() => undefined, { processorName: 'x' })).toThrow(/no idempotency table/);
    expect(() => webhookProcessor(() => undefined, { processorName: 'x' })).toThrow(expect.objectContaining({ name: 'ProcessorConfigError' }));
  });
});
