import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { webhookProcessor } from '../../../lambda/runtime';
import { createIdempotencyTable, dynamoDb, uniqueName } from '../../support/aws';
import { envelopeOf, sqsRecord } from './messages';

/** The processor runtime records Processed and ProcessorFailures (dimension Processor) as EMF on stdout. */
let client: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  client = dynamoDb();
  tableName = await createIdempotencyTable(client, 'runtime-metrics');
});

const context = { functionName: 'fn', awsRequestId: 'r', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function record(eventId: string, group: string): SQSRecord {
  return sqsRecord(envelopeOf(eventId, { type: 't', body: '{}' }), group);
}

test('one Processed per completed event, one ProcessorFailures per failed one, none for a skipped duplicate', async () => {
  // GIVEN a processor whose handler fails for one event
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim().startsWith('{')));
    return true;
  });
  try {
    const run = webhookProcessor((event) => {
      if (event.id === 'evt_bad') throw new Error('downstream refused');
    }, { tableName, processorName: 'fulfilment', dynamoDbClient: client });

    // WHEN a batch with two good events (different groups) and one bad one is processed, then redelivered
    const id = uniqueName('evt');
    await run({ Records: [record(`${id}-a`, 'g1'), record('evt_bad', 'g2'), record(`${id}-b`, 'g3')] }, context);
    await run({ Records: [record(`${id}-a`, 'g1')] }, context);

    // THEN
    const metrics = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => '_aws' in entry);
    const names = metrics.map((entry) => (entry._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0].Metrics[0].Name);
    expect(names.sort()).toEqual(['Processed', 'Processed', 'ProcessorFailures']);
    for (const entry of metrics) {
      expect(entry).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: 'HardenedWebhooks', Dimensions: [['Processor']] }] },
        Processor: 'fulfilment',
      });
      expect(entry).not.toHaveProperty('service');
    }
  } finally {
    spy.mockRestore();
  }
});

test('an injected sink receives the counts', async () => {
  const counts: Array<[string, unknown]> = [];
  const run = webhookProcessor(() => undefined, { tableName, processorName: 'audit', dynamoDbClient: client, metrics: { count: (name, sets) => void counts.push([name, sets]) } });
  await run({ Records: [record(uniqueName('evt'), 'g1')] }, context);
  expect(counts).toEqual([['Processed', [{ Processor: 'audit' }]]]);
});

test('with its endpoint known (option or HW_ENDPOINT_NAME, set by addProcessor) the counts carry Endpoint and Processor: two endpoints may each have an "audit"', async () => {
  const counts: Array<[string, unknown]> = [];
  const sink = { count: (name: string, sets: unknown) => void counts.push([name, sets]) };
  await webhookProcessor(() => undefined, { tableName, processorName: 'audit', endpointName: 'Payments/Stripe', dynamoDbClient: client, metrics: sink })({ Records: [record(uniqueName('evt'), 'g1')] }, context);
  const saved = process.env.HW_ENDPOINT_NAME;
  process.env.HW_ENDPOINT_NAME = 'Payments/GitHub';
  try {
    await webhookProcessor(() => undefined, { tableName, processorName: 'audit', dynamoDbClient: client, metrics: sink })({ Records: [record(uniqueName('evt'), 'g1')] }, context);
  } finally {
    if (saved === undefined) delete process.env.HW_ENDPOINT_NAME;
    else process.env.HW_ENDPOINT_NAME = saved;
  }
  expect(counts).toEqual([
    ['Processed', [{ Endpoint: 'Payments/Stripe', Processor: 'audit' }]],
    ['Processed', [{ Endpoint: 'Payments/GitHub', Processor: 'audit' }]],
  ]);
});

test('a metric that cannot be written does not fail the record, so a completed handler never runs again', async () => {
  let runs = 0;
  const id = uniqueName('evt');
  const run = webhookProcessor(() => void (runs += 1), {
    tableName, processorName: 'metrics-broken', dynamoDbClient: client,
    metrics: { count: () => { throw new Error('stdout closed'); } },
  });
  expect((await run({ Records: [record(id, 'g1')] }, context)).batchItemFailures).toEqual([]);
  expect((await run({ Records: [record(id, 'g1')] }, context)).batchItemFailures).toEqual([]);
  expect(runs).toBe(1);
});
