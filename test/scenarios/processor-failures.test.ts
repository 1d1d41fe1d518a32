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
  const attemptTimes = new Map<string, number[]>();
  let poisonId = '';

  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'], maxReceiveCount: 3 }, { name: 'audit' }]);
    const record = (key: string) => attemptTimes.set(key, [...(attemptTimes.get(key) ?? []), Date.now()]);
    harness = await startHarness({
      stack,
      poller: { retryVisibilityTimeoutSeconds: 1 },
      processors: {
        fulfilment: countingProcessor(effects, {
          attempts,
          behaviour: (event, attempt) => {
            record(`fulfilment#${event.id}`);
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
    const lastPoisonAttempt = Math.max(...(attemptTimes.get(`fulfilment#${poison.id}`) ?? [0]));
    for (const { id } of others) {
      expect(await effects.count('fulfilment', id)).toBe(1);
      expect(effectAt.get(`fulfilment#${id}`)).toBeLessThan(lastPoisonAttempt);
    }
    // The other processor received the poison event too, and processed it once.
    for (const { id } of [poison, ...others]) expect(await effects.count('audit', id)).toBe(1);
    expect(await queueDepth(harness.aws.sqs, harness.processors.audit.deadLetterQueue?.url ?? '')).toBe(0);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
  }, 60_000);

  test('FIFO with the default batch size of 1: a message behind a poison message of its group waits, then runs once; only the poison reaches the DLQ', async () => {
    // Disable the fulfilment event source mapping while both are sent, so that both are queued together (as under load).
    const poller = harness.processors.fulfilment.poller;
    await poller?.stop();
    const poison = stripeEvent(undefined, { customer: 'cus_blocked' });
    poisonId = poison.id;
    expect((await harness.post({ body: poison.body, headers: stripeHeaders(poison.body) })).status).toBe(200);
    const behind = await deliver({ customer: 'cus_blocked' });
    poller?.start();
    await harness.waitForIdle({ timeoutMs: 30_000 });

    // Order within the group held: it ran only after the poison message left the queue, and exactly once.
    expect(attempts.get(`fulfilment#${behind.id}`)).toBe(1);
    expect(await effects.count('fulfilment', behind.id)).toBe(1);
    const dead = await drain(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '');
    expect(dead.map((message) => (JSON.parse(message.Body ?? '{}') as WebhookEnvelope).id)).toEqual([poison.id]);
    expect(await effects.count('audit', behind.id)).toBe(1);
  }, 60_000);
});
