import { createHmac } from 'node:crypto';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ScopedTokens, webhookProcessor, type WebhookHandler } from '../../lambda/runtime';
import { CLAIM_STATE, ENV, KEY_PREFIX, TABLE, TOKEN_VALUE_VERSION } from '../../lambda/shared/contract';
import { HardenedWebhookEndpoint, ScopedToken, WebhookProvider } from '../../lib';
import { startHarness, type Fault, type Harness, type HarnessRequest, type HarnessResponse, type ProcessorImplementation } from '../../local';
import { fixedKey, SIGNERS } from '../hardening/support/signers';
import {
  EffectsTable, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, stripeEvent, stripeHeaders, type AttemptLog,
} from '../harness/fixtures';

/**
 * Ambiguous outcomes: an AWS call that took effect, whose answer was then lost on the way back (the
 * proxy's `lose-response` fault forwards the call to moto — SendMessage through the FIFO
 * deduplication layer — and destroys the connection before the answer). The SDK sees a network
 * error and retries a call that already happened. Whatever call it was, each processor's side
 * effect must still happen exactly once.
 *
 * Every test checks that its fault really fired (`hits`): a fault that never matched proves nothing.
 */

/** Polls a condition (no fixed sleeps); fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Delivers a request as a sender does: a 503 (the verifier gave up on AWS; the claim stays) is
 * retried with the same bytes. Returns every answer; the last one must be a 200.
 */
async function deliver(harness: Harness, request: HarnessRequest): Promise<HarnessResponse[]> {
  const answers = [await harness.post(request)];
  for (let retry = 0; retry < 2 && answers[answers.length - 1].status === 503; retry += 1) answers.push(await harness.post(request));
  expect(answers.map((answer) => answer.status)).toEqual([...answers.slice(1).map(() => 503), 200]);
  return answers;
}

/** Every verifier claim item in the endpoint's table (ID claims and content claims), read from moto. */
async function claims(harness: Harness): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await harness.aws.dynamoDb.send(new ScanCommand({
      TableName: harness.table.name,
      ConsistentRead: true,
      FilterExpression: 'begins_with(#id, :claim)',
      ExpressionAttributeNames: { '#id': TABLE.PARTITION_KEY },
      ExpressionAttributeValues: { ':claim': { S: KEY_PREFIX.CLAIM } },
      ExclusiveStartKey: start,
    }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const loseOnce = { times: 1, action: { type: 'lose-response' } } as const;

describe('ambiguous outcomes in the verifier (Stripe; fulfilment on payment_intent.*, audit on everything)', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }, { name: 'audit' }]);
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects), audit: countingProcessor(effects) } });
    await harness.setSigningSecret(STRIPE_SECRET);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  beforeEach(() => harness.proxy.resetCounts());
  afterEach(() => harness.proxy.healAll());

  const queueOf = (name: string) => harness.processors[name].queue.url;
  const verifierCalls = (operation: string, extra: { resource?: string; outcome?: 'forwarded' | 'deduplicated' | 'response-lost' } = {}) =>
    harness.proxy.count({ role: 'verifier', operation, ...extra });

  /** Delivers a fresh event through the fault; THEN each processor ran once and the claim is ENQUEUED. */
  async function deliveredOnceDespite(fault: () => Fault): Promise<{ id: string; answers: HarnessResponse[]; fault: Fault }> {
    const { id, body } = stripeEvent();
    const injected = fault();
    const answers = await deliver(harness, { body, headers: stripeHeaders(body) });
    await harness.waitForIdle();
    expect(injected.hits).toBe(1);
    expect(['accepted', 'duplicate']).toContain(answers[answers.length - 1].json().status);
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(await effects.count('audit', id)).toBe(1);
    expect((await claimItem(harness, id))?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.ENQUEUED);
    return { id, answers, fault: injected };
  }

  test('the claim PutItem applied, its answer lost: the SDK\'s retry finds the PENDING claim as unfinished and enqueues once', async () => {
    // GIVEN the verifier's first PutItem (the claim) reaches DynamoDB and its answer is lost
    // WHEN Stripe delivers the event (and retries it after a 503, if the verifier answered one)
    const { answers } = await deliveredOnceDespite(() => harness.proxy.inject({ role: 'verifier', service: 'dynamodb', operation: 'PutItem', ...loseOnce }));
    // THEN the SDK retried the claim (its own claim refused it as existing), and one message per queue was added
    expect(verifierCalls('PutItem')).toBe(1 + answers.length);
    expect(verifierCalls('SendMessage', { resource: queueOf('fulfilment'), outcome: 'forwarded' })).toBe(1);
    expect(verifierCalls('SendMessage', { resource: queueOf('audit'), outcome: 'forwarded' })).toBe(1);
  });

  test.each(['fulfilment', 'audit'])('the SendMessage to the %s queue applied, its answer lost: the SDK\'s retry is deduplicated by the FIFO queue; processed once', async (processor) => {
    // GIVEN the send to this processor's queue adds the message and its answer is lost
    // WHEN the event is delivered
    await deliveredOnceDespite(() => harness.proxy.inject({
      role: 'verifier', service: 'sqs', operation: 'SendMessage', when: (call) => call.input.QueueUrl === queueOf(processor), ...loseOnce,
    }));
    // THEN the retried send was answered by the queue's deduplication, not added a second time
    expect(verifierCalls('SendMessage', { resource: queueOf(processor), outcome: 'response-lost' })).toBe(1);
    expect(verifierCalls('SendMessage', { resource: queueOf(processor), outcome: 'forwarded' })).toBe(0);
    expect(verifierCalls('SendMessage', { resource: queueOf(processor), outcome: 'deduplicated' })).toBeGreaterThanOrEqual(1);
    expect(harness.processors[processor].poller?.stats.messageIds.size).toBeGreaterThan(0);
  });

  test('the mark UpdateItem applied, its answer lost: the SDK\'s retry sets ENQUEUED again; processed once', async () => {
    // GIVEN the verifier's UpdateItem (claim → ENQUEUED) is applied and its answer lost
    // WHEN the event is delivered
    const { answers } = await deliveredOnceDespite(() => harness.proxy.inject({ role: 'verifier', service: 'dynamodb', operation: 'UpdateItem', ...loseOnce }));
    // THEN the mark was retried, and no queue got a second message
    expect(verifierCalls('UpdateItem')).toBeGreaterThanOrEqual(2);
    expect(verifierCalls('SendMessage', { outcome: 'forwarded' })).toBe(2);
    if (answers.length === 1) expect(answers[0].json().status).toBe('accepted');
  });
});

describe('ambiguous outcomes on a content claim (Mailgun: the claim is keyed by timestamp + token and bound to the event)', () => {
  const KEY = 'mailgun-ambiguous-outcomes-key';
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ provider: WebhookProvider.mailgun() }, [{ name: 'bounces', eventTypes: ['failed'] }, { name: 'audit' }]);
    harness = await startHarness({ stack, processors: { bounces: countingProcessor(effects), audit: countingProcessor(effects) } });
    await harness.setSigningSecret(KEY);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.proxy.healAll());

  test('the claim PutItem applied, its answer lost: the retry finds its own bound claim (no content replay) and the delivery is accepted once', async () => {
    // GIVEN a genuine "failed" delivery, signed over timestamp + token only
    const eventId = 'ev-ambiguous-claim-1';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = 'token-ambiguous-claim-1';
    const signature = createHmac('sha256', KEY).update(timestamp + token).digest('hex');
    const request = {
      body: JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': { id: eventId, event: 'failed', recipient: 'alice@example.com' } }),
      headers: { 'Content-Type': 'application/json' },
    };
    const replays = harness.metric('ContentReplays');
    const puts = harness.proxy.count({ role: 'verifier', operation: 'PutItem' });
    // AND the content claim's PutItem reaches DynamoDB but its answer is lost
    const fault = harness.proxy.inject({ role: 'verifier', service: 'dynamodb', operation: 'PutItem', ...loseOnce });
    // WHEN Mailgun delivers it
    const response = await harness.post(request);
    await harness.waitForIdle();
    // THEN the SDK's retry met the claim it had itself written, recognised it by its binding, and went on
    expect(fault.hits).toBe(1);
    expect(harness.proxy.count({ role: 'verifier', operation: 'PutItem' }) - puts).toBe(2);
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ status: 'accepted', id: eventId });
    expect(harness.metric('ContentReplays')).toBe(replays);
    // AND each processor ran once, and the one claim for the event is ENQUEUED
    expect(await effects.count('bounces', eventId)).toBe(1);
    expect(await effects.count('audit', eventId)).toBe(1);
    const mine = (await claims(harness)).filter((item) => item[TABLE.EVENT_ID]?.S === eventId);
    expect(mine.map((item) => [item[TABLE.PARTITION_KEY]?.S?.startsWith(`${KEY_PREFIX.CLAIM}${KEY_PREFIX.CONTENT}`), item[TABLE.STATE]?.S])).toEqual([[true, CLAIM_STATE.ENQUEUED]]);
  });
});

describe('ambiguous outcomes on the legacy-claim read (Twilio: 0.1 claims are looked up with GetItem)', () => {
  const signer = SIGNERS.twilio;
  const key = fixedKey('twilio', 'twilio-ambiguous-outcomes-token');
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ provider: WebhookProvider.twilio(), publicUrl: signer.publicUrl }, [{ name: 'delivery', eventTypes: ['message.*'] }, { name: 'audit' }]);
    harness = await startHarness({ stack, processors: { delivery: countingProcessor(effects), audit: countingProcessor(effects) } });
    await harness.setSigningSecret(key.stored);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.proxy.healAll());

  test('the GetItem of the 0.1 claim answered nothing (response lost): the SDK\'s retry reads again; processed once', async () => {
    // GIVEN a Twilio status callback (form body), and the verifier's legacy-claim GetItem answer lost once
    const request = signer.sign({ id: 'SMambiguous1', type: 'delivered', extra: {}, pretty: false }, key, Date.now(), {}, { variant: 0 });
    const fault = harness.proxy.inject({ role: 'verifier', service: 'dynamodb', operation: 'GetItem', ...loseOnce });
    // WHEN Twilio delivers it (and retries after a 503, if there was one)
    await deliver(harness, { body: request.body, headers: request.headers, query: request.query });
    await harness.waitForIdle();
    // THEN the read was retried, one claim exists and is ENQUEUED, and each processor ran once for its event
    expect(fault.hits).toBe(1);
    expect(harness.proxy.count({ role: 'verifier', operation: 'GetItem' })).toBeGreaterThanOrEqual(2);
    const all = await claims(harness);
    expect(all.map((item) => item[TABLE.STATE]?.S)).toEqual([CLAIM_STATE.ENQUEUED]);
    const eventId = all[0][TABLE.EVENT_ID]?.S ?? '';
    expect(eventId).toMatch(/^twilio:/);
    expect(Object.fromEntries(await effects.all())).toEqual({ [`delivery#${eventId}`]: 1, [`audit#${eventId}`]: 1 });
  });
});

describe('ambiguous outcomes in the processor runtime (Powertools idempotency records, scoped token reads)', () => {
  const TOKEN = 'tok_ambiguous_outcomes_3c9e1f';
  let effects: EffectsTable;
  let harness: Harness;
  const attempts: AttemptLog = new Map();
  const tokenArns: Record<string, string> = {};
  /** One per execution environment the harness started for the fulfilment processor. */
  const fulfilmentTokens: ScopedTokens[] = [];

  /**
   * The runtime as a deployed processor uses it: `webhookProcessor` (Powertools idempotency on the
   * endpoint's table) whose handler reads its scoped token with `tokens.get` when granted one, then
   * performs the side effect. With `metadata.failFirst`, the fulfilment processor fails its first attempt.
   */
  const processor = (withToken: boolean): ProcessorImplementation => ({
    create: (context) => {
      const tokens = withToken
        ? new ScopedTokens({
          secretArns: JSON.parse(context.environment[ENV.TOKENS] ?? '{}') as Record<string, string>,
          client: new SecretsManagerClient(context.clientConfig),
          processorName: context.name,
          metrics: { count: () => undefined },
        })
        : undefined;
      if (tokens) fulfilmentTokens.push(tokens);
      const handler: WebhookHandler = async (event) => {
        const attemptKey = `${context.name}#${event.id}`;
        const attempt = (attempts.get(attemptKey) ?? 0) + 1;
        attempts.set(attemptKey, attempt);
        const token = tokens ? await tokens.get('orders-write') : '';
        if (withToken && event.json<{ metadata?: { failFirst?: boolean } }>().metadata?.failFirst && attempt === 1) throw new Error('first attempt fails');
        await effects.increment(context.name, event.id, { token });
      };
      return webhookProcessor(handler, { tableName: context.tableName, processorName: context.name, dynamoDbClient: context.dynamoDbClient, metrics: { count: () => undefined } });
    },
  });

  beforeAll(async () => {
    effects = await EffectsTable.create();
    const stack = new Stack(new App(), 'AmbiguousRuntime');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Endpoint', { provider: WebhookProvider.stripe() });
    const ordersWrite = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write' });
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
    endpoint.addProcessor(fn('FulfilmentFn'), { name: 'fulfilment', eventTypes: ['payment_intent.*'], tokens: [ordersWrite] });
    endpoint.addProcessor(fn('AuditFn'), { name: 'audit' });
    // A 2 s function timeout bounds the in-progress lease; a failed record comes back 2 s after its
    // invocation ended, so — as in the deployed stack, whose visibility timeout is six times the
    // function's — a redelivery never meets a lease that is still running.
    harness = await startHarness({ stack, processorTimeoutMs: 2_000, poller: { retryVisibilityTimeoutSeconds: 2 }, processors: { fulfilment: processor(true), audit: processor(false) } });
    await harness.setSigningSecret(STRIPE_SECRET);
    // Processors are built per execution environment, at their first invocation: the token's ARN is
    // read from the function's environment as the template resolves it.
    Object.assign(tokenArns, JSON.parse(harness.processors.fulfilment.function?.definition.environment[ENV.TOKENS] ?? '{}'));
    expect(Object.keys(tokenArns)).toEqual(['orders-write']);
    await harness.aws.secretsManager.send(new PutSecretValueCommand({
      SecretId: tokenArns['orders-write'],
      SecretString: JSON.stringify({ v: TOKEN_VALUE_VERSION, token: TOKEN, issuedAt: new Date().toISOString() }),
      VersionStages: ['AWSCURRENT'],
    }));
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  beforeEach(() => harness.proxy.resetCounts());
  afterEach(() => harness.proxy.healAll());

  const stats = (name: string) => harness.processors[name].poller?.stats ?? { failedRecords: Number.NaN, deleted: Number.NaN };
  /** A Powertools write of the fulfilment processor's idempotency record. */
  const recordWrite = (operation: 'PutItem' | 'UpdateItem' | 'DeleteItem') => ({ role: 'processor', owner: 'fulfilment', service: 'dynamodb', operation, resource: harness.table.name } as const);

  async function accepted(options: Parameters<typeof stripeEvent>[1] = {}): Promise<string> {
    const { id, body } = stripeEvent(undefined, options);
    const response = await harness.post({ body, headers: stripeHeaders(body) });
    expect(response.json()).toEqual({ status: 'accepted', id });
    return id;
  }
  async function effectOnceEach(id: string): Promise<void> {
    expect(await effects.item('fulfilment', id)).toMatchObject({ count: '1', token: TOKEN });
    expect(await effects.count('audit', id)).toBe(1);
    expect(attempts.get(`audit#${id}`)).toBe(1);
  }

  test('the in-progress PutItem applied, its answer lost: the SDK\'s retry meets its own lease and the record is refused as "in progress" once; the redelivery after the lease runs the handler once', async () => {
    // GIVEN the fulfilment processor's first idempotency PutItem (saveInProgress) is applied and its answer lost
    const fault = harness.proxy.inject({ ...recordWrite('PutItem'), ...loseOnce });
    const failed = stats('fulfilment').failedRecords;
    // WHEN an event reaches it
    const id = await accepted();
    await harness.waitForIdle();
    // THEN the handler ran exactly once, after one refused delivery (its own INPROGRESS record), and the effect happened once
    expect(fault.hits).toBe(1);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    expect(stats('fulfilment').failedRecords - failed).toBe(1);
    await effectOnceEach(id);
  });

  test('the completion UpdateItem applied, its answer lost once: the SDK\'s retry completes the record; no redelivery, handler once', async () => {
    // GIVEN the fulfilment processor's saveSuccess UpdateItem is applied and its answer lost
    const fault = harness.proxy.inject({ ...recordWrite('UpdateItem'), ...loseOnce });
    const failed = stats('fulfilment').failedRecords;
    // WHEN an event reaches it
    const id = await accepted();
    await harness.waitForIdle();
    // THEN the write was retried, the record did not fail, and the effect happened once
    expect(fault.hits).toBe(1);
    expect(harness.proxy.count({ ...recordWrite('UpdateItem') })).toBe(2);
    expect(stats('fulfilment').failedRecords - failed).toBe(0);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    await effectOnceEach(id);
  });

  test('every attempt of the completion UpdateItem applied but unanswered: the record fails after the effect, and the redelivery finds it COMPLETED and does not run the handler again', async () => {
    // GIVEN every saveSuccess UpdateItem of the fulfilment processor is applied and its answer lost (all the SDK's attempts)
    const fault = harness.proxy.inject({ ...recordWrite('UpdateItem'), action: { type: 'lose-response' } });
    const failed = stats('fulfilment').failedRecords;
    // WHEN an event reaches it, and the record fails
    const id = await accepted();
    await until('the fulfilment record to fail', () => stats('fulfilment').failedRecords > failed);
    fault.heal();
    await harness.waitForIdle();
    // THEN the redelivery was answered from the COMPLETED record: the handler ran once, the effect happened once
    expect(fault.hits).toBeGreaterThanOrEqual(2);
    expect(stats('fulfilment').failedRecords - failed).toBe(1);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    await effectOnceEach(id);
  });

  test('the DeleteItem of a failed attempt applied, its answer lost: the SDK\'s retry deletes nothing more; the retry of the record runs once and succeeds', async () => {
    // GIVEN an event whose first attempt fails, and the in-progress record's DeleteItem answer lost
    const fault = harness.proxy.inject({ ...recordWrite('DeleteItem'), ...loseOnce });
    // WHEN it is processed
    const id = await accepted({ extra: { metadata: { failFirst: true } } });
    await harness.waitForIdle();
    // THEN two attempts (the failed one and its retry), one side effect
    expect(fault.hits).toBe(1);
    expect(harness.proxy.count({ ...recordWrite('DeleteItem') })).toBe(2);
    expect(attempts.get(`fulfilment#${id}`)).toBe(2);
    await effectOnceEach(id);
  });

  test('the GetSecretValue of the scoped token applied, its answer lost: the SDK\'s retry reads the token; processed once with it', async () => {
    // GIVEN the token cache is cold and the fulfilment processor's GetSecretValue answer is lost once
    for (const tokens of fulfilmentTokens) tokens.invalidate();
    const fault = harness.proxy.inject({
      role: 'processor', owner: 'fulfilment', service: 'secretsmanager', operation: 'GetSecretValue', resource: tokenArns['orders-write'], ...loseOnce,
    });
    // WHEN an event reaches it
    const id = await accepted();
    await harness.waitForIdle();
    // THEN the read was retried and the handler ran once, with the token
    expect(fault.hits).toBe(1);
    expect(harness.proxy.count({ role: 'processor', owner: 'fulfilment', operation: 'GetSecretValue' })).toBe(2);
    expect(attempts.get(`fulfilment#${id}`)).toBe(1);
    await effectOnceEach(id);
  });
});
