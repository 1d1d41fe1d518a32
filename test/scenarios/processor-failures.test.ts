import type { WebhookEnvelope } from '../../lambda/shared/contract';
import { startHarness, type Harness } from '../../local';
import {
  EffectsTable, STRIPE_SECRET, countingProcessor, drain, endpointStack, queueDepth, stripeEvent, stripeHeaders, type AttemptLog,
} from '../harness/fixtures';

/**
 * Scenario f: processors that fail. Failed records come back after the visibility timeout — the
 * poller shortens it to 1 s with ChangeMessageVisibility so that the test runs in seconds; the
 * stack itself is the default configuration (maxReceiveCount 3 for fulfilment).
 */
describe('scenario f: processor failures', () => {
  let effects: EffectsTable;
  let harness: Harness;
  const attempts: AttemptLog = new Map();
  const effectAt = new Map<string, number>();
  /** Every attempt of the fulfilment processor, in the order it saw them. */
  const seen: Array<{ id: string; group: string; attempt: number; at: number; dlqDepth?: number }> = [];
  const attemptTimes = (id: string) => seen.filter((entry) => entry.id === id).map((entry) => entry.at);
  let poisonId = '';
  /** While set, each fulfilment attempt also records how many messages this dead-letter queue held when it began. */
  let watchedDlq: string | undefined;

  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'], maxReceiveCount: 3 }, { name: 'audit' }]);
    harness = await startHarness({
      stack,
      poller: { retryVisibilityTimeoutSeconds: 1 },
      processors: {
        fulfilment: countingProcessor(effects, {
          attempts,
          behaviour: async (event, attempt) => {
            const entry: (typeof seen)[number] = { id: event.id, group: event.delivery.groupId ?? '', attempt, at: Date.now() };
            seen.push(entry);
            if (watchedDlq) entry.dlqDepth = await queueDepth(harness.aws.sqs, watchedDlq);
            if (event.id === poisonId) throw new Error('poison: always fails');
            if (event.json<{ metadata?: { flaky?: boolean } }>().metadata?.flaky && attempt <= 2) throw new Error(`flaky: attempt ${attempt} fails`);
          },
          afterEffect: (event) => {
            effectAt.set(`fulfilment#${event.id}`, Date.now());
          },
        }),
        audit: countingProcessor(effects, { attempts }),
      },
    });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  const deliver = async (options: Parameters<typeof stripeEvent>[1]) => {
    const { id, body } = stripeEvent(undefined, options);
    const response = await harness.post({ body, headers: stripeHeaders(body) });
    expect(response.json()).toEqual({ status: 'accepted', id });
    return { id, body };
  };

  test('a processor that throws twice, then succeeds: one side effect, the message deleted, nothing in the DLQ', async () => {
    const { id } = await deliver({ customer: 'cus_flaky', extra: { metadata: { flaky: true } } });
    await harness.waitForIdle({ timeoutMs: 20_000 });
    expect(attempts.get(`fulfilment#${id}`)).toBe(3);
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(await effects.count('audit', id)).toBe(1);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '')).toBe(0);
  });

  test('a processor that always throws: the message lands in its DLQ after maxReceiveCount, payload intact; other groups and other processors keep flowing', async () => {
    const poison = stripeEvent(undefined, { customer: 'cus_poison' });
    poisonId = poison.id;
    expect((await harness.post({ body: poison.body, headers: stripeHeaders(poison.body) })).status).toBe(200);
    const others = [];
    for (const customer of ['cus_1', 'cus_2', 'cus_3', 'cus_4']) others.push(await deliver({ customer }));
    await harness.waitForIdle({ timeoutMs: 30_000 });

    // The poison message: tried maxReceiveCount (3) times, then moved to the DLQ with its exact payload.
    expect(attempts.get(`fulfilment#${poison.id}`)).toBe(3);
    expect(await effects.count('fulfilment', poison.id)).toBe(0);
    const dead = await drain(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '');
    expect(dead).toHaveLength(1);
    const envelope = JSON.parse(dead[0].Body ?? '{}') as WebhookEnvelope;
    expect(envelope).toMatchObject({ v: 1, id: poison.id, type: 'payment_intent.succeeded', provider: 'stripe', bodyEncoding: 'utf8' });
    expect(envelope.body).toBe(poison.body);
    expect(dead[0].Attributes).toMatchObject({ MessageGroupId: 'cus_poison', MessageDeduplicationId: poison.id });
    expect(Number(dead[0].Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(3);

    // Other groups were processed once each, while the poison message was still being retried.
    const lastPoisonAttempt = Math.max(...attemptTimes(poison.id));
    for (const { id } of others) {
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(effectAt.get(`fulfilment#${id}`)).toBeLessThan(lastPoisonAttempt);
    }
    // The other processor received the poison event too, and processed it once.
    for (const { id } of [poison, ...others]) expect(await effects.count('audit', id)).toBe(1);
    expect(await queueDepth(harness.aws.sqs, harness.processors.audit.deadLetterQueue?.url ?? '')).toBe(0);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
  }, 60_000);

  test('FIFO with the default batch size of 1: messages behind a poison message of its group wait until it has left for the DLQ, then run once each, in order; other groups go ahead', async () => {
    const deadLetterQueue = harness.processors.fulfilment.deadLetterQueue?.url ?? '';
    expect(await queueDepth(harness.aws.sqs, deadLetterQueue)).toBe(0);
    // GIVEN, queued together while the fulfilment event source mapping is disabled (as under load), in this
    // order: a poison message, a message of its group, one of another group, another of its group, one more of another group
    const poller = harness.processors.fulfilment.poller;
    await poller?.stop();
    const poison = stripeEvent(undefined, { customer: 'cus_blocked' });
    poisonId = poison.id;
    expect((await harness.post({ body: poison.body, headers: stripeHeaders(poison.body) })).status).toBe(200);
    const behind1 = await deliver({ customer: 'cus_blocked' });
    const other1 = await deliver({ customer: 'cus_free_1' });
    const behind2 = await deliver({ customer: 'cus_blocked' });
    const other2 = await deliver({ customer: 'cus_free_2' });
    // WHEN the mapping is enabled again
    const from = seen.length;
    watchedDlq = deadLetterQueue;
    try {
      poller?.start();
      await harness.waitForIdle({ timeoutMs: 30_000 });
    } finally {
      watchedDlq = undefined;
    }
    const log = seen.slice(from);
    const first = (id: string) => {
      const entry = log.find((candidate) => candidate.id === id);
      if (!entry) throw new Error(`the processor never saw ${id}`);
      return entry;
    };

    // THEN the poison message's group ran in send order: its maxReceiveCount (3) attempts, then each message behind it once
    expect(log.filter((entry) => entry.group === 'cus_blocked').map((entry) => entry.id)).toEqual([poison.id, poison.id, poison.id, behind1.id, behind2.id]);
    // AND no later message of the group ran before the poison message had left the queue: when the first one
    // began, the poison message's last attempt was over and it was in the DLQ
    const lastPoisonAttempt = Math.max(...log.filter((entry) => entry.id === poison.id).map((entry) => entry.at));
    expect(first(behind1.id).at).toBeGreaterThan(lastPoisonAttempt);
    expect(first(behind1.id).dlqDepth).toBe(1);
    // AND the other groups, queued behind the poison message, were not blocked: they ran while it was still being retried
    for (const other of [other1, other2]) {
      expect(first(other.id).dlqDepth).toBe(0);
      expect(first(other.id).at).toBeLessThan(first(behind1.id).at);
    }
    // AND everything but the poison message ran once, on its first attempt; only the poison message is in the DLQ
    for (const { id } of [behind1, behind2, other1, other2]) {
      expect(attempts.get(`fulfilment#${id}`)).toBe(1);
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(await effects.count('audit', id)).toBe(1);
    }
    expect(await effects.count('fulfilment', poison.id)).toBe(0);
    const dead = await drain(harness.aws.sqs, deadLetterQueue);
    expect(dead.map((message) => (JSON.parse(message.Body ?? '{}') as WebhookEnvelope).id)).toEqual([poison.id]);
  }, 60_000);
});
