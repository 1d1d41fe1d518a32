import { createHash } from 'node:crypto';
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLAIM_STATE, TABLE } from '../../../lambda/shared/contract';
import { SignedContent } from '../../../lambda/verifier/crypto';
import { ClaimStore, claimBinding, claimKey, claimKeyOf, safeId, type ClaimSubject } from '../../../lambda/verifier/claims';
import { createIdempotencyTable, dynamoDb, uniqueName } from '../../support/aws';
import { MemoryDynamoDb } from '../../support/memory-dynamodb';

const NOW = 1_700_000_000_000;
const body = (text: string) => Buffer.from(text, 'utf8');
const byId = (eventId: string, eventType?: string): ClaimSubject => ({ eventId, eventType, body: body('{}') });
const byContent = (content: string, eventId: string, eventType: string | undefined, text: string): ClaimSubject => ({
  eventId, eventType, signedContent: SignedContent.of(content), body: body(text),
});

/**
 * Claims against a real DynamoDB protocol server (moto): the conditional writes are the guarantee.
 * The same script runs against the in-memory stand-in that the property tests use, so that stand-in
 * is held to moto's answers.
 */
describe.each([
  ['moto', async () => { const client = dynamoDb(); return { client, tableName: await createIdempotencyTable(client, 'claims') }; }],
  ['the in-memory stand-in', async () => ({ client: new MemoryDynamoDb(TABLE.PARTITION_KEY).asClient(), tableName: uniqueName('memory') })],
] as const)('ClaimStore against %s', (_name, open) => {
  let client: DynamoDBClient;
  let tableName: string;
  let store: ClaimStore;

  beforeAll(async () => {
    ({ client, tableName } = await open());
    store = new ClaimStore(client, tableName, 86400, () => NOW);
  });

  async function item(subject: Pick<ClaimSubject, 'eventId' | 'signedContent'>) {
    return (await client.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE.PARTITION_KEY]: { S: claimKeyOf(subject) } }, ConsistentRead: true }))).Item;
  }

  test('the first claim wins and records PENDING, the event ID and a TTL; the second sees it unfinished', async () => {
    // GIVEN no claim for evt_a WHEN it is claimed twice
    const first = await store.claim(byId('evt_a', 'payment_intent.succeeded'));
    const second = await store.claim(byId('evt_a', 'payment_intent.succeeded'));
    // THEN the first made it, keyed by the ID, and the second (a retry, or a write whose response was lost) goes on
    expect(first.kind).toBe('claimed');
    const record = await item(byId('evt_a'));
    expect(record?.[TABLE.PARTITION_KEY]?.S).toBe('claim#evt_a');
    expect(record?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.PENDING);
    expect(record?.[TABLE.EVENT_ID]?.S).toBe('evt_a');
    expect(record?.[TABLE.BINDING]).toBeUndefined();
    expect(Number(record?.[TABLE.TTL_ATTRIBUTE]?.N)).toBe(NOW / 1000 + 86400);
    expect(second).toEqual({ kind: 'unfinished', claimedAtMs: NOW });
  });

  test('after marking, a duplicate learns ENQUEUED from the failed conditional write itself', async () => {
    await store.claim(byId('evt_b'));
    await store.markEnqueued(byId('evt_b'));
    expect((await item(byId('evt_b')))?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.ENQUEUED);
    expect(await store.claim(byId('evt_b'))).toEqual({ kind: 'enqueued' });
  });

  test('50 concurrent claims of one event: exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(byId('evt_storm'))));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'unfinished')).toHaveLength(49);
  });

  test('a content claim is keyed by the digest and bound to its event: only the same ID, type and body may finish it', async () => {
    // GIVEN signed content claimed by event E1 of type t with body B
    const owner = byContent('c1', 'E1', 't', 'B');
    expect(await store.claim(owner)).toEqual({ kind: 'claimed' });
    expect((await item(owner))?.[TABLE.PARTITION_KEY]?.S).toBe(`claim#content sha256:${createHash('sha256').update('c1').digest('hex')}`);
    // WHEN the same content comes back with anything unsigned changed THEN it conflicts; the owner itself is unfinished
    expect(await store.claim(byContent('c1', 'E2', 't', 'B'))).toEqual({ kind: 'conflict', differs: 'id' });
    expect(await store.claim(byContent('c1', 'E1', 'u', 'B'))).toEqual({ kind: 'conflict', differs: 'type' });
    expect(await store.claim(byContent('c1', 'E2', undefined, 'B'))).toEqual({ kind: 'conflict', differs: 'type' });
    expect(await store.claim(byContent('c1', 'E1', 't', 'B '))).toEqual({ kind: 'conflict', differs: 'body' });
    expect(await store.claim(byContent('c1', 'E2', 'u', 'B '))).toEqual({ kind: 'conflict', differs: 'body' });
    expect(await store.claim(owner)).toEqual({ kind: 'unfinished', claimedAtMs: NOW });
    // AND once enqueued, the owner is a duplicate and everything else still a conflict
    await store.markEnqueued(owner);
    expect(await store.claim(owner)).toEqual({ kind: 'enqueued' });
    expect(await store.claim(byContent('c1', 'E2', 't', 'B'))).toEqual({ kind: 'conflict', differs: 'id' });
  });

  test('content that is the body alone is keyed and bound by the body\'s one digest, the same as hashing the body apart', async () => {
    // GIVEN a scheme whose signature covers exactly the request body (GitHub), and the same claim made
    // with the body hashed apart (a copy of its bytes, so the digest cannot be reused)
    const raw = body(`{"n":"${uniqueName('b')}"}`);
    const digest = createHash('sha256').update(raw).digest('hex');
    const exact: ClaimSubject = { eventId: 'E1', eventType: 't', signedContent: SignedContent.of(raw), body: raw };
    // WHEN it is claimed
    expect(await store.claim(exact)).toEqual({ kind: 'claimed' });
    // THEN the key and the stored body digest are that digest, and the binding is built from it
    const stored = await item(exact);
    expect(stored?.[TABLE.PARTITION_KEY]?.S).toBe(`claim#content sha256:${digest}`);
    expect(stored?.[TABLE.BODY_SHA256]?.S).toBe(digest);
    expect(stored?.[TABLE.BINDING]?.S).toBe(claimBinding(exact, digest));
    // AND the same bytes in another buffer are the same claim, another body under that content a conflict
    expect(await store.claim({ ...exact, signedContent: SignedContent.of(Buffer.from(raw)), body: Buffer.from(raw) })).toEqual({ kind: 'unfinished', claimedAtMs: NOW });
    expect(await store.claim({ ...exact, body: body('{}') })).toEqual({ kind: 'conflict', differs: 'body' });
  });

  test('a content claim and an ID claim never share a key, whatever the ID', async () => {
    // GIVEN the ID claim an attacker would choose to collide with content c2
    const c2 = createHash('sha256').update('c2').digest('hex');
    await store.claim(byId(`content sha256:${c2}`));
    await store.claim(byId(`content#${c2}`));
    // THEN the content claim is still new
    expect(await store.claim(byContent('c2', 'x', undefined, ''))).toEqual({ kind: 'claimed' });
  });

  test('an ignored content claim is recorded IGNORED; its owner may route it again, nobody else', async () => {
    const owner = byContent('c3', 'E3', 'ping', '{"zen":1}');
    expect(await store.claim(owner, { ignored: true })).toEqual({ kind: 'claimed' });
    expect((await item(owner))?.[TABLE.STATE]?.S).toBe(CLAIM_STATE.IGNORED);
    expect(await store.claim(owner)).toEqual({ kind: 'unfinished', claimedAtMs: NOW });
    expect(await store.claim(byContent('c3', 'E3', 'issues.closed', '{"zen":1}'))).toEqual({ kind: 'conflict', differs: 'type' });
  });

  test('a claim made with the request\'s receipt time records it (not the store\'s clock), and a retry learns it; expiry counts from it', async () => {
    // GIVEN a request received a minute before the store's clock reads
    const receivedAtMs = NOW - 60_000;
    expect(await store.claim(byId('evt_received'), { receivedAtMs })).toEqual({ kind: 'claimed' });
    const stored = await item(byId('evt_received'));
    expect(stored?.[TABLE.CLAIMED_AT]?.N).toBe(String(receivedAtMs));
    expect(stored?.[TABLE.TTL_ATTRIBUTE]?.N).toBe(String(receivedAtMs / 1000 + 86400));
    // WHEN the sender retries later THEN the retry is told the first receipt's time, whatever its own
    expect(await store.claim(byId('evt_received'), { receivedAtMs: NOW + 300_000 })).toEqual({ kind: 'unfinished', claimedAtMs: receivedAtMs });
  });

  test('legacy claims: none, pending and enqueued are told apart with consistent reads', async () => {
    await store.claim(byId('old_pending'));
    await store.claim(byId('old_done'));
    await store.markEnqueued(byId('old_done'));
    expect(await store.legacyClaim(['never-seen'])).toBeUndefined();
    expect(await store.legacyClaim(['never-seen', 'old_pending'])).toEqual({ eventId: 'old_pending', state: 'pending' });
    expect(await store.legacyClaim(['old_done'])).toEqual({ eventId: 'old_done', state: 'enqueued' });
  });

  test('an over-long event ID and type are stored cut to 1024 and 256 characters, and a conflict compares the type as stored', async () => {
    // GIVEN signed content claimed by an event whose ID and type exceed what a claim keeps
    const owner = byContent('c4', 'i'.repeat(1500), 't'.repeat(300), 'B');
    expect(await store.claim(owner)).toEqual({ kind: 'claimed' });
    // THEN the claim holds their first 1024 and 256 characters
    const record = await item(owner);
    expect(record?.[TABLE.EVENT_ID]?.S).toBe('i'.repeat(1024));
    expect(record?.[TABLE.EVENT_TYPE]?.S).toBe('t'.repeat(256));
    // AND the same body and over-long type under another ID differ only by the ID: the request's type is cut as the stored one was
    expect(await store.claim(byContent('c4', 'j', 't'.repeat(300), 'B'))).toEqual({ kind: 'conflict', differs: 'id' });
  });

  test('a content claim made without an event type: another ID without one differs by the ID, one with a type by the type', async () => {
    const owner = byContent('c5', 'E5', undefined, 'B');
    expect(await store.claim(owner)).toEqual({ kind: 'claimed' });
    expect((await item(owner))?.[TABLE.EVENT_TYPE]).toBeUndefined();
    expect(await store.claim(byContent('c5', 'E6', undefined, 'B'))).toEqual({ kind: 'conflict', differs: 'id' });
    expect(await store.claim(byContent('c5', 'E5', 't', 'B'))).toEqual({ kind: 'conflict', differs: 'type' });
  });

  /**
   * Items this version never writes (hand-edited, restored from an old backup, or written by a tool):
   * a claim is judged by what its kind means, and a missing attribute never turns into a crash.
   */
  describe('stored claims lacking attributes', () => {
    async function write(id: string, attributes: Record<string, AttributeValue>) {
      await client.send(new PutItemCommand({ TableName: tableName, Item: { [TABLE.PARTITION_KEY]: { S: id }, ...attributes } }));
    }

    test('an ID claim with no state is unfinished (route and enqueue again) and is no legacy claim', async () => {
      await write(claimKey('stateless'), { [TABLE.EVENT_ID]: { S: 'stateless' } });
      expect(await store.claim(byId('stateless'))).toEqual({ kind: 'unfinished' });
      // The legacy read projects the state alone: the item comes back empty, and the next ID is tried
      await store.claim(byId('stateless_next'));
      expect(await store.legacyClaim(['stateless'])).toBeUndefined();
      expect(await store.legacyClaim(['stateless', 'stateless_next'])).toEqual({ eventId: 'stateless_next', state: 'pending' });
    });

    test('a content claim that names no owner (no binding, no body digest) conflicts with every request over the body', async () => {
      // Nobody can show they own it, so nothing may finish it; what changed cannot be told, so the weightiest part is named
      const owner = byContent('c6', 'E7', 't', 'B');
      await write(claimKeyOf(owner), { [TABLE.STATE]: { S: CLAIM_STATE.PENDING }, [TABLE.EVENT_ID]: { S: 'E7' }, [TABLE.EVENT_TYPE]: { S: 't' } });
      expect(await store.claim(owner)).toEqual({ kind: 'conflict', differs: 'body' });
      expect(await store.claim(byContent('c6', 'E8', 't', 'B'))).toEqual({ kind: 'conflict', differs: 'body' });
    });

    test('a content claim with its binding but no body digest: its owner finishes it, anyone else conflicts over the body', async () => {
      const owner = byContent('c7', 'E9', 't', 'B');
      await write(claimKeyOf(owner), {
        [TABLE.STATE]: { S: CLAIM_STATE.PENDING }, [TABLE.EVENT_ID]: { S: 'E9' }, [TABLE.EVENT_TYPE]: { S: 't' },
        [TABLE.BINDING]: { S: claimBinding(owner, createHash('sha256').update('B').digest('hex')) },
      });
      expect(await store.claim(owner)).toEqual({ kind: 'unfinished' });
      expect(await store.claim(byContent('c7', 'E10', 't', 'B'))).toEqual({ kind: 'conflict', differs: 'body' });
    });

    test('a claim time that is no epoch-milliseconds number is not passed on (the retry files the event under its own time)', async () => {
      const times: Array<[string, AttributeValue]> = [['t_text', { S: '1700000000000' }], ['t_negative', { N: '-5' }], ['t_fraction', { N: '1.5' }], ['t_huge', { N: '9'.repeat(20) }]];
      for (const [id, value] of times) {
        await write(claimKey(id), { [TABLE.STATE]: { S: CLAIM_STATE.PENDING }, [TABLE.CLAIMED_AT]: value });
        expect({ id, result: await store.claim(byId(id)) }).toEqual({ id, result: { kind: 'unfinished' } });
      }
    });

    test('an ID claim is judged by its state alone: a binding stored on it binds nobody (the event ID is signed)', async () => {
      await write(claimKey('bound_id'), { [TABLE.STATE]: { S: CLAIM_STATE.ENQUEUED }, [TABLE.BINDING]: { S: 'someone-else' } });
      expect(await store.claim(byId('bound_id'))).toEqual({ kind: 'enqueued' });
    });
  });
});

describe('claim keys', () => {
  test('IDs that SQS or DynamoDB cannot take as they are become a SHA-256 digest; others stay readable', () => {
    expect(safeId('evt_123')).toBe('evt_123');
    expect(safeId('has space')).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(safeId('é')).toMatch(/^sha256-/);
    expect(safeId('x'.repeat(129))).toMatch(/^sha256-/);
    expect(safeId('x'.repeat(128))).toBe('x'.repeat(128));
    expect(claimKey('evt_1')).toBe('claim#evt_1');
  });
});
