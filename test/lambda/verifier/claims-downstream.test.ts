import { createServer } from 'node:net';
import { ConditionalCheckFailedException, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { ClaimStore, type ClaimSubject } from '../../../lambda/verifier/claims';
import { SignedContent } from '../../../lambda/verifier/crypto';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { createIdempotencyTable, dynamoDb, uniqueName } from '../../support/aws';

/**
 * What ClaimStore makes of DynamoDB's failures and of the shapes its answers arrive in, against moto:
 * a real client, with at most a middleware that changes the request or re-throws the answer the way a
 * wrapper would. A step that fails is a DownstreamError naming it (the handler answers 503 "<step>
 * failed; retry later" and counts DownstreamFailures); a conditional failure is a duplicate, never that.
 */
const NOW = 1_700_000_000_000;
const byId = (eventId: string): ClaimSubject => ({ eventId, body: Buffer.from('{}', 'utf8') });
const byContent = (content: string, eventId: string): ClaimSubject => ({ eventId, eventType: 't', signedContent: SignedContent.of(content), body: Buffer.from('B', 'utf8') });

/** The SDK's initialize-step middleware, as much of it as these tests use. */
type Arguments = { readonly input: Record<string, unknown> };
type Middleware = (next: (args: Arguments) => Promise<unknown>, context: { readonly commandName?: string }) => (args: Arguments) => Promise<unknown>;

/** A client of moto with one middleware at the initialize step (it sees the command's input and its outcome). */
function motoClientWith(middleware: Middleware): DynamoDBClient {
  const client = dynamoDb();
  client.middlewareStack.add(middleware as never, { step: 'initialize' });
  return client;
}

/** What a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => { throw new Error(`expected a rejection, got ${JSON.stringify(value)}`); }, (error: unknown) => error);
}

/** Asserts a DownstreamError of `step` and returns its cause for the caller to check. */
function expectDownstream(error: unknown, step: 'claim' | 'mark'): unknown {
  expect(error).toBeInstanceOf(DownstreamError);
  expect(error).toMatchObject({ name: 'DownstreamError', step, message: `${step} failed` });
  return (error as DownstreamError).cause;
}

describe('ClaimStore when DynamoDB fails (moto)', () => {
  test('a missing table fails every step as a DownstreamError naming the step, with the service error as its cause', async () => {
    const store = new ClaimStore(dynamoDb(), uniqueName('missing'), 86400, () => NOW);
    // claim (by ID and by content), mark and the legacy read each reach moto and get ResourceNotFoundException
    for (const [step, call] of [
      ['claim', () => store.claim(byId('evt_missing'))],
      ['claim', () => store.claim(byContent('c-missing', 'E1'))],
      ['mark', () => store.markEnqueued(byId('evt_missing'))],
      ['claim', () => store.legacyClaim(['evt_missing'])],
    ] as const) {
      const cause = expectDownstream(await rejection(call()), step);
      expect(cause).toBeInstanceOf(ResourceNotFoundException);
    }
  });

  test('an endpoint nobody listens on (a closed loopback port) fails every step as a DownstreamError whose cause is the refused connection', async () => {
    // A port just released by a listener of our own: connections to it are refused
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const store = new ClaimStore(client, 'claims', 86400, () => NOW);
    for (const [step, call] of [
      ['claim', () => store.claim(byId('evt_offline'))],
      ['mark', () => store.markEnqueued(byId('evt_offline'))],
      ['claim', () => store.legacyClaim(['evt_offline'])],
    ] as const) {
      const cause = expectDownstream(await rejection(call()), step);
      expect((cause as Error).message).toMatch(/ECONNREFUSED/);
    }
  });
});

describe('ClaimStore reads a conditional failure whatever shape it arrives in (moto)', () => {
  let tableName: string;

  beforeAll(async () => {
    tableName = await createIdempotencyTable(dynamoDb(), 'claims-shapes');
  });

  test('one that carries no item (ALL_OLD not honoured): an ID claim is unfinished, a content claim conflicts over the body, even for its owner', async () => {
    // GIVEN a client whose PutItem does not ask for the existing item, so moto's ConditionalCheckFailedException has none
    const failures: unknown[] = [];
    const client = motoClientWith((next) => async (args) => {
      try {
        return await next({ ...args, input: { ...args.input, ReturnValuesOnConditionCheckFailure: undefined } });
      } catch (error) {
        failures.push(error);
        throw error;
      }
    });
    const store = new ClaimStore(client, tableName, 86400, () => NOW);
    // WHEN an enqueued ID claim and a content claim are claimed again
    expect(await store.claim(byId('evt_itemless'))).toEqual({ kind: 'claimed' });
    await store.markEnqueued(byId('evt_itemless'));
    const owner = byContent('c-itemless', 'E1');
    expect(await store.claim(owner)).toEqual({ kind: 'claimed' });
    // THEN without the stored state the ID claim is routed again (the queues deduplicate), and without the
    // stored binding nobody can show they own the content claim, so nothing is enqueued for it
    expect(await store.claim(byId('evt_itemless'))).toEqual({ kind: 'unfinished' });
    expect(await store.claim(owner)).toEqual({ kind: 'conflict', differs: 'body' });
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
      expect((failure as ConditionalCheckFailedException).Item).toBeUndefined();
    }
  });

  test('one re-thrown as a plain Error that keeps its name and item (a wrapper, or an SDK build that is not this one) is a duplicate, recognised by its name', async () => {
    // GIVEN a wrapper that turns every error into a plain Error: no SDK exception, so `instanceof` cannot see it
    const rethrown: unknown[] = [];
    const client = motoClientWith((next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const { name, message, Item } = error as ConditionalCheckFailedException;
        const plain = Object.assign(new Error(message), { name, Item });
        rethrown.push(plain);
        throw plain;
      }
    });
    const store = new ClaimStore(client, tableName, 86400, () => NOW);
    // WHEN claims are made twice THEN the second learns the claim's state as from the SDK's own exception
    expect(await store.claim(byId('evt_wrapped'))).toEqual({ kind: 'claimed' });
    expect(await store.claim(byId('evt_wrapped'))).toEqual({ kind: 'unfinished', claimedAtMs: NOW });
    await store.markEnqueued(byId('evt_wrapped'));
    expect(await store.claim(byId('evt_wrapped'))).toEqual({ kind: 'enqueued' });
    expect(await store.claim(byContent('c-wrapped', 'E1'))).toEqual({ kind: 'claimed' });
    expect(await store.claim(byContent('c-wrapped', 'E2'))).toEqual({ kind: 'conflict', differs: 'id' });
    expect(rethrown).toHaveLength(3);
    for (const error of rethrown) {
      expect(error).not.toBeInstanceOf(ConditionalCheckFailedException);
      expect(error).toHaveProperty('name', 'ConditionalCheckFailedException');
    }
    // AND another failure through the same wrapper is still a DownstreamError, not a duplicate
    const missing = new ClaimStore(client, uniqueName('missing'), 86400, () => NOW);
    const cause = expectDownstream(await rejection(missing.claim(byId('evt_wrapped'))), 'claim');
    expect(cause).toHaveProperty('name', 'ResourceNotFoundException');
  });
});

describe('ClaimStore requests (moto)', () => {
  test('legacy claims are read strongly consistent: a claim an earlier version just wrote must not be missed', async () => {
    // Moto is always consistent, so the request itself is what can be checked
    const reads: Record<string, unknown>[] = [];
    const client = motoClientWith((next, context) => async (args) => {
      if (context.commandName === 'GetItemCommand') reads.push(args.input);
      return next(args);
    });
    const tableName = await createIdempotencyTable(client, 'claims-reads');
    const store = new ClaimStore(client, tableName, 86400, () => NOW);
    await store.claim(byId('old_read'));
    expect(await store.legacyClaim(['never-seen', 'old_read'])).toEqual({ eventId: 'old_read', state: 'pending' });
    expect(reads).toHaveLength(2);
    for (const read of reads) expect(read).toMatchObject({ TableName: tableName, ConsistentRead: true });
  });
});
