import { startHarness, type Harness, type HarnessResponse } from '../../local';
import { EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, mulberry, queueDepth, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Stage throttling, enforced: the stack's token bucket (here 5 requests per second, burst 5, instead of
 * the default 100 / 200) answers the excess of a burst with API Gateway's 429 before the verifier runs,
 * so a throttled delivery is neither claimed nor enqueued — and the sender's retry later goes through
 * as a first delivery, processed once.
 */
describe('stage throttling (enforced by the harness)', () => {
  const RATE = 5;
  const BURST = 5;
  const EVENTS = 15;
  const MAX_ATTEMPTS = 10;
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ throttle: { rateLimit: RATE, burstLimit: BURST } });
    harness = await startHarness({ stack, enforceThrottling: true, processors: { fulfilment: countingProcessor(effects) } });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  /** Resolves once `condition` holds, checking every few milliseconds; throws after `timeoutMs`. */
  async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const deliver = (body: string) => harness.post({ body, headers: stripeHeaders(body) });
  const calls = (operation: string) => harness.proxy.count({ role: 'verifier', operation });

  test(`a burst of ${EVENTS} distinct deliveries over ${RATE} rps / burst ${BURST}: the excess is answered 429 with nothing claimed; the senders' retries go through; each event processed once`, async () => {
    // GIVEN distinct signed events, all sent at once
    const events = Array.from({ length: EVENTS }, (_, i) => stripeEvent(undefined, { customer: `cus_throttle_${i}` }));
    const started = Date.now();
    const burst = await Promise.all(events.map(({ body }) => deliver(body)));
    const burstMs = Date.now() - started;

    // THEN some are answered 429 as API Gateway does, the others accepted; no more got through than the bucket holds
    const throttled = events.filter((_, i) => burst[i].status === 429);
    const accepted = events.filter((_, i) => burst[i].status === 200);
    expect(throttled.length + accepted.length).toBe(EVENTS);
    expect(throttled.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(BURST + Math.ceil((RATE * burstMs) / 1000));
    for (const [i, { id }] of events.entries()) {
      if (burst[i].status === 200) expect(burst[i].json()).toEqual({ status: 'accepted', id });
    }
    const refusals = burst.filter((response) => response.status === 429);
    for (const response of refusals) {
      expect(response.headers['x-amzn-errortype']).toBe('TooManyRequestsException');
      expect(response.json()).toEqual({ message: 'Too Many Requests' });
    }
    expect(harness.api.stats.throttled).toBe(throttled.length);

    // AND nothing was claimed or enqueued for the 429s: the verifier ran once per accepted delivery only
    expect(harness.verifier.stats.invocations).toBe(accepted.length);
    expect(calls('PutItem')).toBe(accepted.length);
    expect(calls('SendMessage')).toBe(accepted.length);
    for (const { id } of throttled) expect(await claimItem(harness, id)).toBeUndefined();

    // WHEN each throttled sender retries its own delivery, and only on a 429, at most MAX_ATTEMPTS times. The
    // bucket refills with time (RATE tokens a second) and nothing reports its level, so after each 429 the
    // sender waits, with seeded jitter, for as long as the bucket takes to refill one token per sender
    // still waiting — a condition on the time elapsed since that 429, not a fixed sleep.
    const random = mulberry(7);
    const waiting = new Set(throttled.map(({ id }) => id));
    const attempts = new Map<string, number>();
    const retry = async ({ id, body }: (typeof events)[number]): Promise<HarnessResponse> => {
      for (let attempt = 1; ; attempt++) {
        attempts.set(id, attempt);
        const response = await deliver(body);
        if (response.status !== 429 || attempt === MAX_ATTEMPTS) {
          waiting.delete(id);
          return response;
        }
        const refusedAt = Date.now();
        const backoffMs = ((1000 / RATE) * waiting.size) * (0.5 + random());
        await until(() => Date.now() - refusedAt >= backoffMs, `${id}'s backoff after a 429`);
      }
    };
    const retried = await Promise.all(throttled.map(retry));
    await harness.waitForIdle();

    // THEN every retry was accepted, within the bound, as a first delivery (not a duplicate: nothing was claimed before)
    expect(retried.map((response) => response.status)).toEqual(Array(throttled.length).fill(200));
    expect(retried.map((response) => response.json())).toEqual(throttled.map(({ id }) => ({ status: 'accepted', id })));
    expect(Math.max(...attempts.values())).toBeLessThanOrEqual(MAX_ATTEMPTS);
    // AND every 429 was a request the verifier never saw; each event was claimed and enqueued once
    const retries429 = [...attempts.values()].reduce((sum, count) => sum + count - 1, 0);
    expect(harness.api.stats.throttled).toBe(throttled.length + retries429);
    expect(harness.verifier.stats.invocations).toBe(EVENTS);
    expect(calls('PutItem')).toBe(EVENTS);
    expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'forwarded' })).toBe(EVENTS);
    expect(harness.metric('Duplicates')).toBe(0);
    // AND nothing was lost: every event processed exactly once, and nothing else
    for (const { id } of events) {
      expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
      expect(await effects.count('fulfilment', id)).toBe(1);
    }
    expect([...(await effects.all()).values()]).toEqual(Array(EVENTS).fill(1));
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
  }, 60_000);
});
