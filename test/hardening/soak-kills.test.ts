import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { CLAIM_STATE, TABLE } from '../../lambda/shared/contract';
import { claimKey } from '../../lambda/verifier/claims';
import { HardenedWebhookEndpoint, WebhookProvider } from '../../lib';
import { startHarness, type FaultSpec, type Harness, type LogEntry } from '../../local';
import { dynamoDb, uniqueName } from '../support/aws';
import { recordTally } from './support/properties';

/**
 * Issue #7, item 6 (second half): the verifier and the processor killed at each step boundary, and
 * every event still processed exactly once in the end. A kill is a call that never returns (held by
 * the harness's AWS proxy) until the function's timeout: the harness then stops that execution
 * environment and cuts its connections, exactly what Lambda does to a timed-out invocation. The
 * sender retries the 502 that API Gateway answers, as providers do; SQS redelivers the message of
 * a killed processor invocation.
 */
const SECRET = 'whsec_kill_secret_91aa';

let harness: Harness;
let bundleDir: string;
const effectsTable = uniqueName('effects');
const logs: LogEntry[] = [];

beforeAll(async () => {
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hw-kill-'));
  buildSync({ entryPoints: [path.join(__dirname, 'support', 'kill-processor.ts')], outfile: path.join(bundleDir, 'index.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
  await dynamoDb().send(new CreateTableCommand({
    TableName: effectsTable, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST',
  }));
  const app = new App();
  const stack = new Stack(app, 'Kills');
  const endpoint = new HardenedWebhookEndpoint(stack, 'Stripe', { provider: WebhookProvider.stripe() });
  const fn = new lambda.Function(stack, 'Fulfil', {
    runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), timeout: Duration.seconds(2), environment: { EFFECTS_TABLE: effectsTable },
  });
  endpoint.addProcessor(fn, { name: 'fulfil', maxReceiveCount: 50, visibilityTimeout: Duration.seconds(3) });
  harness = await startHarness({
    stack,
    verifier: { timeoutMs: 1500 },
    processors: { fulfil: { bundle: path.join(bundleDir, 'index.js') } },
    poller: { retryVisibilityTimeoutSeconds: 1 },
    onLog: (entry) => logs.push(entry),
  });
  await harness.setSigningSecret(SECRET);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
});

function signed(eventId: string, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify({ id: eventId, object: 'event', type: 'payment_intent.succeeded', data: { object: { customer: `cus_${eventId}` } }, ...extra });
  const t = Math.floor(Date.now() / 1000);
  return { body, headers: { 'Stripe-Signature': `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`, 'Content-Type': 'application/json' } };
}

/** Sends like a provider: a 5xx (or a reply that never arrived) is retried until a 2xx. */
async function deliver(eventId: string, options: { extra?: Record<string, unknown>; loseFirstReply?: boolean } = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 1; attempt <= 20; attempt++) {
    const response = await harness.post(signed(eventId, options.extra));
    statuses.push(response.status);
    if (response.status === 200 && !(options.loseFirstReply && attempt === 1)) return statuses;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${eventId}: never acknowledged: ${statuses.join(', ')}`);
}

const lines = (msg: string, eventId: string) => logs.filter((entry) => {
  try {
    const parsed = JSON.parse(entry.text.replace(/^[^{]*/, '')) as { msg?: string; eventId?: string };
    return parsed.msg === msg && parsed.eventId === eventId;
  } catch {
    return false;
  }
}).length;

async function effects(eventId: string): Promise<number> {
  const scan = await harness.aws.dynamoDb.send(new ScanCommand({ TableName: effectsTable, ConsistentRead: true }));
  return (scan.Items ?? []).filter((item) => item.pk.S === eventId).length;
}

/** How many times the handler started for this event: an unconditional counter, so a double run shows. */
async function runs(eventId: string): Promise<number> {
  const item = await harness.aws.dynamoDb.send(new GetItemCommand({ TableName: effectsTable, Key: { pk: { S: `runs#${eventId}` } }, ConsistentRead: true }));
  return Number(item.Item?.runs?.N ?? 0);
}

async function claimState(eventId: string): Promise<string | undefined> {
  const item = await harness.aws.dynamoDb.send(new GetItemCommand({ TableName: harness.table.name, Key: { [TABLE.PARTITION_KEY]: { S: claimKey(eventId) } }, ConsistentRead: true }));
  return item.Item?.[TABLE.STATE]?.S;
}

/** Holds the first matching call until the caller's timeout kills it. */
function killAt(spec: Omit<FaultSpec, 'action' | 'times'>) {
  return harness.proxy.inject({ ...spec, action: { type: 'hang' }, times: 1 });
}

const outcomes: Record<string, unknown> = {};

describe('the verifier killed at each step boundary: the sender\'s retry completes the event, processed once', () => {
  test.each([
    ['before its claim lands (DynamoDB PutItem held)', { role: 'verifier', service: 'dynamodb', operation: 'PutItem' }, undefined],
    ['after the claim, before the enqueue (SQS SendMessage held)', { role: 'verifier', service: 'sqs', operation: 'SendMessage' }, CLAIM_STATE.PENDING],
    ['after the enqueue, before the mark (DynamoDB UpdateItem held)', { role: 'verifier', service: 'dynamodb', operation: 'UpdateItem' }, CLAIM_STATE.PENDING],
  ] as const)('%s', async (name, filter, stateAfterKill) => {
    const eventId = `evt_kill_verifier_${Object.keys(outcomes).length}`;
    // GIVEN the verifier dies at this step of its first attempt
    const fault = killAt(filter);
    let seenAfterKill: string | undefined;
    // Read while the step is held: the verifier's calls are sequential, so whatever it wrote before
    // the held call has landed, and nothing after it can have (no wait needed).
    void fault.waitForHits(1).then(async () => {
      seenAfterKill = await claimState(eventId);
    });
    // WHEN the sender retries until acknowledged
    const statuses = await deliver(eventId);
    await harness.waitForIdle({ timeoutMs: 60_000 });
    // THEN the first attempt failed with a 502 (the function timed out), the retry succeeded…
    expect(fault.hits).toBe(1);
    expect(statuses[0]).toBe(502);
    expect(statuses[statuses.length - 1]).toBe(200);
    expect(seenAfterKill).toBe(stateAfterKill);
    // …and the event was processed exactly once, its claim is ENQUEUED
    expect(await runs(eventId)).toBe(1);
    expect(lines('completed', eventId)).toBe(1);
    expect(await effects(eventId)).toBe(1);
    expect(await claimState(eventId)).toBe(CLAIM_STATE.ENQUEUED);
    outcomes[`verifier: ${name}`] = { statuses, runs: 1, completions: 1, effects: 1 };
  }, 60_000);

  test('after the mark, before the reply reaches the sender (the reply is lost): the retry is a duplicate', async () => {
    const eventId = 'evt_kill_verifier_reply';
    const statuses = await deliver(eventId, { loseFirstReply: true });
    await harness.waitForIdle({ timeoutMs: 60_000 });
    expect(statuses).toEqual([200, 200]);
    expect(harness.logs.filter((entry) => entry.text.includes('"msg":"duplicate"') && entry.text.includes(eventId))).toHaveLength(1);
    expect(await runs(eventId)).toBe(1);
    expect(lines('completed', eventId)).toBe(1);
    expect(await effects(eventId)).toBe(1);
    outcomes['verifier: after the mark, before the reply'] = { statuses, runs: 1, completions: 1, effects: 1 };
  }, 60_000);
});

describe('the processor killed at each step boundary: SQS redelivers, the event completes once', () => {
  test('while claiming (the runtime\'s in-progress PutItem held): no record, the redelivery runs it once', async () => {
    const eventId = 'evt_kill_processor_claim';
    const fault = killAt({ role: 'processor', service: 'dynamodb', operation: 'PutItem', resource: harness.table.name });
    expect(await deliver(eventId)).toEqual([200]);
    await harness.waitForIdle({ timeoutMs: 60_000 });
    expect(fault.hits).toBe(1);
    expect(harness.processors.fulfil.poller?.stats.timeouts).toBeGreaterThanOrEqual(1);
    // the killed attempt never reached the handler: one run in all
    expect(await runs(eventId)).toBe(1);
    expect(lines('completed', eventId)).toBe(1);
    expect(await effects(eventId)).toBe(1);
    outcomes['processor: while claiming'] = { runs: 1, completions: 1, effects: 1 };
  }, 60_000);

  test('during the work (the handler never finishes its first attempt): the lease expires, the redelivery runs it once', async () => {
    const eventId = 'evt_kill_processor_work';
    const timeoutsBefore = harness.processors.fulfil.poller?.stats.timeouts ?? 0;
    expect(await deliver(eventId, { extra: { hangOn: 'work' } })).toEqual([200]);
    await harness.waitForIdle({ timeoutMs: 60_000 });
    expect((harness.processors.fulfil.poller?.stats.timeouts ?? 0) - timeoutsBefore).toBeGreaterThanOrEqual(1);
    // the first run hung and was killed, the redelivery ran it again: two runs, one completion
    expect(await runs(eventId)).toBe(2);
    expect(lines('completed', eventId)).toBe(1);
    expect(await effects(eventId)).toBe(1);
    outcomes['processor: during the work'] = { runs: 2, completions: 1, effects: 1 };
  }, 60_000);

  test('after the work, before the completion mark (UpdateItem held): the handler runs again, its side effect lands once', async () => {
    const eventId = 'evt_kill_processor_complete';
    // the runtime's completion mark (the idempotency table), not the handler's own counter
    const fault = killAt({ role: 'processor', service: 'dynamodb', operation: 'UpdateItem', resource: harness.table.name });
    expect(await deliver(eventId)).toEqual([200]);
    await harness.waitForIdle({ timeoutMs: 60_000 });
    expect(fault.hits).toBe(1);
    // The killed attempt had finished the work but not recorded it: the redelivery runs the handler
    // again once its lease is over. The side effect, idempotent by event ID, lands exactly once.
    expect(await runs(eventId)).toBe(2);
    expect(lines('completed', eventId)).toBe(2);
    expect(lines('effect already applied', eventId)).toBe(1);
    expect(await effects(eventId)).toBe(1);
    outcomes['processor: after the work, before the mark'] = { runs: 2, completions: 2, effects: 1 };
  }, 60_000);

  test('afterwards: no message left in any queue or dead-letter queue', async () => {
    await harness.waitForIdle({ timeoutMs: 30_000 });
    for (const queue of [harness.processors.fulfil.queue, harness.processors.fulfil.deadLetterQueue]) {
      expect(queue).toBeDefined();
      const received = await harness.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue?.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
      expect(received.Messages ?? []).toEqual([]);
    }
    expect(Object.keys(outcomes)).toHaveLength(7);
    recordTally('kills', { cases: Object.keys(outcomes).length, accepted: 0, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: 0, equivalentMutations: 0 });
  });
});
