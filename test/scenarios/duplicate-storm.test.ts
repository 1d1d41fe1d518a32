import { startHarness, type Harness } from '../../local';
import { EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, queueDepth, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Scenario b: the same delivery 50 times at once. Every sender gets a 2xx, the event is processed
 * exactly once. Each concurrent request runs in its own execution environment, as in Lambda.
 */
describe('scenario b: duplicate storm', () => {
  let effects: EffectsTable;
  beforeAll(async () => {
    effects = await EffectsTable.create();
  });
  afterAll(() => effects?.destroy());

  async function storm(harness: Harness, copies = 50) {
    const { id, body } = stripeEvent(undefined, { customer: 'cus_storm' });
    const headers = stripeHeaders(body);
    const responses = await Promise.all(Array.from({ length: copies }, () => harness.post({ body, headers })));
    await harness.waitForIdle();
    return { id, responses };
  }

  describe('with SQS FIFO deduplication as SQS does it', () => {
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack();
      harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
      await harness.setSigningSecret(STRIPE_SECRET);
    });
    afterAll(() => harness?.stop());

    test('50 concurrent copies: every response 2xx, one message, one side effect', async () => {
      const { id, responses } = await storm(harness);
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
      const statuses = responses.map((response) => response.json<{ status: string; id: string }>());
      expect(statuses.every((answer) => answer.id === id && ['accepted', 'duplicate'].includes(answer.status))).toBe(true);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBe(1);
      expect(harness.verifier.stats.coldStarts).toBeGreaterThan(1);
      // Every copy tried to claim; at most one claim won, the rest found it PENDING (send again, deduplicated) or ENQUEUED.
      expect(harness.proxy.count({ role: 'verifier', operation: 'PutItem' })).toBe(50);
      const sends = harness.proxy.count({ role: 'verifier', operation: 'SendMessage' });
      expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'forwarded' })).toBe(1);
      expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'deduplicated' })).toBe(sends - 1);
      expect(harness.metric('Duplicates') + statuses.filter((answer) => answer.status === 'accepted').length).toBe(50);
      expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
      expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
    });
  });

  describe('with moto\'s weaker deduplication (duplicates reach the processor; its idempotency must hold)', () => {
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack();
      harness = await startHarness({ stack, sqsDeduplication: false, processors: { fulfilment: countingProcessor(effects) } });
      await harness.setSigningSecret(STRIPE_SECRET);
    });
    afterAll(() => harness?.stop());

    test('50 concurrent copies: every response 2xx, one side effect however many messages moto let through', async () => {
      const { id, responses } = await storm(harness);
      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBeGreaterThanOrEqual(1);
      expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'deduplicated' })).toBe(0);
    });
  });
});
