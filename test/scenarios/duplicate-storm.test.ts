import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { encodeMessage } from '../../lambda/verifier/dispatch';
import { startHarness, type Harness, type HarnessResponse } from '../../local';
import type { CallFilter } from '../../local/aws-proxy';
import { EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, queueDepth, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Scenario b: the same delivery many times, at once and spread out. Every sender gets a 2xx, the
 * event is processed exactly once. Each concurrent request runs in its own execution environment, as
 * in Lambda.
 *
 * SQS FIFO deduplication alone would make a storm look handled, so these tests count what the claim
 * does: which copies were answered `duplicate`, and how many SendMessage calls each answer cost.
 * A copy answered `duplicate` must have sent nothing; a copy answered `accepted` sent exactly once.
 */
describe('scenario b: duplicate storm', () => {
  let effects: EffectsTable;
  beforeAll(async () => {
    effects = await EffectsTable.create();
  });
  afterAll(() => effects?.destroy());

  type Answer = { status: string; id: string };
  const answersOf = (responses: readonly HarnessResponse[]) => responses.map((response) => response.json<Answer>());
  const tally = (answers: readonly Answer[], status: string) => answers.filter((answer) => answer.status === status).length;
  const sends = (harness: Harness, filter: CallFilter = {}) => harness.proxy.count({ role: 'verifier', operation: 'SendMessage', ...filter });

  function copies(harness: Harness, body: string, count: number) {
    const headers = stripeHeaders(body);
    return Promise.all(Array.from({ length: count }, () => harness.post({ body, headers })));
  }

  describe('with SQS FIFO deduplication as SQS does it (5-minute window)', () => {
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack();
      harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
      await harness.setSigningSecret(STRIPE_SECRET);
    });
    afterAll(() => harness?.stop());
    afterEach(() => harness.proxy.healAll());

    test('50 racing copies: each accepted copy sent once, each duplicate sent nothing; copies after the claim is ENQUEUED send nothing at all', async () => {
      // GIVEN one event
      const { id, body } = stripeEvent(undefined, { customer: 'cus_storm' });
      // WHEN 50 copies race
      const responses = await copies(harness, body, 50);
      await harness.waitForIdle();
      // THEN every sender gets a 2xx naming the event
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
      const answers = answersOf(responses);
      expect(answers.every((answer) => answer.id === id && ['accepted', 'duplicate'].includes(answer.status))).toBe(true);
      const accepted = tally(answers, 'accepted');
      const duplicates = tally(answers, 'duplicate');
      expect(accepted + duplicates).toBe(50);
      // AND every copy tried to claim; those that found the claim ENQUEUED answered `duplicate` and sent
      // nothing, those that found it PENDING (the winner still enqueuing) sent once and answered `accepted`
      expect(harness.proxy.count({ role: 'verifier', operation: 'PutItem' })).toBe(50);
      expect(sends(harness)).toBe(accepted);
      expect(harness.metric('Duplicates')).toBe(duplicates);
      // AND SQS took one message; its deduplication answered the other sends of copies that raced the winner
      expect(sends(harness, { outcome: 'forwarded' })).toBe(1);
      expect(sends(harness, { outcome: 'deduplicated' })).toBe(accepted - 1);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBe(1);
      expect(harness.verifier.stats.coldStarts).toBeGreaterThan(1);
      expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');

      // WHEN 50 more copies race, now that the claim is ENQUEUED
      const before = { sends: sends(harness), claims: harness.proxy.count({ role: 'verifier', operation: 'PutItem' }) };
      const late = answersOf(await copies(harness, body, 50));
      await harness.waitForIdle();
      // THEN every one is answered `duplicate` by the claim, and none reaches SQS, not even to be deduplicated there
      expect(late).toEqual(Array(50).fill({ status: 'duplicate', id }));
      expect(harness.proxy.count({ role: 'verifier', operation: 'PutItem' }) - before.claims).toBe(50);
      expect(sends(harness) - before.sends).toBe(0);
      expect(harness.metric('Duplicates')).toBe(duplicates + 50);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
    });

    test('50 copies in flight together whose claims land just after the winner enqueued: 49 duplicates, one SendMessage in all', async () => {
      // GIVEN every claim write but the first is held at the proxy until the first copy has been answered
      const { id, body } = stripeEvent(undefined, { customer: 'cus_storm_held' });
      let claimWrites = 0;
      const hold = harness.proxy.inject({ role: 'verifier', operation: 'PutItem', when: () => ++claimWrites > 1, action: { type: 'hang', onHeal: 'forward' } });
      const before = { sends: sends(harness), deduplicated: sends(harness, { outcome: 'deduplicated' }), duplicates: harness.metric('Duplicates') };
      // WHEN 50 copies are sent at once
      const headers = stripeHeaders(body);
      const pending = Array.from({ length: 50 }, () => harness.post({ body, headers }));
      // (the first answer can only be the winner's: every other copy is held before its claim)
      const first = await Promise.race(pending);
      hold.heal();
      const responses = await Promise.all(pending);
      await harness.waitForIdle();
      // THEN the winner was accepted and every other copy — held claims, and copies whose claim came after the heal — is a duplicate
      expect(first.json()).toEqual({ status: 'accepted', id });
      expect(hold.hits).toBeGreaterThan(0); // copies did race the winner: their claims were waiting while it enqueued
      const answers = answersOf(responses);
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
      expect(tally(answers, 'accepted')).toBe(1);
      expect(tally(answers, 'duplicate')).toBe(49);
      expect(harness.metric('Duplicates') - before.duplicates).toBe(49);
      // AND exactly one SendMessage reached SQS; SQS's own deduplication had nothing to absorb
      expect(sends(harness) - before.sends).toBe(1);
      expect(sends(harness, { outcome: 'deduplicated' }) - before.deduplicated).toBe(0);
      expect(await effects.count('fulfilment', id)).toBe(1);
    });
  });

  describe('spread over more than SQS\'s deduplication window (emulated window: 200 ms)', () => {
    const WINDOW_MS = 200;
    const WAVES = 4;
    const EVENTS = 3;
    const COPIES_PER_WAVE = 4;
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack();
      harness = await startHarness({ stack, sqsDeduplicationWindowMs: WINDOW_MS, processors: { fulfilment: countingProcessor(effects) } });
      await harness.setSigningSecret(STRIPE_SECRET);
    });
    afterAll(() => harness?.stop());

    /** Resolves once `condition` holds, checking every few milliseconds; throws after `timeoutMs`. */
    async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    test(`${EVENTS} events, each re-delivered in ${WAVES} waves a window apart: only the first delivery sends; each event processed once`, async () => {
      // GIVEN three events, each delivered once and enqueued
      const events = Array.from({ length: EVENTS }, (_, i) => stripeEvent(undefined, { customer: `cus_spread_${i}` }));
      const first = await Promise.all(events.map(({ body }) => harness.post({ body, headers: stripeHeaders(body) })));
      expect(answersOf(first)).toEqual(events.map(({ id }) => ({ status: 'accepted', id })));
      const sent = harness.proxy.calls.filter((call) => call.role === 'verifier' && call.operation === 'SendMessage');
      expect(sent.map((call) => call.outcome)).toEqual(Array(EVENTS).fill('forwarded'));
      const lastSendAt = Math.max(...sent.map((call) => call.at));

      // WHEN the provider re-delivers every event in waves, wave w starting more than w windows after the last
      // send. The proxy's window runs on the wall clock (Date.now), so there is no clock to advance: the wait
      // is on elapsed time measured from the proxy's own record of the send, which is what its window counts from.
      const waves: Answer[][] = [];
      for (let wave = 1; wave <= WAVES; wave++) {
        await until(() => Date.now() - lastSendAt > wave * WINDOW_MS, `${wave} deduplication windows have passed since the last send`);
        const responses = await Promise.all(events.flatMap(({ body }) => Array.from({ length: COPIES_PER_WAVE }, () => harness.post({ body, headers: stripeHeaders(body) }))));
        waves.push(answersOf(responses));
      }
      await harness.waitForIdle();

      // THEN every re-delivery was claimed after SQS would have forgotten the deduplication ID, across several windows
      const claims = harness.proxy.calls.filter((call) => call.role === 'verifier' && call.operation === 'PutItem').slice(EVENTS);
      expect(claims).toHaveLength(WAVES * EVENTS * COPIES_PER_WAVE);
      expect(Math.min(...claims.map((call) => call.at)) - lastSendAt).toBeGreaterThan(WINDOW_MS);
      expect(Math.floor((Math.max(...claims.map((call) => call.at)) - lastSendAt) / WINDOW_MS)).toBeGreaterThanOrEqual(WAVES);
      // AND the claim answered every one of them `duplicate`, and none sent anything
      for (const answers of waves) expect(answers).toEqual(events.flatMap(({ id }) => Array(COPIES_PER_WAVE).fill({ status: 'duplicate', id })));
      expect(harness.metric('Duplicates')).toBe(WAVES * EVENTS * COPIES_PER_WAVE);
      expect(sends(harness)).toBe(EVENTS);
      expect(sends(harness, { outcome: 'deduplicated' })).toBe(0);
      // AND each event was processed once, from one message
      for (const { id } of events) expect(await effects.count('fulfilment', id)).toBe(1);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBe(EVENTS);

      // Control: the window really has passed — the verifier's message for each event, sent again now, is a new message
      // to SQS, not deduplicated; the processor's idempotency is what keeps it from running again.
      const sqs = new SQSClient(await harness.clientConfig('late-resend'));
      try {
        for (const [i, { id, body }] of events.entries()) {
          const message = encodeMessage({ eventId: id, eventType: 'payment_intent.succeeded', provider: 'stripe', groupId: `cus_spread_${i}`, body: Buffer.from(body), receivedAtMs: Date.now() });
          await sqs.send(new SendMessageCommand({
            QueueUrl: harness.processors.fulfilment.queue.url, MessageBody: message.body, MessageAttributes: message.attributes, MessageGroupId: `cus_spread_${i}`, MessageDeduplicationId: id,
          }));
        }
      } finally {
        sqs.destroy();
      }
      harness.processors.fulfilment.poller?.nudge();
      await harness.waitForIdle();
      expect(harness.proxy.count({ caller: 'late-resend', operation: 'SendMessage', outcome: 'forwarded' })).toBe(EVENTS);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBe(2 * EVENTS);
      for (const { id } of events) expect(await effects.count('fulfilment', id)).toBe(1);
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
      const { id, body } = stripeEvent(undefined, { customer: 'cus_storm' });
      const responses = await copies(harness, body, 50);
      await harness.waitForIdle();
      expect(responses.every((response) => response.status === 200)).toBe(true);
      const answers = answersOf(responses);
      expect(sends(harness)).toBe(tally(answers, 'accepted'));
      expect(tally(answers, 'accepted') + tally(answers, 'duplicate')).toBe(50);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(harness.processors.fulfilment.poller?.stats.messageIds.size).toBeGreaterThanOrEqual(1);
      expect(sends(harness, { outcome: 'deduplicated' })).toBe(0);
    });
  });
});
