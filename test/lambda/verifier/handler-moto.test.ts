import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLAIM_STATE, TABLE, type ProcessorRoute, type VerifierConfig } from '../../../lambda/shared/contract';
import { ClaimStore, claimKey } from '../../../lambda/verifier/claims';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { createVerifier } from '../../../lambda/verifier/handler';
import { toInboundRequest } from '../../../lambda/verifier/http';
import { twilioScheme } from '../../../lambda/verifier/schemes/twilio';
import { createIdempotencyTable, dynamoDb } from '../../support/aws';
import { apiGatewayEvent } from '../../support/requests';

/**
 * The handler with the real ClaimStore over moto (a DynamoDB protocol server): what each path leaves
 * in the table — an IGNORED content claim, a PENDING claim after a failed send, no claim at all for an
 * ignored ID-signed event — and how a claim written by version 0.1 is honoured.
 */
const NOW = 1_700_000_000_000;
const SECRET = 'handler-moto-secret';
const route = (name: string, eventTypes: string[] = []): ProcessorRoute => ({ name, queueUrl: `https://sqs.local/${name}.fifo`, eventTypes });

let client: DynamoDBClient;
beforeAll(() => {
  client = dynamoDb();
});

/** A fresh table per rig, so each test reads only what its own requests wrote. */
async function rig(scheme: string, routes: ProcessorRoute[]) {
  const tableName = await createIdempotencyTable(client, 'handler-moto');
  const sent: { queue: string; eventId: string }[] = [];
  const failing = new Set<string>();
  const metrics: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const config: VerifierConfig = {
    endpointName: 'Moto/Test', provider: { scheme, options: {} }, signingSecretArn: 'arn', secretCacheTtlSeconds: 60, toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024, tableName, retentionSeconds: 86400, processors: routes,
  };
  const handler = createVerifier(config, {
    clock: () => NOW,
    log: (entry) => void logs.push(entry),
    metric: (name) => void metrics.push(name),
    secrets: { active: async () => ({ values: [SECRET] }) },
    claims: new ClaimStore(client, tableName, 86400, () => NOW),
    dispatcher: {
      enqueue: async (matched, delivery) => {
        for (const r of matched) {
          if (failing.has(r.name)) throw new DownstreamError('enqueue', { cause: new Error('queue down') });
          sent.push({ queue: r.name, eventId: delivery.eventId });
        }
      },
    },
  });
  /** Every claim in the table: its event ID and state. */
  const items = async () => ((await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [])
    .map((item) => ({ id: item[TABLE.PARTITION_KEY]?.S, eventId: item[TABLE.EVENT_ID]?.S, state: item[TABLE.STATE]?.S }));
  return { handler, tableName, sent, failing, metrics, logs, items };
}

const github = (event: string, delivery: string) => {
  const body = JSON.stringify({ action: 'published', release: { id: 1 }, repository: { full_name: 'acme/api' } });
  return apiGatewayEvent({
    body,
    headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`, 'X-GitHub-Event': event, 'X-GitHub-Delivery': delivery },
  });
};

describe('what an ignored or failed event leaves in the table', () => {
  test('an ID-signed event no processor subscribes to writes no claim: the signature already fixes its ID and type', async () => {
    const { handler, items, sent } = await rig('stripe', [route('payments', ['payment_intent.*'])]);
    const body = JSON.stringify({ id: 'evt_ignored', type: 'customer.created' });
    const response = await handler(apiGatewayEvent({ body, headers: { 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: NOW / 1000 }) } }));
    expect(JSON.parse(response.body)).toEqual({ status: 'ignored', id: 'evt_ignored' });
    expect(await items()).toEqual([]);
    expect(sent).toEqual([]);
  });

  test('a content-signed event no processor subscribes to is recorded IGNORED under its content', async () => {
    const { handler, items, sent } = await rig('github', [route('pushes', ['push*'])]);
    expect(JSON.parse((await handler(github('release', 'r-1'))).body)).toEqual({ status: 'ignored', id: 'r-1' });
    expect(await items()).toEqual([{ id: expect.stringMatching(/^claim#content sha256:[0-9a-f]{64}$/), eventId: 'r-1', state: CLAIM_STATE.IGNORED }]);
    expect(sent).toEqual([]);
  });

  test('a routed event whose send fails leaves its claim PENDING (not IGNORED), for the retry to finish', async () => {
    const { handler, items, failing } = await rig('github', [route('releases', ['release.*'])]);
    failing.add('releases');
    expect((await handler(github('release', 'r-2'))).statusCode).toBe(503);
    expect(await items()).toEqual([{ id: expect.stringMatching(/^claim#content sha256:/), eventId: 'r-2', state: CLAIM_STATE.PENDING }]);
  });
});

describe('Twilio: a claim version 0.1 finished is honoured', () => {
  const url = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhook';
  const params = { AccountSid: 'AC1', MessageSid: 'SM777', MessageStatus: 'delivered' };
  const body = new URLSearchParams(params).toString();
  const signed = url + Object.keys(params).sort().map((k) => k + params[k as keyof typeof params]).join('');
  const request = () => apiGatewayEvent({
    body, headers: { 'X-Twilio-Signature': createHmac('sha1', SECRET).update(signed).digest('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  const verified = () => {
    const verdict = twilioScheme.verify(toInboundRequest(request()), { secrets: [SECRET], nowMs: NOW, toleranceSeconds: 300 }, {});
    if (!verdict.ok || !verdict.event.legacyIds) throw new Error('no legacy ID');
    return { id: verdict.event.id, legacyId: verdict.event.legacyIds[0] };
  };

  test('an event 0.1 already enqueued is a duplicate: nothing sent, and its new claim is marked ENQUEUED', async () => {
    // GIVEN version 0.1 enqueued this message under its old ID
    const { handler, tableName, items, sent, metrics, logs } = await rig('twilio', [route('sms-log')]);
    const { legacyId } = verified();
    await client.send(new PutItemCommand({ TableName: tableName, Item: { [TABLE.PARTITION_KEY]: { S: claimKey(legacyId) }, [TABLE.STATE]: { S: CLAIM_STATE.ENQUEUED } } }));
    // WHEN Twilio retries it after the upgrade
    const response = await handler(request());
    // THEN it gets Twilio's empty TwiML, nothing is sent again, and the next retry needs no 0.1 read
    expect(response).toEqual({ statusCode: 200, headers: { 'content-type': 'text/xml' }, body: expect.stringContaining('<Response') });
    expect(sent).toEqual([]);
    expect(metrics).toContain('Duplicates');
    expect(metrics).not.toContain('Enqueued');
    expect(logs).toContainEqual({ level: 'INFO', msg: 'duplicate', eventId: verified().id });
    const newClaim = (await items()).find((item) => item.eventId === verified().id);
    expect(newClaim?.state).toBe(CLAIM_STATE.ENQUEUED);
  });

  test('an event 0.1 left PENDING is sent under the 0.1 ID, and logged under it', async () => {
    const { handler, tableName, sent, logs } = await rig('twilio', [route('sms-log')]);
    const { legacyId } = verified();
    await client.send(new PutItemCommand({ TableName: tableName, Item: { [TABLE.PARTITION_KEY]: { S: claimKey(legacyId) }, [TABLE.STATE]: { S: CLAIM_STATE.PENDING } } }));
    expect((await handler(request())).statusCode).toBe(200);
    expect(sent).toEqual([{ queue: 'sms-log', eventId: legacyId }]);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'accepted', eventId: legacyId }));
  });
});

describe('Shopify: one body under a second topic', () => {
  test('is a duplicate, counted as a content replay and logged WARN; it is sent once, under the first topic', async () => {
    const { handler, sent, metrics, logs } = await rig('shopify', [route('orders', ['orders/*'])]);
    const body = JSON.stringify({ id: 450789469, email: 'bob@example.com' });
    const delivery = (topic: string, eventId: string) => apiGatewayEvent({
      body,
      headers: { 'X-Shopify-Hmac-Sha256': createHmac('sha256', SECRET).update(body).digest('base64'), 'X-Shopify-Topic': topic, 'X-Shopify-Event-Id': eventId },
    });
    expect(JSON.parse((await handler(delivery('orders/create', 'ev-a'))).body)).toEqual({ status: 'accepted', id: 'ev-a' });
    const second = await handler(delivery('orders/updated', 'ev-b'));
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toEqual({ status: 'duplicate', id: 'ev-b' });
    expect(metrics).toContain('ContentReplays');
    expect(logs).toContainEqual({
      level: 'WARN', msg: 'signed content already claimed under another event ID; nothing enqueued', differs: 'type', eventId: 'ev-b', eventType: 'orders/updated',
    });
    expect(sent).toEqual([{ queue: 'orders', eventId: 'ev-a' }]);
  });
});
