import { createHash, createHmac } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENVELOPE_VERSION, KEY_PREFIX, MESSAGE_ATTRIBUTES, TABLE } from '../../lambda/shared/contract';
import type { WebhookEvent } from '../../lambda/runtime';
import { safeId } from '../../lambda/verifier/claims';
import { twilioScheme } from '../../lambda/verifier/schemes/twilio';
import { WebhookProvider } from '../../lib/provider';
import { startHarness, type Harness, type HarnessRequest } from '../../local';
import { fixedKey, SIGNERS } from '../hardening/support/signers';
import { formResplits } from '../hardening/support/unsigned-inputs';
import { EffectsTable, countingProcessor, endpointStack } from '../harness/fixtures';
import { context, inbound } from '../support/requests';

/**
 * Issue #10, through the whole emulated path (built verifier bundle, DynamoDB and SQS on moto, the
 * real processor runtime): each way an attacker without the secret turned one signed request into a
 * second event, or re-routed one, in version 0.1 — and every nonce path of Mailgun's single-use token.
 */
const MAILGUN_KEY = 'mailgun-replay-proof-key';
const GITHUB_KEY = 'github-replay-proof-key';
const SHOPIFY_KEY = 'shopify-replay-proof-key';

const hex = (key: string, ...parts: string[]) => parts.reduce((mac, part) => mac.update(part), createHmac('sha256', key)).digest('hex');

/** A Mailgun delivery: the signature block covers only timestamp + token. */
function mailgun(eventId: string, event: string, token: string, extra: Record<string, unknown> = {}): { block: Record<string, string>; body: (data?: Record<string, unknown>) => HarnessRequest } {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const block = { timestamp, token, signature: hex(MAILGUN_KEY, timestamp, token) };
  return {
    block,
    body: (data = { id: eventId, event, recipient: 'alice@example.com', ...extra }) => ({
      body: JSON.stringify({ signature: block, 'event-data': data }),
      headers: { 'Content-Type': 'application/json' },
    }),
  };
}

describe('Mailgun: one signature block is one event, on every path', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ provider: WebhookProvider.mailgun() }, [{ name: 'bounces', eventTypes: ['failed'] }, { name: 'audit', eventTypes: ['failed', 'delivered'] }]);
    harness = await startHarness({ stack, processors: { bounces: countingProcessor(effects), audit: countingProcessor(effects) } });
    await harness.setSigningSecret(MAILGUN_KEY);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.proxy.healAll());

  const sends = () => harness.proxy.count({ role: 'verifier', operation: 'SendMessage' });

  test('the token of an ignored event is spent: its block on an attacker\'s "failed" body enqueues nothing', async () => {
    // GIVEN a genuine "opened" delivery, which no processor wants
    const genuine = mailgun('ev-opened-1', 'opened', 'token-ignored-1');
    expect((await harness.post(genuine.body())).json()).toMatchObject({ status: 'ignored' });
    // WHEN the captured block is put on a body of the attacker's choosing
    const forged = await harness.post(genuine.body({ id: 'ev-forged-1', event: 'failed', recipient: 'victim@example.com' }));
    await harness.waitForIdle();
    // THEN it is refused as a conflicting replay and nothing reaches a queue
    expect(forged.status).toBe(409);
    expect(forged.json()).toMatchObject({ error: 'conflicting_replay' });
    expect(sends()).toBe(0);
    expect(await effects.count('bounces', 'ev-forged-1')).toBe(0);
    expect(harness.metric('ContentReplays')).toBe(1);
  });

  test('a send that failed after another succeeded keeps the token bound to its event: a forged body waits in vain, the retry finishes', async () => {
    // GIVEN the audit queue refuses every send (the SDK's three attempts), the bounces queue works
    const audit = harness.processors.audit.queue.url;
    const fault = harness.proxy.inject({ role: 'verifier', operation: 'SendMessage', when: (call) => call.input.QueueUrl === audit, action: { type: 'error', status: 500 } });
    const genuine = mailgun('ev-partial-1', 'failed', 'token-partial-1');
    const before = sends();
    expect((await harness.post(genuine.body())).status).toBe(503);
    expect(fault.hits).toBeGreaterThan(0);
    // WHEN, before the sender retries, the block arrives on another body
    fault.heal();
    const forged = await harness.post(genuine.body({ id: 'ev-forged-2', event: 'failed', recipient: 'victim@example.com' }));
    // THEN it is refused and nothing is sent for it
    expect(forged.json()).toMatchObject({ error: 'conflicting_replay' });
    const afterForgery = sends();
    // AND the genuine retry is accepted and each processor runs once
    expect((await harness.post(genuine.body())).json()).toMatchObject({ status: 'accepted', id: 'ev-partial-1' });
    await harness.waitForIdle();
    expect(afterForgery - before).toBe(1 + fault.hits); // the bounces send, and the failed audit attempts
    expect(await effects.count('bounces', 'ev-partial-1')).toBe(1);
    expect(await effects.count('audit', 'ev-partial-1')).toBe(1);
    expect(await effects.count('bounces', 'ev-forged-2')).toBe(0);
  });

  test('a claim write that applied but whose answer was lost: the SDK\'s retry finds its own claim and the delivery goes through', async () => {
    // GIVEN the first PutItem of the verifier reaches DynamoDB and its answer is lost
    const fault = harness.proxy.inject({ role: 'verifier', operation: 'PutItem', times: 1, action: { type: 'lose-response' } });
    const genuine = mailgun('ev-lost-1', 'failed', 'token-lost-1');
    // WHEN the delivery is made
    const response = await harness.post(genuine.body());
    await harness.waitForIdle();
    // THEN it is accepted (not refused as its own replay) and processed once
    expect(fault.hits).toBe(1);
    expect(response.json()).toMatchObject({ status: 'accepted', id: 'ev-lost-1' });
    expect(await effects.count('bounces', 'ev-lost-1')).toBe(1);
  });

  test('SQS down, then the sender\'s retry of the same request: processed once', async () => {
    const fault = harness.proxy.inject({ role: 'verifier', operation: 'SendMessage', action: { type: 'error', status: 500 } });
    const genuine = mailgun('ev-down-1', 'failed', 'token-down-1');
    expect((await harness.post(genuine.body())).status).toBe(503);
    fault.heal();
    expect((await harness.post(genuine.body())).json()).toMatchObject({ status: 'accepted' });
    expect((await harness.post(genuine.body())).json()).toMatchObject({ status: 'duplicate' });
    await harness.waitForIdle();
    expect(await effects.count('bounces', 'ev-down-1')).toBe(1);
    expect(await effects.count('audit', 'ev-down-1')).toBe(1);
  });
});

describe('GitHub: the unsigned event name and delivery ID cannot re-route or repeat a signed body', () => {
  let effects: EffectsTable;
  let harness: Harness;
  const payloads = new Map<string, unknown>();
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ provider: WebhookProvider.github() }, [{ name: 'prs', eventTypes: ['pull_request.*'] }, { name: 'issues', eventTypes: ['issues.*'] }]);
    const capture = countingProcessor(effects, { behaviour: (event: WebhookEvent) => void payloads.set(event.id, event.json()) });
    harness = await startHarness({ stack, processors: { prs: capture, issues: countingProcessor(effects) } });
    await harness.setSigningSecret(GITHUB_KEY);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  const deliver = (body: string, event: string, delivery: string, contentType = 'application/json') => harness.post({
    body,
    headers: { 'X-Hub-Signature-256': `sha256=${hex(GITHUB_KEY, body)}`, 'X-GitHub-Event': event, 'X-GitHub-Delivery': delivery, 'Content-Type': contentType },
  });
  const issuesSends = () => harness.proxy.count({ role: 'verifier', operation: 'SendMessage', resource: harness.processors.issues.queue.url });

  test('a signed pull_request body re-sent as X-GitHub-Event: issues under a fresh delivery ID reaches no issues processor', async () => {
    const body = JSON.stringify({ action: 'closed', number: 7, repository: { full_name: 'acme/api' } });
    expect((await deliver(body, 'pull_request', 'd-pr-1')).json()).toMatchObject({ status: 'accepted' });
    const spoofed = await deliver(body, 'issues', 'd-forged-1');
    // AND the same body under a fresh delivery ID alone (a second hook, or a replay) is a duplicate
    const renamed = await deliver(body, 'pull_request', 'd-forged-2');
    await harness.waitForIdle();
    expect(spoofed.status).toBe(409);
    expect(spoofed.json()).toMatchObject({ error: 'conflicting_replay' });
    expect(renamed.json()).toMatchObject({ status: 'duplicate' });
    expect(issuesSends()).toBe(0);
    expect(await effects.count('issues', 'd-forged-1')).toBe(0);
    expect(await effects.count('prs', 'd-pr-1')).toBe(1);
  });

  test('an ignored delivery cannot come back under the same delivery ID with a spoofed event name', async () => {
    const body = JSON.stringify({ action: 'created', starred_at: '2026-11-29T00:00:00Z', repository: { full_name: 'acme/api' } });
    expect((await deliver(body, 'star', 'd-star-1')).json()).toMatchObject({ status: 'ignored' });
    const spoofed = await deliver(body, 'issues', 'd-star-1');
    await harness.waitForIdle();
    expect(spoofed.json()).toMatchObject({ error: 'conflicting_replay' });
    expect(issuesSends()).toBe(0);
  });

  test('a content_type form hook is accepted; the processor gets the exact signed bytes and json() of the payload', async () => {
    const payload = { action: 'opened', number: 8, repository: { full_name: 'acme/api' }, title: 'café ☕ & more' };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    expect((await deliver(body, 'pull_request', 'd-form-1', 'application/x-www-form-urlencoded')).json()).toMatchObject({ status: 'accepted' });
    await harness.waitForIdle();
    expect(await effects.count('prs', 'd-form-1')).toBe(1);
    expect(await effects.item('prs', 'd-form-1')).toMatchObject({ bodyBytes: String(Buffer.byteLength(body)) });
    expect(payloads.get('d-form-1')).toEqual(payload);
  });

  test('upgrade from 0.1 with a delivery in flight: a redelivery whose 0.1 claim is ENQUEUED is processed once', async () => {
    // GIVEN d-up-1 delivered and processed, and the table as 0.1 left it: a claim keyed by the delivery ID
    const body = JSON.stringify({ action: 'opened', number: 9, repository: { full_name: 'acme/api' } });
    expect((await deliver(body, 'pull_request', 'd-up-1')).json()).toMatchObject({ status: 'accepted' });
    await harness.waitForIdle();
    const contentKey = `${KEY_PREFIX.CLAIM}${KEY_PREFIX.CONTENT}${createHash('sha256').update(body).digest('hex')}`;
    await harness.aws.dynamoDb.send(new DeleteItemCommand({ TableName: harness.table.name, Key: { [TABLE.PARTITION_KEY]: { S: contentKey } } }));
    await harness.aws.dynamoDb.send(new PutItemCommand({ TableName: harness.table.name, Item: v01Claim('d-up-1', 'ENQUEUED') }));
    // WHEN GitHub redelivers after the upgrade
    const again = await deliver(body, 'pull_request', 'd-up-1');
    await harness.waitForIdle();
    // THEN the new claim is made, but the event ID is the same, so the processor's record stops a second run
    expect(again.status).toBe(200);
    expect(await effects.count('prs', 'd-up-1')).toBe(1);
  });
});

describe('Twilio: re-splits of one signed string are one event; 0.1 claims are honoured', () => {
  const signer = SIGNERS.twilio;
  const key = fixedKey('twilio', 'twilio-replay-proof-token');
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ provider: WebhookProvider.twilio(), publicUrl: signer.publicUrl }, [{ name: 'sms' }]);
    harness = await startHarness({ stack, processors: { sms: countingProcessor(effects) } });
    await harness.setSigningSecret(key.stored);
  }, 60_000);
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  const sends = () => harness.proxy.count({ role: 'verifier', operation: 'SendMessage' });
  const seed = (id: string) => ({ id, type: 'message.delivered', extra: {}, pretty: false });

  test('appending &=, moving characters between a name and its value, merging parameters: one event, processed once', async () => {
    const request = signer.sign(seed('SMresplit1'), key, Date.now(), {}, { variant: 0 });
    const resplits = formResplits(request.body);
    expect(resplits.length).toBeGreaterThanOrEqual(5);
    // Twilio is answered with empty TwiML whatever happened: what counts is what reached the queue.
    expect((await harness.post({ body: request.body, headers: request.headers, query: request.query })).status).toBe(200);
    for (const [, body] of resplits) {
      // The same signed string under other bytes: refused as a conflicting replay (the same bytes: a duplicate)
      const response = await harness.post({ body, headers: request.headers, query: request.query });
      expect(response.status).toBe(body.equals(request.body) ? 200 : 409);
    }
    await harness.waitForIdle();
    expect(sends()).toBe(1);
    const processed = [...(await effects.all()).values()];
    expect(processed).toEqual([1]);
  });

  test('upgrade from 0.1: a retry whose 0.1 claim is ENQUEUED is a duplicate; one whose 0.1 claim is PENDING is sent under the 0.1 ID', async () => {
    const done = signer.sign(seed('SMupgrade1'), key, Date.now(), {}, { variant: 0 });
    const pending = signer.sign(seed('SMupgrade2'), key, Date.now(), {}, { variant: 0 });
    // The 0.1 ID (its formula is pinned in test/lambda/verifier/schemes/twilio.test.ts) as the scheme offers it.
    const legacyOf = (request: typeof done) => {
      const verdict = twilioScheme.verify(inbound({ body: request.body, headers: request.headers, query: request.query }, signer.publicUrl), context([key.stored], Date.now()), {});
      if (!verdict.ok || !verdict.event.legacyIds) throw new Error('no legacy ID');
      return verdict.event.legacyIds[0];
    };
    // GIVEN the table and queue as 0.1 left them
    await harness.aws.dynamoDb.send(new PutItemCommand({ TableName: harness.table.name, Item: v01Claim(legacyOf(done), 'ENQUEUED') }));
    const pendingId = legacyOf(pending);
    await harness.aws.dynamoDb.send(new PutItemCommand({ TableName: harness.table.name, Item: v01Claim(pendingId, 'PENDING') }));
    // 0.1 had sent the message to the queue before it died (in flight across the upgrade)
    await harness.aws.sqs.send(new SendMessageCommand({
      QueueUrl: harness.processors.sms.queue.url,
      MessageGroupId: 'SMupgrade2',
      MessageDeduplicationId: safeId(pendingId),
      MessageBody: JSON.stringify({ v: ENVELOPE_VERSION, id: pendingId, type: 'message.delivered', provider: 'twilio', receivedAt: new Date().toISOString(), body: pending.body.toString('utf8'), bodyEncoding: 'utf8' }),
      MessageAttributes: { [MESSAGE_ATTRIBUTES.EVENT_ID]: { DataType: 'String', StringValue: pendingId } },
    }));
    const before = sends();
    // WHEN Twilio retries both after the upgrade
    const first = await harness.post({ body: done.body, headers: done.headers, query: done.query });
    const second = await harness.post({ body: pending.body, headers: pending.headers, query: pending.query });
    await harness.waitForIdle();
    // THEN the finished one is a duplicate, and the unfinished one runs once, under its 0.1 ID
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(sends() - before).toBe(1);
    expect(await effects.count('sms', pendingId)).toBe(1);
    expect(harness.proxy.count({ role: 'verifier', operation: 'GetItem' })).toBeGreaterThanOrEqual(2);
  });
});

describe('Shopify: the unsigned topic, under both policies', () => {
  let effects: EffectsTable;
  const body = JSON.stringify({ id: 820982911946154500, financial_status: 'pending', total_price: '10.00' });
  const deliver = (harness: Harness, topic: string, eventId: string) => harness.post({
    body,
    headers: {
      'X-Shopify-Hmac-Sha256': createHmac('sha256', SHOPIFY_KEY).update(body).digest('base64'),
      'X-Shopify-Topic': topic, 'X-Shopify-Event-Id': eventId, 'X-Shopify-Shop-Domain': 'shop.myshopify.com', 'Content-Type': 'application/json',
    },
  });
  beforeAll(async () => {
    effects = await EffectsTable.create();
  });
  afterAll(() => effects?.destroy());

  test.each([[false, 1], [true, 0]] as const)('oneEventPerBody %s: the same body under orders/paid reaches the paid processor %i time(s); under fresh IDs never again', async (oneEventPerBody, paidRuns) => {
    const { stack } = endpointStack({ provider: WebhookProvider.shopify({ oneEventPerBody }) }, [{ name: 'created', eventTypes: ['orders/create'] }, { name: 'paid', eventTypes: ['orders/paid'] }]);
    const harness = await startHarness({ stack, processors: { created: countingProcessor(effects), paid: countingProcessor(effects) } });
    try {
      await harness.setSigningSecret(SHOPIFY_KEY);
      expect((await deliver(harness, 'orders/create', `e-create-${oneEventPerBody}`)).json()).toMatchObject({ status: 'accepted' });
      // Shopify sends one body under two topics; so can someone who captured it (the residual risk)
      await deliver(harness, 'orders/paid', `e-paid-${oneEventPerBody}`);
      for (let i = 0; i < 3; i += 1) await deliver(harness, 'orders/paid', `e-forged-${oneEventPerBody}-${i}`);
      await harness.waitForIdle();
      expect(await effects.count('created', `e-create-${oneEventPerBody}`)).toBe(1);
      expect(await effects.count('paid', `e-paid-${oneEventPerBody}`)).toBe(paidRuns);
      for (let i = 0; i < 3; i += 1) expect(await effects.count('paid', `e-forged-${oneEventPerBody}-${i}`)).toBe(0);
    } finally {
      await harness.stop();
    }
  }, 60_000);
});

/** A claim item exactly as version 0.1 of the verifier wrote it: keyed by the event ID. */
function v01Claim(eventId: string, state: 'PENDING' | 'ENQUEUED') {
  const now = Date.now();
  return {
    [TABLE.PARTITION_KEY]: { S: `${KEY_PREFIX.CLAIM}${eventId}` },
    [TABLE.STATE]: { S: state },
    [TABLE.CLAIM_TOKEN]: { S: 'v0.1-token' },
    [TABLE.CLAIMED_AT]: { N: String(now) },
    [TABLE.TTL_ATTRIBUTE]: { N: String(Math.floor(now / 1000) + 86400) },
  };
}
