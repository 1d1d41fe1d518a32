import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { TABLE, type VerifierConfig } from '../../lambda/shared/contract';
import { ClaimStore } from '../../lambda/verifier/claims';
import { Dispatcher } from '../../lambda/verifier/dispatch';
import { createVerifier, type VerifierHandler } from '../../lambda/verifier/handler';
import { SigningSecretCache } from '../../lambda/verifier/secrets';
import { HardenedWebhookEndpoint } from '../../lib';
import { startHarness, type Harness } from '../../local';
import { dynamoDb, secretsManager, sqs, uniqueName } from '../support/aws';
import {
  buildRequest, corpusProvider, loadCorpus, MAX_BODY_BYTES, NOW_MS, PUBLIC_URLS, TOLERANCE_SECONDS, toEvent, type BadInputCase,
} from './support/corpus';
import { corpusKey } from './support/raw-signers';
import { recordTally } from './support/properties';

/**
 * Issue #7, item 2: every hand-written bad input gets a clear 4xx with an error code and writes
 * nothing — no claim or nonce in DynamoDB, no message in SQS. Checked twice: against the verifier
 * with its real clients pointed at the emulator (exact control over the API Gateway event), and over
 * HTTP through the local harness (API Gateway emulation → the built verifier bundle → the emulator).
 */
const corpus = loadCorpus();
const schemes = [...new Set(corpus.map((c) => c.scheme))].sort();
const label = (c: BadInputCase) => `${c.file}: ${c.description}`;

test('the corpus holds at least 100 hand-written cases, each with a 4xx and an error code', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(100);
  expect(new Set(corpus.map(label)).size).toBe(corpus.length);
  const topics = ['base64', 'utf8', 'empty-and-size', 'headers', 'timestamps', 'signatures', 'nul', 'json-prototype', 'nesting'];
  for (const topic of topics) expect(corpus.filter((c) => c.file === `${topic}.json`).length).toBeGreaterThan(0);
});

describe('against the verifier with its real DynamoDB, SQS and Secrets Manager clients (emulator)', () => {
  const ddb = dynamoDb();
  const queues = sqs();
  const tableName = uniqueName('bad-inputs');
  let queueUrl: string;
  const handlers = new Map<string, VerifierHandler>();
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    await ddb.send(new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: TABLE.PARTITION_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: TABLE.PARTITION_KEY, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    queueUrl = (await queues.send(new CreateQueueCommand({ QueueName: `${uniqueName('bad-inputs')}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
    const secrets = secretsManager();
    for (const scheme of schemes) {
      const arn = (await secrets.send(new CreateSecretCommand({ Name: uniqueName(`corpus-${scheme}`), SecretString: corpusKey(scheme).stored }))).ARN as string;
      const config: VerifierConfig = {
        endpointName: `Corpus/${scheme}`,
        provider: corpusProvider(scheme)._config(),
        signingSecretArn: arn,
        secretCacheTtlSeconds: 60,
        toleranceSeconds: TOLERANCE_SECONDS,
        maxBodyBytes: MAX_BODY_BYTES,
        tableName,
        retentionSeconds: 86400,
        publicUrl: PUBLIC_URLS[scheme],
        processors: [{ name: 'all', queueUrl, eventTypes: [] }],
      };
      const clock = () => NOW_MS;
      handlers.set(scheme, createVerifier(config, {
        secrets: new SigningSecretCache(secrets, arn, 60_000, clock),
        claims: new ClaimStore(ddb, tableName, 86400, clock),
        dispatcher: new Dispatcher(queues),
        clock,
        log: (entry) => logs.push(entry),
        metric: () => undefined,
      }));
    }
  });

  async function writes(): Promise<{ items: number; messages: number }> {
    const scan = await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, Select: 'COUNT' }));
    const { Attributes = {} } = await queues.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
    const messages = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    return { items: scan.Count ?? 0, messages };
  }

  test.each(corpus.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    // GIVEN the case's request, as the API Gateway event the verifier receives
    const event = toEvent(buildRequest(c), c);
    // WHEN the verifier handles it
    const response = await (handlers.get(c.scheme) as VerifierHandler)(event);
    // THEN a clear 4xx with the expected error code, and nothing written anywhere
    expect({ status: response.statusCode, error: (JSON.parse(response.body) as { error?: string }).error }).toEqual(c.expect);
    expect(await writes()).toEqual({ items: 0, messages: 0 });
  });

  test('after the whole corpus: the table scans empty and the queue receives nothing', async () => {
    const scan = await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    expect(scan.Items ?? []).toEqual([]);
    const received = await queues.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(received.Messages ?? []).toEqual([]);
    // Every refusal was logged as a warning with its code, never as an error.
    expect(logs.filter((entry) => entry.msg === 'rejected')).toHaveLength(corpus.length);
    expect(logs.filter((entry) => entry.level === 'ERROR')).toEqual([]);
    recordTally('bad-inputs-direct', { cases: corpus.length, accepted: 0, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: 0, equivalentMutations: 0 });
  });
});

/** Cases that can travel over HTTP: the rest need an API Gateway event HTTP cannot produce. */
const overHttp = corpus.filter((c) => c.via !== 'event' && c.request.eventBody === undefined);

describe('over HTTP through the local harness (API Gateway emulation → built verifier bundle → emulator)', () => {
  const harnesses = new Map<string, Harness>();
  const processed: string[] = [];

  beforeAll(async () => {
    for (const scheme of [...new Set(overHttp.map((c) => c.scheme))].sort()) {
      const app = new App();
      const stack = new Stack(app, `Corpus${scheme.replace(/[^a-z]/gi, '')}`);
      const endpoint = new HardenedWebhookEndpoint(stack, 'Endpoint', { provider: corpusProvider(scheme), publicUrl: PUBLIC_URLS[scheme] });
      endpoint.addProcessor(new lambda.Function(stack, 'Processor', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') }), { name: 'all' });
      const harness = await startHarness({
        stack,
        processors: { all: async (event) => { processed.push(...event.Records.map((record) => record.messageId)); return { batchItemFailures: [] }; } },
      });
      await harness.setSigningSecret(corpusKey(scheme).stored);
      harnesses.set(scheme, harness);
    }
  }, 120_000);

  afterAll(async () => {
    for (const harness of harnesses.values()) await harness.stop();
  });

  /** What the deployed API answers: its request validator refuses a missing required header before the verifier runs. */
  function expected(c: BadInputCase, headers: ReadonlyArray<readonly [string, string]>): { status: number; error: string } {
    const required = corpusProvider(c.scheme).requiredHeaders;
    const missing = required.filter((name) => !headers.some(([sent, value]) => sent.toLowerCase() === name.toLowerCase() && value.trim() !== ''));
    return missing.length > 0 ? { status: 400, error: 'missing_header' } : c.expect;
  }

  test.each(overHttp.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const harness = harnesses.get(c.scheme) as Harness;
    const built = buildRequest(c);
    // The bundle's clock stands still at the corpus's "now": a "301 s in the future" stays exactly
    // that however long a busy machine takes to deliver the request.
    harness.clock.freeze(NOW_MS);
    const response = await harness.post({ body: built.body ?? undefined, headers: built.headers });
    expect({ status: response.status, error: response.json<{ error?: string }>().error }).toEqual(expected(c, built.headers));
    // Nothing written: no write call left the verifier, and the table and queue are empty.
    expect(harness.proxy.count({ role: 'verifier', operation: ['PutItem', 'UpdateItem', 'DeleteItem', 'SendMessage'] })).toBe(0);
    const scan = await harness.aws.dynamoDb.send(new ScanCommand({ TableName: harness.table.name, ConsistentRead: true, Select: 'COUNT' }));
    expect(scan.Count).toBe(0);
  });

  test('no processor ever received a message, and every queue is empty', async () => {
    expect(overHttp.length).toBeGreaterThanOrEqual(100);
    for (const harness of harnesses.values()) {
      for (const processor of Object.values(harness.processors)) {
        const received = await harness.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: processor.queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
        expect(received.Messages ?? []).toEqual([]);
      }
    }
    expect(processed).toEqual([]);
    recordTally('bad-inputs-http', { cases: overHttp.length, accepted: 0, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: 0, equivalentMutations: 0 });
  });
});
