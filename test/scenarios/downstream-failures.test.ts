import { startHarness, type Harness } from '../../local';
import { EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, queueDepth, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Scenarios d and e: AWS failing under the verifier, and the verifier dying mid-delivery. The
 * sender's retry (same bytes, same signature) must be processed exactly once.
 */
describe('scenarios d and e: downstream failures', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }, { name: 'audit' }]);
    // A 3 s function timeout: a hung call kills the invocation before the SDK's own 2 s request
    // timeouts and retries can answer 503, which is what "the verifier dies" needs (the template's
    // 10 s timeout is exercised by the last test).
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects), audit: countingProcessor(effects) }, verifier: { timeoutMs: 3_000 } });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  beforeEach(() => harness.proxy.resetCounts());
  afterEach(() => harness.proxy.healAll());

  const delivery = () => {
    const { id, body } = stripeEvent();
    return { id, request: { body, headers: stripeHeaders(body) } };
  };
  const processedOnce = async (id: string) => {
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(await effects.count('audit', id)).toBe(1);
  };

  test('d: SQS unavailable → 503 with Retry-After, the claim stays PENDING (never deleted); the retry after recovery finishes it, processed once', async () => {
    const { id, request } = delivery();
    const outage = harness.proxy.inject({ role: 'verifier', service: 'sqs', operation: 'SendMessage', action: { type: 'error' } });
    const failed = await harness.post(request);
    expect(failed.status).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'downstream_unavailable' });
    expect(failed.headers['retry-after']).toBe('30');
    expect(outage.hits).toBeGreaterThanOrEqual(2 * 3); // two queues, each send tried by the SDK's retries
    expect((await claimItem(harness, id))?.state?.S).toBe('PENDING');
    expect(harness.proxy.count({ role: 'verifier', operation: 'DeleteItem' })).toBe(0);
    for (const processor of Object.values(harness.processors)) expect(await queueDepth(harness.aws.sqs, processor.queue.url)).toBe(0);

    outage.heal();
    const retried = await harness.post(request);
    expect(retried.json()).toEqual({ status: 'accepted', id });
    await processedOnce(id);
    expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
  });

  test('d: one of two queues failing → 503, the claim left PENDING; the retry re-sends to both, the queue that already had it deduplicates', async () => {
    const { id, request } = delivery();
    const auditQueue = harness.processors.audit.queue.url;
    const outage = harness.proxy.inject({ role: 'verifier', operation: 'SendMessage', when: (call) => call.input.QueueUrl === auditQueue, action: { type: 'error' } });
    expect((await harness.post(request)).status).toBe(503);
    expect((await claimItem(harness, id))?.state?.S).toBe('PENDING');
    outage.heal();
    expect((await harness.post(request)).json()).toEqual({ status: 'accepted', id });
    await processedOnce(id);
    const sends = (queueUrl: string, outcome: 'forwarded' | 'deduplicated' | 'error') => harness.proxy.count({ role: 'verifier', operation: 'SendMessage', resource: queueUrl, outcome });
    const fulfilmentQueue = harness.processors.fulfilment.queue.url;
    expect([sends(fulfilmentQueue, 'forwarded'), sends(fulfilmentQueue, 'deduplicated')]).toEqual([1, 1]);
    expect(sends(auditQueue, 'error')).toBe(outage.hits);
    expect(sends(auditQueue, 'forwarded')).toBe(1);
  });

  test('d: DynamoDB unavailable for the claim → 503, nothing sent; the retry is processed once', async () => {
    const { id, request } = delivery();
    const sends = harness.proxy.count({ role: 'verifier', operation: 'SendMessage' });
    const outage = harness.proxy.inject({ role: 'verifier', operation: 'PutItem', action: { type: 'error' } });
    const failed = await harness.post(request);
    expect(failed.status).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'downstream_unavailable' });
    expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage' })).toBe(sends);
    outage.heal();
    expect((await harness.post(request)).json()).toEqual({ status: 'accepted', id });
    await processedOnce(id);
  });

  test('e: the verifier dies between claim and enqueue (SendMessage hangs past the function\'s Timeout) → 502; a later retry recovers the claim', async () => {
    const { id, request } = delivery();
    const hang = harness.proxy.inject({ role: 'verifier', operation: 'SendMessage', action: { type: 'hang' } });
    const timeouts = harness.verifier.stats.timeouts;
    const started = Date.now();
    const died = await harness.post(request);
    expect(died.status).toBe(502);
    expect(died.json()).toEqual({ message: 'Internal server error' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(harness.verifier.definition.timeoutMs);
    expect(harness.verifier.stats.timeouts).toBe(timeouts + 1);
    expect(hang.hits).toBeGreaterThanOrEqual(1);
    // The environment that died: the caller of the held send. Lambda stopped it, and the proxy
    // refuses it for good, so whatever its SDK still tries — now or later — reaches nothing.
    const dead = harness.proxy.calls.find((call) => call.role === 'verifier' && call.operation === 'SendMessage' && call.outcome === 'hang')?.caller;
    expect(dead).toBeDefined();
    expect((await claimItem(harness, id))?.state?.S).toBe('PENDING');
    expect(harness.proxy.count({ role: 'verifier', operation: ['SendMessage', 'DeleteItem'], outcome: 'forwarded' })).toBe(0);
    for (const processor of Object.values(harness.processors)) expect(await queueDepth(harness.aws.sqs, processor.queue.url)).toBe(0);

    hang.heal();
    const retried = await harness.post(request);
    expect(retried.json()).toEqual({ status: 'accepted', id });
    expect(harness.logs.some((entry) => entry.text.includes('recovered unfinished claim') && entry.text.includes(id))).toBe(true);
    await processedOnce(id);
    expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
    // Nothing from the dead environment reached the emulator after its claim: each later call of it
    // was held by the fault while it lived, or refused once it was stopped (no fixed wait needed —
    // the refusal is permanent, not a race).
    const fromDead = harness.proxy.calls.filter((call) => call.caller === dead);
    const held = fromDead.findIndex((call) => call.outcome === 'hang');
    expect(fromDead.slice(held).filter((call) => call.outcome !== 'hang' && call.outcome !== 'killed')).toEqual([]);
  }, 60_000);

  test('e: the verifier dies between enqueue and mark (UpdateItem hangs) → 502; the message was processed once and the retry adds nothing', async () => {
    const { id, request } = delivery();
    const hang = harness.proxy.inject({ role: 'verifier', operation: 'UpdateItem', action: { type: 'hang' } });
    const died = await harness.post(request);
    expect(died.status).toBe(502);
    expect((await claimItem(harness, id))?.state?.S).toBe('PENDING');
    await processedOnce(id);

    hang.heal();
    const forwarded = harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'forwarded' });
    expect((await harness.post(request)).json()).toEqual({ status: 'accepted', id });
    await processedOnce(id);
    expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'forwarded' })).toBe(forwarded);
    expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
  }, 60_000);
});

describe('a hung AWS call with the template\'s 10 s verifier timeout', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }]);
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  test('SendMessage hangs → the SDK request timeouts answer 503 before the function times out; the claim stays PENDING and the retry is processed once', async () => {
    const { id, body } = stripeEvent();
    const request = { body, headers: stripeHeaders(body) };
    const hang = harness.proxy.inject({ role: 'verifier', operation: 'SendMessage', action: { type: 'hang' } });
    const timeouts = harness.verifier.stats.timeouts;
    const started = Date.now();
    const failed = await harness.post(request);
    const elapsed = Date.now() - started;
    expect(failed.status).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'downstream_unavailable' });
    expect(elapsed).toBeLessThan(harness.verifier.definition.timeoutMs);
    expect(harness.verifier.stats.timeouts).toBe(timeouts);
    expect(hang.hits).toBe(3); // the SDK's three attempts, each cut off by the request timeout
    expect((await claimItem(harness, id))?.state?.S).toBe('PENDING');

    hang.heal();
    expect((await harness.post(request)).json()).toEqual({ status: 'accepted', id });
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', id)).toBe(1);
  }, 60_000);
});
