import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsProxy } from '../../local/index';
import { motoEndpoint, uniqueName } from '../support/aws';

const region = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe('AwsProxy: counting and faults between the SDK and moto', () => {
  let proxy: AwsProxy;
  let dynamo: DynamoDBClient;
  const table = uniqueName('proxy');

  beforeAll(async () => {
    proxy = AwsProxy.start({ target: motoEndpoint(), seed: 42 });
    dynamo = new DynamoDBClient({ endpoint: await proxy.endpointFor({ id: 'tester', role: 'client' }), region, credentials });
    await dynamo.send(new CreateTableCommand({
      TableName: table, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST',
    }));
  });
  afterAll(async () => {
    proxy.healAll();
    await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    dynamo.destroy();
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.healAll();
    proxy.resetCounts();
  });

  const put = (id: string = randomUUID()) => dynamo.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } }));

  test('counts calls per caller and operation, parsed from X-Amz-Target', async () => {
    await put();
    await put();
    await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'x' } } }));
    expect(proxy.counts()).toEqual({ 'dynamodb.PutItem': 2, 'dynamodb.GetItem': 1 });
    expect(proxy.count({ caller: 'tester', operation: 'PutItem', outcome: 'forwarded' })).toBe(2);
    expect(proxy.calls.every((call) => call.status === 200)).toBe(true);
  });

  test('an error fault answers with an AWS JSON error that the SDK parses and retries (DynamoDB client: 4 attempts by default)', async () => {
    const fault = proxy.inject({ service: 'dynamodb', operation: 'PutItem', action: { type: 'error' } });
    const error = await put().catch((caught: unknown) => caught) as { name: string; $metadata: { httpStatusCode: number; attempts: number } };
    expect(error.name).toBe('InternalServerError');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 4 });
    expect(fault.hits).toBe(4);
    expect(proxy.count({ operation: 'PutItem', outcome: 'error' })).toBe(4);
    expect(proxy.count({ outcome: 'forwarded' })).toBe(0);
  });

  test('a fault for N calls stops after N: the SDK retry then succeeds', async () => {
    const fault = proxy.inject({ operation: 'PutItem', action: { type: 'error', status: 503, code: 'ServiceUnavailable' }, times: 1 });
    const result = await put();
    expect(result.$metadata.attempts).toBe(2);
    expect(fault.active).toBe(false);
    expect(proxy.counts({ outcome: 'error' })).toEqual({ 'dynamodb.PutItem': 1 });
  });

  test('a reset fault drops the connection; the SDK sees a network error and retries', async () => {
    proxy.inject({ operation: 'PutItem', action: { type: 'reset' }, times: 2 });
    const result = await put();
    expect(result.$metadata.attempts).toBe(3);
    expect(proxy.count({ outcome: 'reset' })).toBe(2);
  });

  test('a hang holds the call until healed; "forward" then lets it through', async () => {
    const fault = proxy.inject({ operation: 'PutItem', action: { type: 'hang', onHeal: 'forward' } });
    const id = randomUUID();
    const pending = put(id);
    await fault.waitForHits(1);
    const { Item: before } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
    expect(before).toBeUndefined();
    fault.heal();
    await pending;
    const { Item: after } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
    expect(after?.id.S).toBe(id);
  });

  test('a fault by predicate on the parsed input affects only matching calls', async () => {
    proxy.inject({ operation: 'PutItem', when: (call) => (call.input.Item as { id: { S: string } }).id.S.startsWith('bad'), action: { type: 'error', status: 400, code: 'ValidationException' } });
    await put('good-1');
    await expect(put('bad-1')).rejects.toMatchObject({ name: 'ValidationException' });
    expect(proxy.count({ outcome: 'error' })).toBe(1);
  });

  test('a fractional fault is seeded: the same seed fails the same calls', async () => {
    const pattern = async (seed: number) => {
      proxy.healAll();
      proxy.resetCounts();
      proxy.inject({ operation: 'GetItem', probability: 0.5, seed, action: { type: 'error', status: 400, code: 'ValidationException' } });
      const outcomes: boolean[] = [];
      for (let i = 0; i < 20; i++) outcomes.push(await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'x' } } })).then(() => true, () => false));
      return outcomes;
    };
    const first = await pattern(7);
    expect(await pattern(7)).toEqual(first);
    expect(first.filter((ok) => !ok).length).toBeGreaterThan(3);
    expect(first.filter((ok) => ok).length).toBeGreaterThan(3);
  });

  test('a killed caller reaches nothing: held calls are dropped and later calls refused', async () => {
    const victim = new DynamoDBClient({ endpoint: await proxy.endpointFor({ id: 'victim', role: 'verifier' }), region, credentials, maxAttempts: 1 });
    const fault = proxy.inject({ caller: 'victim', action: { type: 'hang' } });
    const id = randomUUID();
    const held = victim.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } })).then(() => 'ok', () => 'failed');
    await fault.waitForHits(1);
    proxy.kill('victim');
    fault.heal();
    expect(await held).toBe('failed');
    expect(await victim.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } })).then(() => 'ok', () => 'failed')).toBe('failed');
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
    expect(Item).toBeUndefined();
    expect(proxy.count({ caller: 'victim', outcome: 'forwarded' })).toBe(0);
    victim.destroy();
  });

  test('a call its caller gave up on (SDK request timeout) is recorded as abandoned; it may still take effect', async () => {
    // The verifier's client settings: the SDK abandons a call after its request timeout. Under CPU
    // starvation a slow emulator does what this delayed call does: the sender then gets a 503 that
    // no injected fault explains (the soak counts these calls), while the write itself happened.
    const impatient = new DynamoDBClient({
      endpoint: await proxy.endpointFor({ id: 'impatient', role: 'verifier' }), region, credentials, maxAttempts: 1,
      requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
    });
    proxy.inject({ caller: 'impatient', action: { type: 'delay', ms: 1000 }, times: 1 });
    const id = randomUUID();
    const outcome = await impatient.send(new PutItemCommand({ TableName: table, Item: { id: { S: id } } })).then(() => 'ok', (error: Error) => error.name);
    expect(outcome).not.toBe('ok');
    const [late] = proxy.calls.filter((call) => call.caller === 'impatient');
    while (late.status === undefined) await new Promise((resolve) => setTimeout(resolve, 20)); // until the late forward is answered
    expect(late).toMatchObject({ outcome: 'forwarded', status: 200, abandoned: true });
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } } }));
    expect(Item?.id.S).toBe(id);
    // The same caller, answered in time: a client with room to spare, so that a busy machine cannot make it give up too.
    const patient = new DynamoDBClient({ endpoint: await proxy.endpointFor({ id: 'impatient', role: 'verifier' }), region, credentials, maxAttempts: 1 });
    await patient.send(new PutItemCommand({ TableName: table, Item: { id: { S: `${id}-2` } } }));
    patient.destroy();
    expect(proxy.count({ caller: 'impatient', abandoned: true })).toBe(1);
    expect(proxy.count({ caller: 'impatient', abandoned: false })).toBe(1);
    expect(proxy.count({ caller: 'tester', abandoned: true })).toBe(0);
    impatient.destroy();
  });
});

describe('AwsProxy: SQS FIFO deduplication window', () => {
  const direct = () => new SQSClient({ endpoint: motoEndpoint(), region, credentials });

  async function scenario(fifoQueues: boolean, scope: 'queue' | 'messageGroup') {
    const admin = direct();
    const name = `${uniqueName('dedup')}.fifo`;
    const { QueueUrl: url = '' } = await admin.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', DeduplicationScope: scope } }));
    const proxy = AwsProxy.start({ target: motoEndpoint(), fifoQueues: fifoQueues ? [{ name, deduplicationScope: scope, contentBasedDeduplication: false }] : [] });
    const sqs = new SQSClient({ endpoint: await proxy.endpointFor({ id: 'sender', role: 'verifier' }), region, credentials });
    const send = (group: string) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm', MessageGroupId: group, MessageDeduplicationId: 'evt-1' }));
    const receiveAndDelete = async () => {
      const { Messages = [] } = await admin.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      for (const message of Messages) await admin.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
      return Messages.length;
    };
    const first = await send('g1');
    const received = [await receiveAndDelete()];
    const second = await send('g1'); // the first message is already deleted
    received.push(await receiveAndDelete());
    await send('g2'); // same deduplication ID, other group
    received.push(await receiveAndDelete());
    await proxy.stop();
    sqs.destroy();
    await admin.send(new DeleteQueueCommand({ QueueUrl: url }));
    admin.destroy();
    return { received, sameId: first.MessageId === second.MessageId, deduplicated: proxy.count({ outcome: 'deduplicated' }) };
  }

  test('a resend within 5 minutes adds nothing even after the first was deleted (SQS), per message group with DeduplicationScope messageGroup', async () => {
    expect(await scenario(true, 'messageGroup')).toEqual({ received: [1, 0, 1], sameId: true, deduplicated: 1 });
    expect(await scenario(true, 'queue')).toEqual({ received: [1, 0, 0], sameId: true, deduplicated: 2 });
  });

  test('without the layer, moto accepts the resend once the first message is gone (the gap the layer closes)', async () => {
    const result = await scenario(false, 'messageGroup');
    expect(result.received).toEqual([1, 1, 1]);
    expect(result.deduplicated).toBe(0);
  });
});
