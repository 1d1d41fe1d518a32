import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLAIM_STATE, TABLE } from '../../../lambda/shared/contract';
import { ClaimStore, claimKey, safeId } from '../../../lambda/verifier/claims';
import { createIdempotencyTable, dynamoDb, uniqueName } from '../../support/aws';

/** Claims against a real DynamoDB protocol server (moto): the conditional writes are the guarantee. */
describe('ClaimStore against moto', () => {
  let client: DynamoDBClient;
  let tableName: string;
  let store: ClaimStore;
  const now = 1_700_000_000_000;

  beforeAll(async () => {
    client = dynamoDb();
    tableName = await createIdempotencyTable(client, 'claims');
    store = new ClaimStore(client, tableName, 86400, () => now);
  });

  async function item(eventId: string) {
    return (await client.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE.PARTITION_KEY]: { S: claimKey(eventId) } }, ConsistentRead: true }))).Item;
  }

  test('the first claim wins and records PENDING with a TTL; the second sees it unfinished', async () => {
    const first = await store.claim('evt_a', 'payment_intent.succeeded');
    expect(first.kind).toBe('claimed');
    const record = await item('evt_a');
    expect(record?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.PENDING);
    expect(Number(record?.[TABLE.TTL_ATTRIBUTE]?.N)).toBe(now / 1000 + 86400);
    expect(await store.claim('evt_a', 'payment_intent.succeeded')).toEqual({ kind: 'unfinished' });
  });

  test('after marking, a duplicate learns ENQUEUED from the failed conditional write itself', async () => {
    await store.claim('evt_b', undefined);
    await store.markEnqueued('evt_b');
    expect((await item('evt_b'))?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.ENQUEUED);
    expect(await store.claim('evt_b', undefined)).toEqual({ kind: 'enqueued' });
  });

  test('release deletes only the caller\'s own pending claim', async () => {
    const claim = await store.claim('evt_c', undefined);
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await store.release('evt_c', 'someone-else');
    expect(await item('evt_c')).toBeDefined();
    await store.release('evt_c', claim.token);
    expect(await item('evt_c')).toBeUndefined();
    expect((await store.claim('evt_c', undefined)).kind).toBe('claimed');
  });

  test('an enqueued claim is never released', async () => {
    const claim = await store.claim('evt_d', undefined);
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await store.markEnqueued('evt_d');
    await store.release('evt_d', claim.token);
    expect((await item('evt_d'))?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.ENQUEUED);
  });

  test('50 concurrent claims of one event: exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('evt_storm', undefined)));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
  });

  test('nonces are single-use until released', async () => {
    expect(await store.recordNonce('tok_1', 600)).toBe(true);
    expect(await store.recordNonce('tok_1', 600)).toBe(false);
    await store.releaseNonce('tok_1');
    expect(await store.recordNonce('tok_1', 600)).toBe(true);
  });

  test('IDs that SQS or DynamoDB cannot take as they are become a SHA-256 digest; others stay readable', () => {
    expect(safeId('evt_123')).toBe('evt_123');
    expect(safeId('has space')).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(safeId('é')).toMatch(/^sha256-/);
    expect(safeId('x'.repeat(129))).toMatch(/^sha256-/);
    expect(safeId('x'.repeat(128))).toBe('x'.repeat(128));
  });
});
