// B2 — AWS calls per delivery, counted at the emulator: the local harness (local/) runs the endpoint
// from its synthesized template — API Gateway emulation → the verifier bundle → a counting proxy →
// moto — and polls each processor's FIFO queue into processors built with the real runtime. The
// proxy labels every call with its caller (verifier execution environment, processor, poller).
//
//   npm run build && node bench/b2-calls.mjs
import { randomUUID } from 'node:crypto';
import { fmt, options, progress, table, writeResult } from './lib/common.mjs';
import { STRIPE_SECRET, loadHarness, startEndpoint, stripeDelivery } from './lib/harness.mjs';

const opts = options();
const REPEATS = opts.quick ? 3 : 5;

progress('B2: compiling the harness and starting moto');
const lib = await loadHarness();
const failFirst = new Set();
const env = await startEndpoint(lib, {
  processors: {
    fulfilment: (event, attempt) => {
      if (failFirst.has(event.id) && attempt === 1) throw new Error('bench: this attempt fails on purpose');
    },
  },
  // A failed record comes back after 1 s instead of the queue's visibility timeout (keeps the run short).
  poller: { retryVisibilityTimeoutSeconds: 1 },
});
const { harness } = env;
const { proxy } = harness;
const ttlS = harness.config.secretCacheTtlSeconds;

const newId = () => `evt_${randomUUID().replace(/-/g, '')}`;
const delivery = (extra = {}) => stripeDelivery(lib, { id: newId(), nowMs: harness.clock.now(), ...extra });
const post = (d, headers = d.headers) => harness.post({ body: d.body, headers });

/** Runs `act`, waits until every queue is drained, and returns the calls it caused, by role. */
async function observe(act) {
  proxy.resetCounts();
  const result = await act();
  await harness.waitForIdle({ timeoutMs: 60_000 });
  const calls = [...proxy.calls];
  const by = (filter) => calls.filter((call) => Object.entries(filter).every(([key, value]) => call[key] === value));
  const ops = (list) => {
    const out = {};
    for (const call of list) out[call.operation] = (out[call.operation] ?? 0) + 1;
    return out;
  };
  return {
    result,
    calls,
    verifier: ops(by({ role: 'verifier' })),
    processor: (name) => ops(by({ role: 'processor', owner: name })),
    poller: ops(by({ role: 'poller' })),
  };
}

const total = (ops) => Object.values(ops).reduce((a, b) => a + b, 0);
/** The measured count as a ratio to its floor (the target's count); "—" where the floor is 0 or none is set. */
const vsFloor = (values, floor) => (floor ? fmt.ratio(Math.max(...values) / floor) : '—');
const describe = (ops) => (total(ops) === 0 ? '—' : Object.entries(ops).map(([op, n]) => `${op} ×${n}`).join(', '));
/** The same count in every repetition, or the range. */
function stable(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

const rows = [];
const processorRows = [];
const targets = [];
const notes = [];

try {
  // 1. Unconfigured secret: the construct's placeholder value is still in the secret.
  progress('B2: unconfigured secret');
  // A burst at a cold verifier: Lambda (and the harness) start one container per concurrent request.
  const burst = await observe(async () => Promise.all(Array.from({ length: 16 }, () => post(delivery()).then((r) => r.status))));
  const burstFetches = countBy(burst.calls.filter((c) => c.role === 'verifier' && c.operation === 'GetSecretValue'), 'caller');
  const containers = harness.verifier.environments;
  const burstMax = Math.max(0, ...burstFetches.values());
  rows.push([`unconfigured secret: 16 concurrent requests at cold start (${containers} containers started)`, summarizeStatuses(burst.result), describe(burst.verifier), String(total(burst.verifier)), `≤ 1 GetSecretValue per container: at most ${burstMax}`, vsFloor([total(burst.verifier)], containers)]);
  // Then one after another on the warm containers, within the cache period: the "unset" answer is cached too.
  const sequential = await observe(async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await post(delivery())).status);
    return statuses;
  });
  const seqFetches = sequential.verifier.GetSecretValue ?? 0;
  rows.push(['unconfigured secret: 10 more requests one after another, same cache period', summarizeStatuses(sequential.result), describe(sequential.verifier), String(total(sequential.verifier)), 'cached: 0', '—']);
  // After the cache period: one fetch again (the hosted bundles' clock jumps ahead).
  harness.clock.advance((ttlS + 1) * 1000);
  const expired = await observe(async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await post(delivery())).status);
    return statuses;
  });
  const expiredFetches = expired.verifier.GetSecretValue ?? 0;
  rows.push([`unconfigured secret: 10 requests one after another after the cache period (${ttlS} s) expired`, summarizeStatuses(expired.result), describe(expired.verifier), String(total(expired.verifier)), '1 (one container served them)', vsFloor([total(expired.verifier)], 1)]);
  targets.push({
    name: 'at most one secret fetch per container per cache period (unconfigured secret)',
    measured: `cold burst: ${burstFetches.size} of ${containers} containers fetched, at most ${burstMax} each; same period: ${seqFetches}; next period: ${expiredFetches} for 10 requests`,
    met: burstMax <= 1 && seqFetches === 0 && expiredFetches <= 1,
  });

  // 2. Configure the secret; let every container's cache expire (the hosted bundles' clock jumps ahead).
  await harness.setSigningSecret(STRIPE_SECRET);
  harness.clock.advance((ttlS + 1) * 1000);
  // The first request of a container after the expiry re-reads the secret; warm the container first.
  const warm = await observe(async () => (await post(delivery())).status);
  rows.push(['first new event after the secret was set and the cache expired', summarizeStatuses([warm.result]), describe(warm.verifier), String(total(warm.verifier)), 'one secret fetch, then as below', vsFloor([total(warm.verifier)], 5)]);
  notes.push('Requests sent one after another reuse the most recently used container (as Lambda tends to), so every row after "first new event…" comes from one warm container whose secret is cached.');

  // 3. New events.
  for (const [label, type, matched] of [['new event, 2 processors matched', 'payment_intent.succeeded', 2], ['new event, 1 processor matched', 'customer.created', 1]]) {
    progress(`B2: ${label}`);
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await observe(async () => (await post(delivery({ type }))).status));
    const totals = runs.map((r) => total(r.verifier));
    const target = 2 * matched;
    rows.push([label, summarizeStatuses(runs.map((r) => r.result)), describe(runs[0].verifier), stable(totals), `target ${target} (2 per matched processor)`, vsFloor(totals, target)]);
    targets.push({ name: `${label}: 2 calls per matched processor (= ${target})`, measured: `${stable(totals)} calls (${describe(runs[0].verifier)})`, met: Math.max(...totals) <= target });
    for (const name of ['fulfilment', 'audit']) {
      const per = runs.map((r) => total(r.processor(name)));
      if (Math.max(...per) === 0) continue;
      processorRows.push([`processor success (${name}, from "${label}")`, describe(runs[0].processor(name)), stable(per), vsFloor(per, 2)]);
    }
  }

  // 4. Duplicate: the same signed delivery again, after the first was enqueued.
  progress('B2: duplicate');
  const original = delivery();
  await observe(() => post(original));
  const dupRuns = [];
  for (let i = 0; i < REPEATS; i++) dupRuns.push(await observe(async () => (await post(original)).status));
  const dupTotals = dupRuns.map((r) => total(r.verifier));
  rows.push(['duplicate (event already enqueued)', summarizeStatuses(dupRuns.map((r) => r.result)), describe(dupRuns[0].verifier), stable(dupTotals), 'target ≤ 1', vsFloor(dupTotals, 1)]);
  const dupProcessor = dupRuns.reduce((sum, r) => sum + total(r.processor('fulfilment')) + total(r.processor('audit')), 0);
  targets.push({ name: 'duplicate: ≤ 1 call', measured: `${stable(dupTotals)} (${describe(dupRuns[0].verifier)}); processors: ${dupProcessor} calls`, met: Math.max(...dupTotals) <= 1 });

  // 5. Rejected: wrong secret, stale timestamp, missing header.
  progress('B2: rejected');
  const rejected = [
    ['rejected: wrong signature', () => post(delivery({ secret: 'whsec_not_the_secret' }))],
    ['rejected: timestamp 10 min old', () => post(delivery({ nowMs: harness.clock.now() - 600_000 }))],
    ['rejected: no Stripe-Signature (API Gateway validator)', () => { const d = delivery(); const { 'Stripe-Signature': _, ...headers } = d.headers; return post(d, headers); }],
  ];
  let rejectedMax = 0;
  for (const [label, act] of rejected) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await observe(async () => (await act()).status));
    const totals = runs.map((r) => total(r.verifier));
    rejectedMax = Math.max(rejectedMax, ...totals);
    rows.push([label, summarizeStatuses(runs.map((r) => r.result)), describe(runs[0].verifier), stable(totals), 'target 0', '—']);
  }
  targets.push({ name: 'rejected: 0 calls', measured: `${rejectedMax} at most, over ${rejected.length} kinds × ${REPEATS}`, met: rejectedMax === 0 });

  // 6. Processor retry: fulfilment fails its first attempt, succeeds on redelivery.
  progress('B2: processor retry');
  const retryRuns = [];
  for (let i = 0; i < Math.min(REPEATS, 3); i++) {
    const d = delivery();
    failFirst.add(d.id);
    retryRuns.push(await observe(async () => (await post(d)).status));
  }
  const retryTotals = retryRuns.map((r) => total(r.processor('fulfilment')));
  processorRows.push(['processor retry (fulfilment: attempt 1 throws, attempt 2 succeeds)', describe(retryRuns[0].processor('fulfilment')), stable(retryTotals), vsFloor(retryTotals, 4)]);
  rows.push(['new event whose processor then retries', summarizeStatuses(retryRuns.map((r) => r.result)), describe(retryRuns[0].verifier), stable(retryRuns.map((r) => total(r.verifier))), 'verifier unaffected', vsFloor(retryRuns.map((r) => total(r.verifier)), 4)]);

  notes.push(`Verifier containers alive at the end: ${harness.verifier.environments}; cold starts: ${harness.verifier.stats.coldStarts}; invocations: ${harness.verifier.stats.invocations}.`);
} finally {
  await env.stop();
}

function summarizeStatuses(statuses) {
  const counts = countBy(statuses.flat().map((s) => ({ s })), 's');
  return [...counts].map(([status, n]) => `${status} ×${n}`).join(', ');
}

function countBy(items, key) {
  const out = new Map();
  for (const item of items) out.set(item[key], (out.get(item[key]) ?? 0) + 1);
  return out;
}

const markdown = `Calls counted by the harness's proxy between the hosted functions and moto, per delivery (each repeated ${REPEATS} times; a range means the repetitions differed). The endpoint is the construct's own template (Stripe scheme) with two processors: \`fulfilment\` (\`payment_intent.*\`) and \`audit\` (every event). "Verifier" calls are made by the verifier bundle (\`assets/verifier/index.js\`) in its emulated Lambda container; processor calls by processors built with the real runtime (\`webhookProcessor\`, Powertools idempotency). The event source mapping's own SQS calls (ReceiveMessage, DeleteMessage) are made by Lambda, not the function, and are not counted here.

**Verifier, per request**

${table(['path', 'responses', 'calls (operation × count)', 'total', 'target', '× floor'], rows, ['l', 'l', 'l', 'r', 'l', 'r'])}

**Processors, per event and processor**

${table(['path', 'calls (operation × count)', 'total', '× floor'], processorRows, ['l', 'l', 'r', 'r'])}

${notes.map((n) => `- ${n}`).join('\n')}
- "× floor": the count divided by the least the path can cost — the target where the issue sets one (2 per matched processor, 1 per duplicate, one secret fetch per container), one fetch + 2 + N for the first request of a container, and for a processor 2 per attempt that runs (the idempotency record's conditional write and its completion). Where the floor is 0 the count itself is the figure.
- **Why a new event costs one call more than "2 per matched processor".** The accept path is a conditional \`PutItem\` (the claim), one \`SendMessage\` per matched processor, then one \`UpdateItem\` that marks the claim \`ENQUEUED\`: 2 + N calls for N processors, so 3 for one processor (target 2) and 4 for two (target 4). The mark is what makes a later duplicate cost exactly one call: the duplicate's conditional \`PutItem\` fails and returns the old item (\`ReturnValuesOnConditionCheckFailure: ALL_OLD\`), and its state says "already enqueued — answer 200". Without the mark a duplicate could not tell an enqueued event from a claim whose Lambda crashed between the claim and the sends, and would have to re-send every time (N more calls per duplicate, relying on SQS FIFO deduplication, which only lasts 5 minutes, while Stripe retries for 3 days) or never recover the crashed claim (a lost event). One extra write per new event buys exactly-one-call duplicates and crash recovery.
- Rejected requests cost nothing because the signing secret is cached: a container whose cache is cold reads it once (the first request after a cold start or after \`secretCacheTtl\`, ${ttlS} s here), whatever the request turns out to be.
`;

writeResult('b2', { title: 'B2 — AWS calls per delivery', command: 'npm run build && node bench/b2-calls.mjs', markdown, targets, headline: targets.map((t) => `${t.name}: ${t.measured}`) });
process.stdout.write(markdown);
