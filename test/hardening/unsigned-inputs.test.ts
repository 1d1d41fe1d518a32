import fc from 'fast-check';
import { TABLE } from '../../lambda/shared/contract';
import { SCHEMES } from '../../lambda/verifier/schemes';
import { createIdempotencyTable, dynamoDb } from '../support/aws';
import { MemoryDynamoDb } from '../support/memory-dynamodb';
import { SIGNERS } from './support/signers';
import { checkUnsignedInputs, newUnsignedTally, unsignedCase, type UnsignedTally } from './support/unsigned-inputs';

/**
 * Issue #10: for every scheme, a signed request accepted once can have every part its signature does
 * not cover changed — and nothing new is enqueued, nothing is routed elsewhere. The in-memory run
 * covers many cases (its table is held to moto's answers by test/lambda/verifier/claims.test.ts);
 * the moto run sends a few cases per scheme through the real DynamoDB protocol.
 * HW_UNSIGNED_RUNS raises the in-memory count for a longer run by hand.
 */
const RUNS = Math.max(60, Number(process.env.HW_UNSIGNED_RUNS ?? 0) || 0);
const MOTO_RUNS = 4;
const ids = Object.keys(SCHEMES).sort();

function report(id: string, where: string, tally: UnsignedTally): void {
  const dir = process.env.HW_HARDENING_STATS;
  if (!dir) return;
  const fs = require('node:fs') as typeof import('node:fs');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/unsigned-${where}-${id}.json`, JSON.stringify({ id, where, ...tally }));
}

function expectEveryKindRan(tally: UnsignedTally, cases: number): void {
  expect(tally.cases).toBe(cases);
  expect(tally.accepted).toBe(tally.cases);
  // Every case tried an exact replay, a header edit of each kind, the query, white space and a byte flip.
  for (const kind of ['exact replay', 'header value', 'header removed', 'header name case', 'header repeated', 'header repeated, other value', 'header added', 'query', 'white space', 'byte flip'] as const) {
    expect(tally.byKind[kind]).toBeGreaterThanOrEqual(tally.cases);
  }
}

describe(`unsigned inputs never make a second event or re-route one (${RUNS} cases per scheme, real claim logic)`, () => {
  test('every registered scheme has a signer', () => {
    expect(ids.filter((id) => SIGNERS[id] === undefined)).toEqual([]);
  });

  test.each(ids)('%s', async (id) => {
    // GIVEN random keys, options, events, clocks and routing (the event subscribed, or ignored)
    const signer = SIGNERS[id];
    const tally = newUnsignedTally();
    // WHEN each case is delivered once, then mutated every way that needs no secret
    await fc.assert(fc.asyncProperty(unsignedCase(signer), async ([c, ignored]) => {
      await checkUnsignedInputs(signer, c, ignored, async () => ({ client: new MemoryDynamoDb(TABLE.PARTITION_KEY).asClient(), tableName: 'memory' }), tally);
    }), { numRuns: RUNS });
    // THEN every mutation kind ran on every case (each was checked to enqueue nothing)
    expectEveryKindRan(tally, RUNS);
    report(id, 'memory', tally);
  });
});

describe(`the same property through moto (${MOTO_RUNS} cases per scheme)`, () => {
  const client = dynamoDb();

  test.each(ids)('%s', async (id) => {
    const signer = SIGNERS[id];
    const tally = newUnsignedTally();
    // Each case gets a table of its own: random IDs of two cases may be equal.
    await fc.assert(fc.asyncProperty(unsignedCase(signer), async ([c, ignored]) => {
      await checkUnsignedInputs(signer, c, ignored, async () => ({ client, tableName: await createIdempotencyTable(client, `unsigned-${id}`) }), tally);
    }), { numRuns: MOTO_RUNS });
    expectEveryKindRan(tally, MOTO_RUNS);
    report(id, 'moto', tally);
  });
});
