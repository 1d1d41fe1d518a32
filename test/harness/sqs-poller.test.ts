import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { startHarness, type Harness } from '../../local/index';
import { drain, endpointStack, queueDepth, sleep } from './fixtures';

/**
 * The event source mapping emulation, with a raw SQS handler: Lambda's record format, partial
 * batch responses, redrive to the dead-letter queue, FIFO group ordering and concurrency.
 */
describe('SQS event source mapping emulation', () => {
  let harness: Harness;
  const batches: SQSRecord[][] = [];
  let behaviour: (event: SQSEvent) => Promise<SQSBatchResponse | void> = async () => undefined;

  beforeAll(async () => {
    const { stack } = endpointStack({}, [{ name: 'raw', batchSize: 3, maxConcurrency: 2, maxReceiveCount: 2 }]);
    harness = await startHarness({
      stack,
      processorTimeoutMs: 1500,
      poller: { retryVisibilityTimeoutSeconds: 1 },
      processors: {
        raw: async (event) => {
          batches.push(event.Records);
          return behaviour(event);
        },
      },
    });
  });
  afterAll(() => harness?.stop());
  beforeEach(() => {
    batches.length = 0;
    behaviour = async () => undefined;
  });

  const queueUrl = () => harness.processors.raw.queue.url;
  const send = (body: string, group: string, dedup: string = randomUUID()) => harness.aws.sqs.send(new SendMessageCommand({
    QueueUrl: queueUrl(), MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup,
    MessageAttributes: { 'hw-event-id': { DataType: 'String', StringValue: body } },
  }));
  const records = () => batches.flat();

  test('hands the function SQSEvent records exactly as Lambda builds them, and deletes them after success', async () => {
    const sent = await send('format', 'g-format', 'dedup-format');
    await harness.waitForIdle();
    expect(records()).toHaveLength(1);
    const [record] = records();
    expect(record).toEqual({
      messageId: sent.MessageId,
      receiptHandle: expect.any(String),
      body: 'format',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SequenceNumber: expect.stringMatching(/^\d+$/),
        MessageGroupId: 'g-format',
        SenderId: expect.any(String),
        MessageDeduplicationId: 'dedup-format',
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: { 'hw-event-id': { stringValue: 'format', stringListValues: [], binaryListValues: [], dataType: 'String' } },
      md5OfBody: sent.MD5OfMessageBody,
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: 'aws:sqs',
      eventSourceARN: harness.processors.raw.queue.arn,
      awsRegion: 'us-east-1',
    });
    expect(await queueDepth(harness.aws.sqs, queueUrl())).toBe(0);
  });

  test('ReportBatchItemFailures: deletes the records that succeeded; the failed one reappears with a higher receive count', async () => {
    behaviour = async (event) => ({ batchItemFailures: event.Records.filter((record) => record.body === 'fail-once' && record.attributes.ApproximateReceiveCount === '1').map((record) => ({ itemIdentifier: record.messageId })) });
    await send('ok-1', 'g-partial-a');
    await send('fail-once', 'g-partial-b');
    await harness.waitForIdle();
    const seen = records().map((record) => `${record.body}@${record.attributes.ApproximateReceiveCount}`).sort();
    expect(seen).toEqual(['fail-once@1', 'fail-once@2', 'ok-1@1']);
  });

  test('an unknown itemIdentifier in the response fails the whole batch (as Lambda does)', async () => {
    let calls = 0;
    behaviour = async () => (++calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : { batchItemFailures: [] });
    await send('invalid-response', 'g-invalid');
    await harness.waitForIdle();
    expect(records().map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
  });

  test('a record failing maxReceiveCount times is moved to the dead-letter queue, body and group intact', async () => {
    behaviour = async (event) => ({ batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) });
    const sent = await send('poison', 'g-poison');
    await harness.waitForIdle({ timeoutMs: 20_000 });
    expect(records().filter((record) => record.body === 'poison')).toHaveLength(2);
    const dead = await drain(harness.aws.sqs, harness.processors.raw.deadLetterQueue?.url ?? '');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ MessageId: sent.MessageId, Body: 'poison', Attributes: { MessageGroupId: 'g-poison' } });
  });

  test('a function timeout fails the whole batch', async () => {
    let calls = 0;
    behaviour = async () => {
      if (++calls === 1) await sleep(3000);
    };
    await send('slow', 'g-slow');
    await harness.waitForIdle({ timeoutMs: 20_000 });
    expect(records().map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(harness.processors.raw.function?.stats.timeouts).toBeGreaterThanOrEqual(1);
  });

  test('FIFO: batches of at most BatchSize, one in-flight batch per message group, order kept within a group, at most MaximumConcurrency invocations', async () => {
    const active = new Set<string>();
    let overlap = 0;
    let concurrent = 0;
    let peak = 0;
    behaviour = async (event) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      const groups = new Set(event.Records.map((record) => record.attributes.MessageGroupId ?? ''));
      for (const group of groups) {
        if (active.has(group)) overlap++;
        active.add(group);
      }
      await sleep(30);
      for (const group of groups) active.delete(group);
      concurrent--;
    };
    for (let i = 0; i < 12; i++) await send(`a-${String(i).padStart(2, '0')}`, 'g-order-a');
    for (let i = 0; i < 12; i++) await send(`b-${String(i).padStart(2, '0')}`, 'g-order-b');
    for (let i = 0; i < 6; i++) await send(`c-${i}`, `g-spread-${i}`);
    await harness.waitForIdle();
    expect(overlap).toBe(0);
    expect(harness.processors.raw.poller?.stats.groupViolations).toBe(0);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(3);
    // At most MaximumConcurrency: whether two groups' batches happen to overlap depends on the
    // machine's load, so the test asserts the bound the mapping promises, not an overlap.
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
    for (const prefix of ['a-', 'b-']) {
      const order = records().map((record) => record.body).filter((body) => body.startsWith(prefix));
      expect(order).toEqual([...order].sort());
      expect(order).toHaveLength(12);
    }
  });

  test('a group is free once its batch\'s delete has landed, before the answer is back: another poller taking it then is no violation', async () => {
    // What a starved event loop does: moto has deleted the batch (the group is free, as in SQS), the
    // answer has not been handled yet, and the other poller's receive of the group's next message is.
    const violations = harness.processors.raw.poller?.stats.groupViolations ?? 0;
    const late = harness.proxy.inject({ role: 'poller', operation: 'DeleteMessageBatch', action: { type: 'hold-response' }, times: 1 });
    await send('held-1', 'g-held');
    await late.waitForHits(1);
    const deleteCall = harness.proxy.calls.filter((call) => call.role === 'poller' && call.operation === 'DeleteMessageBatch').pop();
    while (deleteCall?.status === undefined) await sleep(10); // moto has answered; the proxy holds the answer
    await send('held-2', 'g-held');
    harness.processors.raw.poller?.nudge();
    while (!records().some((record) => record.body === 'held-2')) await sleep(10);
    late.heal();
    await harness.waitForIdle();
    expect(records().map((record) => record.body)).toEqual(['held-1', 'held-2']);
    expect(harness.processors.raw.poller?.stats.groupViolations).toBe(violations);
  });
});
