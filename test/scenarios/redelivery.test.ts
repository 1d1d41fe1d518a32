import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { startHarness, type Harness } from '../../local';
import { EffectsTable, STRIPE_SECRET, countingProcessor, drain, endpointStack, queueDepth, stripeEvent, stripeHeaders, type AttemptLog } from '../harness/fixtures';

/**
 * Scenario g: a message whose work is complete is delivered again. The processor runtime's
 * idempotency record (Powertools, in the emulated table) must stop the side effect from repeating.
 * The stack gives the fulfilment queue a 3 s visibility timeout (the placeholder function's Timeout), so the redelivery comes quickly
 * without the poller shortening anything.
 */
describe('scenario g: redelivery of a completed message', () => {
  let effects: EffectsTable;
  let harness: Harness;
  const attempts: AttemptLog = new Map();

  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'], visibilityTimeout: Duration.seconds(3) }]);
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects, { attempts }) } });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.proxy.healAll());

  const deliverAndProcess = async () => {
    const { id, body } = stripeEvent();
    expect((await harness.post({ body, headers: stripeHeaders(body) })).json()).toEqual({ status: 'accepted', id });
    return id;
  };

  test('the ack (DeleteMessageBatch) fails after the work: the message reappears after the visibility timeout and is not processed again', async () => {
    const ackFailure = harness.proxy.inject({ role: 'poller', owner: 'fulfilment', operation: 'DeleteMessageBatch', action: { type: 'error' }, times: 1 });
    const records = harness.processors.fulfilment.poller?.stats.records ?? 0;
    const id = await deliverAndProcess();
    await harness.waitForIdle({ timeoutMs: 20_000 });
    expect(ackFailure.hits).toBe(1);
    expect(harness.processors.fulfilment.poller?.stats.records).toBe(records + 2);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
  });

  /** Sends the completed event's envelope again as a new SQS message, straight to the queue. */
  const resend = async (id: string, deduplicationId: string) => {
    const queueUrl = harness.processors.fulfilment.queue.url;
    const { body } = stripeEvent(id);
    const envelope = JSON.stringify({ v: 1, id, type: 'payment_intent.succeeded', provider: 'stripe', receivedAt: new Date().toISOString(), body, bodyEncoding: 'utf8', contentType: 'application/json' });
    // Straight to the emulator: this models a send more than 5 minutes later, after SQS's deduplication window.
    await harness.aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: envelope, MessageGroupId: 'cus_default', MessageDeduplicationId: deduplicationId }));
    harness.processors.fulfilment.poller?.nudge();
    await harness.waitForIdle({ timeoutMs: 20_000 });
  };

  test('the same event sent again as a new message after the deduplication window (same deduplication ID) is not processed again', async () => {
    const id = await deliverAndProcess();
    await harness.waitForIdle();
    const ids = harness.processors.fulfilment.poller?.stats.messageIds.size ?? 0;
    await resend(id, id);
    expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBe(ids + 1);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(await drain(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '')).toHaveLength(0);
  });

  // The runtime keys its records on the envelope's event ID, not the SQS deduplication ID, so a
  // re-drive or a re-send by other tooling (a new deduplication ID) does not run the handler again.
  test('the same event sent again with a different deduplication ID is not processed again', async () => {
    const id = await deliverAndProcess();
    await harness.waitForIdle();
    await resend(id, `${id}-redriven`);
    expect(await effects.count('fulfilment', id)).toBe(1);
  });
});
