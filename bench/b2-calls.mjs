// B2 — AWS calls per delivery, counted at the emulator: the local harness (local/) runs the endpoint
// from its synthesized template — API Gateway emulation → the verifier bundle → a counting proxy →
// moto — and polls each processor's FIFO queue into processors built with the real runtime. The
// proxy labels every call with its caller (verifier execution environment, processor, poller).
//
//   npm run build && node bench/b2-calls.mjs
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WORK, fmt, options, progress, table, writeResult } from './lib/common.mjs';
import { compileEntry } from './lib/compile.mjs';
import { STRIPE_SECRET, startEndpoint, stripeDelivery } from './lib/harness.mjs';

const opts = options();
const REPEATS = opts.quick ? 3 : 5;
/** The large-body rows: a body well over SQS's 1 MiB, and one at the ceiling of `maxBodySize` (lib/endpoint.ts MAX_BODY_SIZE). */
const LARGE_BODY_BYTES = 1.5 * 1024 * 1024;
const MAX_BODY_KIB = 4560;
/** The replay CLI's clients, counted at the proxy under this caller (role `client`). */
const REPLAY_CALLER = 'cli:replay';

progress('B2: compiling the harness and starting moto');
const lib = await loadB2Harness();
const { SIGNERS, fixedKey } = lib;
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
const ttlS = harness.config.secretCacheTtlSeconds;

const newId = () => `evt_${randomUUID().replace(/-/g, '')}`;
const delivery = (extra = {}) => stripeDelivery(lib, { id: newId(), nowMs: harness.clock.now(), ...extra });
const post = (d, headers = d.headers) => harness.post({ body: d.body, headers });

/** Runs `act`, waits until every queue is drained, and returns the calls it caused, by role (on `on`: the main Stripe harness unless given). */
async function observe(act, on = harness) {
  on.proxy.resetCounts();
  const result = await act();
  await on.waitForIdle({ timeoutMs: 60_000 });
  const calls = [...on.proxy.calls];
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
    /** Calls of clients built from `clientConfig(caller)` (the replay CLI's). */
    client: (caller) => ops(by({ role: 'client', caller })),
    /** Calls per `service.Operation`, from the proxy's own counter. */
    services: (filter) => on.proxy.counts(filter),
  };
}

const total = (ops) => Object.values(ops).reduce((a, b) => a + b, 0);
/** The measured count as a ratio to its floor (the target's count); "—" where the floor is 0 or none is set. */
const vsFloor = (values, floor) => (floor ? fmt.ratio(Math.max(...values) / floor) : '—');
const describe = (ops) => (total(ops) === 0 ? '—' : Object.entries(ops).map(([op, n]) => `${op} ×${n}`).join(', '));
/** "1 call", "4 calls", "3–4 calls": the count of {@link stable} with its noun. */
const calls = (values) => `${stable(values)} call${stable(values) === '1' ? '' : 's'}`;
/** The same count in every repetition, or the range. */
function stable(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

const rows = [];
const processorRows = [];
const replayRows = [];
/** Verifier totals of the main endpoint's new events, by the number of processors matched. */
const newEventTotals = new Map();
/** The operations the replay CLI was measured making (the prose explains each). */
let replayOperations = [];
/** The operations the replay CLI was measured making when the same replay ran again. */
let repeatOperations = [];
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
    newEventTotals.set(matched, totals);
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

  notes.push(`Main Stripe endpoint: verifier containers alive at the end: ${harness.verifier.environments}; cold starts: ${harness.verifier.stats.coldStarts}; invocations: ${harness.verifier.stats.invocations}.`);

  // 7. Other providers, each on an endpoint of its own (its own harness, the same moto). Their event
  // ID or type is not covered by the signature, so they claim the digest of the signed content.
  const sendsOf = (run) => run.verifier.SendMessage ?? 0;
  const processorCalls = (run, names) => names.reduce((sum, name) => sum + total(run.processor(name)), 0);
  /** A row and a target for `runs` of one path whose budget is `target` calls (`floor` for × floor). */
  const report = (label, runs, { target, targetText, targetName, floor = target, extra = '' }) => {
    const totals = runs.map((r) => total(r.verifier));
    rows.push([label, summarizeStatuses(runs.map((r) => r.result)), describe(runs[0].verifier), stable(totals), targetText, vsFloor(totals, floor)]);
    targets.push({ name: targetName, measured: `${calls(totals)} (${describe(runs[0].verifier)})${extra}`, met: Math.max(...totals) <= target });
    return totals;
  };

  // GitHub: the delivery ID and the event name are headers the signature does not cover.
  progress('B2: GitHub');
  const github = SIGNERS.github;
  const githubKey = fixedKey('github', 'bench-github-webhook-secret');
  const githubProcessors = [{ name: 'prs', eventTypes: ['pull_request.*'] }, { name: 'audit', eventTypes: ['pull_request.*', 'issues.*', 'push', 'release.*'] }];
  const gh = await startProviderEndpoint({ provider: lib.WebhookProvider.github() }, githubProcessors, githubKey.stored);
  try {
    const githubNames = githubProcessors.map((p) => p.name);
    let githubNumber = 0;
    /** A signed GitHub delivery: `X-GitHub-Event: <event>`, body `{ action, … }`, a fresh delivery ID; the body is unique. */
    const githubDelivery = (event, action) => {
      const signed = github.sign({ id: randomUUID(), type: action, extra: { number: ++githubNumber, sender: { login: 'octocat' } }, pretty: false }, githubKey, gh.clock.now(), {});
      return { body: signed.body, headers: { ...signed.headers, 'X-GitHub-Event': event, 'Content-Type': 'application/json' } };
    };
    await observe(() => gh.post(githubDelivery('pull_request', 'opened')), gh); // warm-up: the container's secret fetch

    const ghNew = [];
    for (let i = 0; i < REPEATS; i++) ghNew.push(await observe(async () => (await gh.post(githubDelivery('pull_request', 'opened'))).status, gh));
    report('GitHub: new event, 2 processors matched (`pull_request.opened`)', ghNew, {
      target: 4, targetText: 'target 4 (2 per matched processor)', targetName: 'GitHub new event, 2 processors matched: 2 calls per matched processor (= 4)',
    });

    const ghIgnored = [];
    for (let i = 0; i < REPEATS; i++) ghIgnored.push(await observe(async () => withStatus(await gh.post(githubDelivery('star', 'created'))), gh));
    report('GitHub: ignored event (`star.created`, no processor subscribed)', ghIgnored, {
      target: 1, targetText: 'target ≤ 1 (the content claim, recorded as IGNORED)', targetName: 'GitHub ignored event: ≤ 1 call (the content claim)',
      extra: `; SendMessage: ${Math.max(...ghIgnored.map(sendsOf))}`,
    });

    // Replay: a captured pull_request delivery re-sent as X-GitHub-Event: issues (which `audit` takes) under a fresh delivery ID.
    const captured = githubDelivery('pull_request', 'closed');
    await observe(() => gh.post(captured), gh);
    const ghReplay = [];
    for (let i = 0; i < REPEATS; i++) {
      const headers = { ...captured.headers, 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': randomUUID() };
      ghReplay.push(await observe(async () => withStatus(await gh.post({ body: captured.body, headers })), gh));
    }
    const replaySends = Math.max(...ghReplay.map(sendsOf));
    const replayProcessors = Math.max(...ghReplay.map((r) => processorCalls(r, githubNames)));
    const replayTotals = report('GitHub: replay of a signed `pull_request` body under a spoofed X-GitHub-Event (`issues`) and a fresh X-GitHub-Delivery', ghReplay, {
      target: 1, targetText: 'target ≤ 1, 0 sends', targetName: 'GitHub replay (spoofed X-GitHub-Event, fresh X-GitHub-Delivery): ≤ 1 call, 0 sends',
      extra: `; SendMessage: ${replaySends}; processors: ${replayProcessors} calls`,
    });
    targets.at(-1).met = Math.max(...replayTotals) <= 1 && replaySends === 0 && replayProcessors === 0;
  } finally {
    await gh.stop().catch(() => undefined);
  }

  // Mailgun: the signature block covers timestamp + token only, not the event data.
  progress('B2: Mailgun');
  const mailgun = SIGNERS.mailgun;
  const mailgunKey = fixedKey('mailgun', 'bench-mailgun-signing-key');
  const mg = await startProviderEndpoint({ provider: lib.WebhookProvider.mailgun() }, [{ name: 'bounces', eventTypes: ['failed'] }, { name: 'audit' }], mailgunKey.stored);
  try {
    const mailgunDelivery = (event) => {
      const signed = mailgun.sign({ id: randomUUID(), type: event, extra: { recipient: 'alice@example.com', severity: 'permanent' }, pretty: false }, mailgunKey, mg.clock.now(), {});
      return { body: signed.body, headers: signed.headers };
    };
    await observe(() => mg.post(mailgunDelivery('failed')), mg); // warm-up
    const mgNew = [];
    for (let i = 0; i < REPEATS; i++) mgNew.push(await observe(async () => (await mg.post(mailgunDelivery('failed'))).status, mg));
    report('Mailgun: new event, 2 processors matched (`failed`)', mgNew, {
      target: 4, targetText: 'target 4 (2 per matched processor, as Stripe)', targetName: 'Mailgun new event, 2 processors matched: 2 calls per matched processor (= 4, as Stripe)',
    });
  } finally {
    await mg.stop().catch(() => undefined);
  }

  // Twilio: the event ID is a digest of the signed string; a new event also reads its 0.1 claim.
  progress('B2: Twilio');
  const twilio = SIGNERS.twilio;
  const twilioKey = fixedKey('twilio', 'bench-twilio-auth-token');
  const tw = await startProviderEndpoint({ provider: lib.WebhookProvider.twilio(), publicUrl: twilio.publicUrl }, [{ name: 'delivery', eventTypes: ['message.*'] }, { name: 'audit' }], twilioKey.stored);
  try {
    const twilioDelivery = (status) => {
      const signed = twilio.sign({ id: randomUUID(), type: status, extra: {}, pretty: false }, twilioKey, tw.clock.now(), {}, { variant: 0 });
      return { body: signed.body, headers: signed.headers, query: signed.query };
    };
    await observe(() => tw.post(twilioDelivery('delivered')), tw); // warm-up
    const twNew = [];
    for (let i = 0; i < REPEATS; i++) twNew.push(await observe(async () => (await tw.post(twilioDelivery('delivered'))).status, tw));
    report('Twilio: new event, 2 processors matched (`message.delivered`)', twNew, {
      target: 5, targetText: 'target 5 (2 per matched processor + 1 read of the 0.1 claim)', targetName: 'Twilio new event, 2 processors matched: 2 calls per matched processor + 1 read of the 0.1 claim (= 5)',
    });
  } finally {
    await tw.stop().catch(() => undefined);
  }

  // Stripe signs its event ID and type: an ignored event needs no claim. (The main endpoint's `audit`
  // takes every event, so this runs on a Stripe endpoint with `fulfilment` alone.)
  progress('B2: Stripe ignored event');
  const st = await startProviderEndpoint({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }], STRIPE_SECRET);
  try {
    const stripeNew = (type) => stripeDelivery(lib, { id: newId(), type, nowMs: st.clock.now() });
    await observe(() => st.post(stripeNew('payment_intent.succeeded')), st); // warm-up
    const stIgnored = [];
    for (let i = 0; i < REPEATS; i++) stIgnored.push(await observe(async () => withStatus(await st.post(stripeNew('customer.created'))), st));
    const stTotals = stIgnored.map((r) => total(r.verifier));
    rows.push(['Stripe: ignored event (`customer.created`, endpoint with `fulfilment` only)', summarizeStatuses(stIgnored.map((r) => r.result)), describe(stIgnored[0].verifier), stable(stTotals), 'target 0 (ID and type are signed: no claim)', '—']);
    targets.push({ name: 'Stripe ignored event: 0 calls', measured: `${calls(stTotals)}`, met: Math.max(...stTotals) === 0 });
  } finally {
    await st.stop().catch(() => undefined);
  }

  // 8. Large bodies: a message that would not fit SQS's 1 MiB carries a reference, the body goes to the
  // event bucket once per matched processor (the claim check). An endpoint of its own, whose
  // maxBodySize is the ceiling (4560 KiB), with the main endpoint's two processors.
  progress('B2: large bodies');
  const largeProcessors = [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }, { name: 'audit' }];
  const largeNames = largeProcessors.map((p) => p.name);
  /** SHA-256 of the body each processor's handler was given, by `processor#eventId`: every row checks its bytes arrived. */
  const handed = new Map();
  const lg = await startProviderEndpoint({ maxBodySize: lib.Size.kibibytes(MAX_BODY_KIB) }, largeProcessors, STRIPE_SECRET, (event, _attempt, processor) => {
    handed.set(`${processor}#${event.id}`, sha256(event.rawBody));
  });
  try {
    const large = (bytes) => stripeDelivery(lib, { id: newId(), nowMs: lg.clock.now(), bodyBytes: bytes, exactSize: true });
    // Warm-up: the container's secret fetch, and its first large body (the verifier loads its S3 client then).
    await observe(() => lg.post(large(LARGE_BODY_BYTES)), lg);
    for (const [label, bytes, size, repeats] of [
      [`large body: new event of ${fmt.size(LARGE_BODY_BYTES)} (${LARGE_BODY_BYTES.toLocaleString('en')} bytes), 2 processors matched`, LARGE_BODY_BYTES, fmt.size(LARGE_BODY_BYTES), REPEATS],
      [`large body at the ceiling: ${MAX_BODY_KIB} KiB (${(MAX_BODY_KIB * 1024).toLocaleString('en')} bytes, \`maxBodySize: Size.kibibytes(${MAX_BODY_KIB})\`), 2 processors matched`, MAX_BODY_KIB * 1024, `${MAX_BODY_KIB} KiB`, Math.min(REPEATS, 3)],
    ]) {
      progress(`B2: ${label}`);
      const runs = [];
      for (let i = 0; i < repeats; i++) {
        const d = large(bytes);
        if (Buffer.byteLength(d.body) !== bytes) throw new Error(`B2: the large body is ${Buffer.byteLength(d.body)} bytes, not ${bytes}`);
        runs.push(await observe(async () => (await lg.post(d)).status, lg));
        for (const name of largeNames) {
          if (handed.get(`${name}#${d.id}`) !== sha256(d.body)) throw new Error(`B2: ${name} was not handed the exact ${bytes}-byte body of ${d.id}`);
        }
      }
      // The budget: 2 per matched processor (the issue's target), and the one object each processor reads.
      const target = 3 * largeNames.length;
      report(label, runs, {
        target, targetText: `target ${target} (2 per matched processor + 1 PutObject each)`, targetName: `${label}: 2 calls per matched processor + 1 S3 PutObject each (= ${target})`,
        extra: `; processors: ${largeNames.map((name) => `${name} ${calls(runs.map((r) => total(r.processor(name))))} (${describe(runs[0].processor(name))})`).join(', ')}`,
      });
      const puts = runs.map((r) => r.services({ role: 'verifier', service: 's3' })['s3.PutObject'] ?? 0);
      targets.at(-1).met &&= Math.min(...puts) === largeNames.length && Math.max(...puts) === largeNames.length;
      for (const name of largeNames) {
        const per = runs.map((r) => total(r.processor(name)));
        const gets = runs.map((r) => r.services({ role: 'processor', owner: name, service: 's3' })['s3.GetObject'] ?? 0);
        processorRows.push([`processor success, large body (${name}, from "${label.split(':')[0]}", ${size})`, describe(runs[0].processor(name)), stable(per), vsFloor(per, 3)]);
        if (Math.max(...gets) !== 1 || Math.min(...gets) !== 1) throw new Error(`B2: ${name} read its object ${stable(gets)} times per event`);
      }
    }
  } finally {
    await lg.stop().catch(() => undefined);
  }

  // 9. Archive: every verified event accepted or ignored is kept in the event bucket. An endpoint of its
  // own with `fulfilment` alone (so that an event can go unmatched), then a replay from that archive.
  progress('B2: archive');
  /** `eventId#replayId` of every replay a handler ran. */
  const replayed = new Set();
  const ar = await startProviderEndpoint({ archive: { retention: lib.Duration.days(30) } }, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }], STRIPE_SECRET, (event) => {
    if (event.replay) replayed.add(`${event.id}#${event.replay.id}`);
  });
  try {
    const stripeNew = (type) => stripeDelivery(lib, { id: newId(), type, nowMs: ar.clock.now() });
    await observe(() => ar.post(stripeNew('payment_intent.succeeded')), ar); // warm-up
    const archived = [];
    const arNew = [];
    for (let i = 0; i < REPEATS; i++) {
      const d = stripeNew('payment_intent.succeeded');
      archived.push(d);
      arNew.push(await observe(async () => (await ar.post(d)).status, ar));
    }
    const arNewS3 = arNew.map((r) => total(r.services({ role: 'verifier', service: 's3' })));
    report('archive on: new event, 1 processor matched (`fulfilment` only)', arNew, {
      target: 4, floor: 4, targetText: 'target 4 (2 per matched processor + 2 S3 PUTs: time entry, record)',
      targetName: 'archive on, new event: 2 S3 PUTs more than without (time entry + create-only record)',
      extra: `; of them S3: ${stable(arNewS3)}`,
    });
    // Against the same path without the archive: the main endpoint's "new event, 1 processor matched".
    const withoutArchive = Math.max(...newEventTotals.get(1));
    targets.at(-1).met = arNew.every((r, i) => arNewS3[i] === 2 && total(r.verifier) === withoutArchive + 2);
    targets.at(-1).measured += `; the same event without the archive: ${withoutArchive} calls`;
    const arProcessor = arNew.map((r) => total(r.processor('fulfilment')));
    processorRows.push(['processor success, archive on (fulfilment, from "archive on: new event")', describe(arNew[0].processor('fulfilment')), stable(arProcessor), vsFloor(arProcessor, 2)]);

    const arDup = [];
    for (let i = 0; i < REPEATS; i++) arDup.push(await observe(async () => withStatus(await ar.post(archived[i])), ar));
    const arDupS3 = Math.max(...arDup.map((r) => total(r.services({ role: 'verifier', service: 's3' }))));
    report('archive on: duplicate (event already enqueued)', arDup, {
      target: 1, targetText: 'target ≤ 1, no S3 call', targetName: 'archive on, duplicate: ≤ 1 call, no S3 call', extra: `; of them S3: ${arDupS3}`,
    });
    targets.at(-1).met &&= arDupS3 === 0;

    const arIgnored = [];
    for (let i = 0; i < REPEATS; i++) arIgnored.push(await observe(async () => withStatus(await ar.post(stripeNew('customer.created'))), ar));
    const arIgnoredSends = Math.max(...arIgnored.map(sendsOf));
    report('archive on: ignored event (`customer.created`)', arIgnored, {
      target: 3, targetText: 'target 3 (the claim, recorded as IGNORED, + 2 S3 PUTs)', targetName: 'archive on, ignored event: the claim + 2 S3 PUTs (= 3), 0 sends',
      extra: `; SendMessage: ${arIgnoredSends}`,
    });
    targets.at(-1).met &&= arIgnoredSends === 0;

    // 10. Replay of one archived event to `fulfilment`, through the CLI's replay function, its clients at the proxy.
    progress('B2: replay from the archive');
    const route = ar.config.processors.find((p) => p.name === 'fulfilment');
    const replayTarget = { endpoint: ar.config.endpointName, processor: route.name, queueUrl: route.queueUrl, bucket: ar.config.eventBucket, eventTypes: route.eventTypes };
    const cliConfig = await ar.clientConfig(REPLAY_CALLER);
    const s3 = new lib.S3Client({ ...cliConfig, forcePathStyle: true });
    const sqs = new lib.SQSClient(cliConfig);
    const replayRuns = [];
    const repeatRuns = [];
    try {
      for (let i = 0; i < REPEATS; i++) {
        const d = archived[i];
        const replayId = `bench-fix-${i + 1}`;
        const before = await tableItems(ar);
        const run = await observe(() => lib.replay(s3, sqs, replayTarget, { eventIds: [d.id] }, { replayId }), ar);
        const after = await tableItems(ar);
        if (run.result.sent !== 1) throw new Error(`B2: the replay of ${d.id} sent ${run.result.sent} events (${JSON.stringify(run.result.events)})`);
        if (!replayed.has(`${d.id}#${replayId}`)) throw new Error(`B2: fulfilment did not run the replay ${replayId} of ${d.id}`);
        // Every item of the table (the verifier's claims, the original's processor record) as it was; one item more: the replay's record.
        const changed = [...before].filter(([key, item]) => after.get(key) !== item);
        const added = [...after.keys()].filter((key) => !before.has(key));
        if (changed.length > 0 || added.length !== 1) throw new Error(`B2: the replay changed ${changed.length} items and added ${added.length} (expected 0 and 1)`);
        replayRuns.push(run);
        // The same replay again: nothing may run twice.
        const again = await observe(() => lib.replay(s3, sqs, replayTarget, { eventIds: [d.id] }, { replayId }), ar);
        const sentAgain = again.result.events.filter((e) => e.outcome === 'sent').length;
        const afterRepeat = await tableItems(ar);
        const repeatChanged = [...after].filter(([key, item]) => afterRepeat.get(key) !== item).length + (afterRepeat.size - after.size);
        if (sentAgain !== 0 || total(again.processor('fulfilment')) !== 0 || repeatChanged !== 0) {
          throw new Error(`B2: the same replay again sent ${sentAgain}, processor calls ${total(again.processor('fulfilment'))}, table changes ${repeatChanged} (${JSON.stringify(again.result.events)})`);
        }
        repeatRuns.push(again);
      }
    } finally {
      s3.destroy();
      sqs.destroy();
    }
    const cliTotals = replayRuns.map((r) => total(r.client(REPLAY_CALLER)));
    const cliOps = replayRuns[0].client(REPLAY_CALLER);
    replayRows.push(['replay of one archived event to one processor (`fulfilment`), by ID', describe(cliOps), stable(cliTotals), vsFloor(cliTotals, 2)]);
    replayOperations = Object.keys(cliOps);
    const repeatTotals = repeatRuns.map((r) => total(r.client(REPLAY_CALLER)));
    const repeatOps = repeatRuns[0].client(REPLAY_CALLER);
    replayRows.push(['the same replay again (same replay ID): nothing sent', describe(repeatOps), stable(repeatTotals), vsFloor(repeatTotals, 2)]);
    repeatOperations = Object.keys(repeatOps);
    const replayProcessor = replayRuns.map((r) => total(r.processor('fulfilment')));
    processorRows.push(['processor runs a replay (fulfilment, from "replay of one archived event")', describe(replayRuns[0].processor('fulfilment')), stable(replayProcessor), vsFloor(replayProcessor, 2)]);
    const verifierDuringReplay = Math.max(...replayRuns.map((r) => total(r.verifier)));
    targets.push({
      name: 'replay of one archived event: the processor runs it under a record of its own, the original\'s untouched',
      measured: `CLI ${calls(cliTotals)} (${describe(cliOps)}); processor ${calls(replayProcessor)} (${describe(replayRuns[0].processor('fulfilment'))}); verifier ${verifierDuringReplay}; table: 1 item added, 0 changed`,
      met: Math.max(...replayProcessor) <= 2 && verifierDuringReplay === 0,
    });
    const repeatProcessor = Math.max(...repeatRuns.map((r) => total(r.processor('fulfilment'))));
    targets.push({
      name: 'the same replay again: nothing sent, nothing run',
      measured: `CLI ${calls(repeatTotals)} (${describe(repeatOps)}); SendMessage: ${Math.max(...repeatRuns.map((r) => r.client(REPLAY_CALLER).SendMessage ?? 0))}; processor ${repeatProcessor} calls; table unchanged`,
      met: repeatProcessor === 0 && repeatRuns.every((r) => (r.client(REPLAY_CALLER).SendMessage ?? 0) === 0),
    });
  } finally {
    await ar.stop().catch(() => undefined);
  }
  notes.push('Rows named GitHub, Mailgun, Twilio, "Stripe: ignored event", "large body" and "archive on", and the replay, come from endpoints of their own, each run by its own harness on the same moto; each endpoint\'s first event (its container\'s secret fetch) is a warm-up and is not counted.');
} finally {
  await env.stop();
}

/**
 * The main harness's library plus what the other endpoints need: `WebhookProvider`, the hardening
 * suite's signers, CDK sizes and durations, and the replay CLI's function with its SDK clients.
 */
async function loadB2Harness() {
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'b2-harness-entry.ts'), [
    "export * from '../bench/lib/harness-entry';",
    "export { WebhookProvider } from '../lib/provider';",
    "export { SIGNERS, fixedKey } from '../test/hardening/support/signers';",
    "export { Duration, Size } from 'aws-cdk-lib';",
    "export { replay } from '../local/cli/replay';",
    "export { ScanCommand } from '@aws-sdk/client-dynamodb';",
    "export { S3Client } from '@aws-sdk/client-s3';",
    "export { SQSClient } from '@aws-sdk/client-sqs';",
    '',
  ].join('\n'));
  const file = await compileEntry('.bench/b2-harness-entry.ts', 'b2-harness-lib');
  return createRequire(import.meta.url)(file);
}

/**
 * Starts an endpoint of the given provider (`props`) and processors on the main harness's moto, its
 * secret set. `behaviour` runs in every processor's handler (it does nothing by default).
 */
async function startProviderEndpoint(props, processors, secret, behaviour = () => undefined) {
  const { stack } = lib.endpointStack(props, processors);
  const implementations = Object.fromEntries(processors.map(({ name }) => [name, lib.benchProcessor(behaviour)]));
  const started = await lib.startHarness({ stack, processors: implementations, emulatorEndpoint: env.moto.endpoint, poller: { retryVisibilityTimeoutSeconds: 1 } });
  try {
    await started.setSigningSecret(secret);
  } catch (error) {
    await started.stop().catch(() => undefined);
    throw error;
  }
  return started;
}

/** SHA-256 of a body, hex. */
function sha256(body) {
  return createHash('sha256').update(body).digest('hex');
}

/** Every item of the harness's idempotency table, as JSON by partition key, read straight from moto (not counted). */
async function tableItems(on) {
  const items = new Map();
  let start;
  do {
    const page = await on.aws.dynamoDb.send(new lib.ScanCommand({ TableName: on.table.name, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) items.set(item.id.S, JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The HTTP status and, for a JSON answer, its `status` field (`ignored`, `duplicate`, …). */
function withStatus(response) {
  try {
    const { status } = response.json();
    return typeof status === 'string' ? `${response.status} ${status}` : response.status;
  } catch {
    return response.status;
  }
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

const LARGE_BODY_NOTE = `A body whose SQS message would exceed SQS's 1 MiB (judged on the encoded message: the JSON envelope with the body escaped, and the attributes) costs one \`PutObject\` per matched processor more than a small one, nothing else: the claim (\`PutItem\`), the exact signed bytes stored once per matched processor at \`payloads/<processor>/<sha256 of the event ID>/<sha256 of the body>\` (one object each, so IAM lets a processor read only its own prefix; every object is stored before any message is sent, so no processor is handed a reference to nothing), one \`SendMessage\` per processor whose envelope carries \`bodyRef\` { bucket, key, bytes, sha256 } and an empty \`body\`, and the mark (\`UpdateItem\`). The ${MAX_BODY_KIB} KiB row costs what the ${fmt.size(LARGE_BODY_BYTES)} row does: the count does not grow with the size. Each processor pays one \`GetObject\` more than for a small body: after its claim (\`PutItem\`), so that a duplicate of a completed event is skipped without a read, then it checks the object's length and SHA-256 against the reference before the handler sees it, and completes (\`UpdateItem\`).`;

const ARCHIVE_NOTE = `With \`archive\` on, a new event costs two S3 PUTs more than the same event without it (the time-index entry \`archive/by-time/<minute>/<digest>\`, empty, then the record \`archive/by-id/<digest>.json\`, create-only with \`If-None-Match: *\` so a retry never moves the first receipt's time), both written before any message is sent and before the answer. A duplicate of an enqueued event costs what it does without the archive: its conditional \`PutItem\` fails on an \`ENQUEUED\` claim and nothing is written to S3 (the record was written by the first receipt). An ignored event is claimed when the archive is on (\`PutItem\`, state \`IGNORED\`; without the archive a Stripe event nobody subscribed to costs nothing, see "Stripe: ignored event"), so that its retries file it under the minute of its first receipt, and then archived (the same two PUTs); nothing is sent. The processor's calls do not change: the archive is the verifier's.`;

/** The replay CLI's calls, each explained; only the operations it was measured making. */
function replayNote() {
  const explained = {
    GetObject: 'reads the event\'s archive record (`archive/by-id/<digest>.json`: the exact bytes, ID, type, message group, receipt time)',
    HeadObject: 'looks for the replay marker (`archive/replays/<digest>/<processor>/<replay ID>`): were it there, this replay ID would already have sent the event, and it would not be sent again',
    SendMessage: 'sends the message the verifier sent, to the processor\'s queue, with `replay: { id, at }` in the envelope and the deduplication ID `replay-<sha256 of [event ID, replay ID]>`, never the original\'s',
    PutObject: 'writes the replay marker (create-only, empty) once SQS has accepted the message',
  };
  const cli = replayOperations.map((op) => `\`${op}\` ${explained[op] ?? '(not described here: see local/cli/replay/replay.ts)'}`).join('; ');
  const marker = replayOperations.includes('HeadObject')
    ? ` The marker's two calls are what "× floor" counts above the floor: they keep the same replay ID a no-op for as long as the archive keeps the event, where SQS's deduplication lasts 5 minutes and the processor's record for the replay its retention. Run again with the same replay ID, the CLI reads the record and finds the marker (${repeatOperations.map((op) => `\`${op}\``).join(', ')}), sends nothing, and the processor makes no call.`
    : ' No marker object is read or written: the same replay ID sent again is dropped by SQS\'s deduplication within 5 minutes and skipped by the processor\'s record for that replay after.';
  return `The CLI (\`replay()\` of local/cli/replay, its S3 and SQS clients counted at the proxy): ${cli}.${marker} The processor makes its claim on a record of the replay's own, keyed on (processor, event ID, replay ID) — a conditional \`PutItem\` that the original's completed record does not block — and completes it (\`UpdateItem\`). Around each replay the idempotency table was read straight from moto (not counted): every item it held before (the verifier's claims, the original's completed record) was unchanged, and exactly one item was added. The verifier makes no call.`;
}

const markdown = `Calls counted by the harness's proxy between the hosted functions and moto, per delivery (each repeated ${REPEATS} times, the ${MAX_BODY_KIB} KiB body ${Math.min(REPEATS, 3)} times; a range means the repetitions differed). The endpoint is the construct's own template (Stripe scheme) with two processors: \`fulfilment\` (\`payment_intent.*\`) and \`audit\` (every event). Rows named after a provider come from an endpoint of that provider: GitHub with \`prs\` (\`pull_request.*\`) and \`audit\` (\`pull_request.*\`, \`issues.*\`, \`push\`, \`release.*\`), Mailgun with \`bounces\` (\`failed\`) and \`audit\` (every event), Twilio with \`delivery\` (\`message.*\`) and \`audit\` (every event), and Stripe with \`fulfilment\` alone (so that an event can go unmatched). The "large body" rows come from a Stripe endpoint with \`maxBodySize: Size.kibibytes(${MAX_BODY_KIB})\` (the ceiling) and the main endpoint's two processors; the bodies are Stripe-like JSON events padded with line items to exactly their size, and each row checks that both processors were handed exactly the bytes sent. The "archive on" rows and the replay come from a Stripe endpoint with \`archive: { retention: Duration.days(30) }\` and \`fulfilment\` alone. Every endpoint here has an event bucket (the default \`maxBodySize\`, 256 KiB, is above the 160 KiB from which one is created), so the rows without "large body" or "archive" show that a small body and no archive cost no S3 call. Requests are signed as the hardening suite's signers sign them (\`test/hardening/support/signers.ts\`). "Verifier" calls are made by the verifier bundle (\`assets/verifier/index.js\`) in its emulated Lambda container; processor calls by processors built with the real runtime (\`webhookProcessor\`, Powertools idempotency). The event source mapping's own SQS calls (ReceiveMessage, DeleteMessage) are made by Lambda, not the function, and are not counted here.

**Verifier, per request**

${table(['path', 'responses', 'calls (operation × count)', 'total', 'target', '× floor'], rows, ['l', 'l', 'l', 'r', 'l', 'r'])}

**Processors, per event and processor**

${table(['path', 'calls (operation × count)', 'total', '× floor'], processorRows, ['l', 'l', 'r', 'r'])}

**Replay (\`hardened-webhooks replay\`), per event, the CLI's calls**

${table(['path', 'calls (operation × count)', 'total', '× floor'], replayRows, ['l', 'l', 'r', 'r'])}

${notes.map((n) => `- ${n}`).join('\n')}
- "× floor": the count divided by the least the path can cost — the target where the issue sets one (2 per matched processor, 1 per duplicate, one secret fetch per container), one fetch + 2 + N for the first request of a container, 1 for an ignored event or a replay claimed on content, 2 per matched processor + 1 read for a new Twilio event, 2 per matched processor + 1 \`PutObject\` each for a large body, 2 per matched processor + 2 S3 PUTs (time entry, record) for a new archived event and 1 + 2 for an archived ignored event; for a processor, 2 per attempt that runs (the idempotency record's conditional write and its completion) + 1 \`GetObject\` for a large body; for the replay CLI, 2 per event (read its record, then send it or find it already sent). Where the floor is 0 the count itself is the figure.
- **Why a new event costs one call more than "2 per matched processor".** The accept path is a conditional \`PutItem\` (the claim), one \`SendMessage\` per matched processor, then one \`UpdateItem\` that marks the claim \`ENQUEUED\`: 2 + N calls for N processors, so 3 for one processor (target 2) and 4 for two (target 4). The mark is what makes a later duplicate cost exactly one call: the duplicate's conditional \`PutItem\` fails and returns the old item (\`ReturnValuesOnConditionCheckFailure: ALL_OLD\`), and its state says "already enqueued — answer 200". Without the mark a duplicate could not tell an enqueued event from a claim whose Lambda crashed between the claim and the sends, and would have to re-send every time (N more calls per duplicate, relying on SQS FIFO deduplication, which only lasts 5 minutes, while Stripe retries for 3 days) or never recover the crashed claim (a lost event). One extra write per new event buys exactly-one-call duplicates and crash recovery.
- **Why an ignored event costs a call for some providers.** Stripe signs the event ID and type (they are in the signed body), so an event no processor wants can be answered \`ignored\` with no claim at all: the same signed bytes can only ever be the same event of the same type, and it will be ignored again. GitHub (\`X-GitHub-Delivery\`, \`X-GitHub-Event\`), Shopify (topic and ID headers), Mailgun (the event data is outside the signed timestamp + token), Twilio (an ID derived from the signed string), Linear with \`eventIdSource: 'delivery'\` and generic HMAC with header fields leave the ID or the type unsigned. Their events are claimed under the digest of the signed content (\`claim#content sha256:…\`), bound to the ID, type and body they arrived with, and an ignored event must be claimed too (one conditional \`PutItem\`, state \`IGNORED\`): otherwise whoever captured a signed \`star\` delivery could send the same bytes as \`X-GitHub-Event: issues\` and have them processed as an event that was never sent. That write is also what makes the replay row cost one call and send nothing: the conditional \`PutItem\` fails, returns the claim, and its binding (delivery ID, event type, body) is not the request's, so the verifier answers \`duplicate\`, counts \`ContentReplays\`, and enqueues nothing. Mailgun's single-use token needs no separate nonce item any more: the content claim is keyed by that token's signed block, so a new Mailgun event costs what a Stripe one does.
- **Why a new Twilio event costs one read more.** Version 0.1 named a Twilio event by a digest of the parsed parameters; it is now a digest of the signed string, so a Twilio retry that crosses the upgrade carries an event ID the new claim key does not know. After making its claim, a new Twilio event reads the claim 0.1 would have written (\`GetItem\`, strongly consistent): if that one is \`ENQUEUED\` the retry is a duplicate; if it is unfinished, the event is sent under its 0.1 ID so the queue's deduplication and the processors' records recognise it. Only a new event pays it (a duplicate or replay stops at the failed \`PutItem\`), and it is temporary: 0.1 claims expire after the endpoint's \`idempotencyRetention\` (7 days by default), and the read goes away in a release after every 0.1 claim has expired. The other content-claim providers kept their event IDs, so they need no such read.
- **What a large body costs.** ${LARGE_BODY_NOTE}
- **What the archive costs.** ${ARCHIVE_NOTE}
- **What a replay costs.** ${replayNote()}
- Rejected requests cost nothing because the signing secret is cached: a container whose cache is cold reads it once (the first request after a cold start or after \`secretCacheTtl\`, ${ttlS} s here), whatever the request turns out to be.
`;

writeResult('b2', { title: 'B2 — AWS calls per delivery', command: 'npm run build && node bench/b2-calls.mjs', markdown, targets, headline: targets.map((t) => `${t.name}: ${t.measured}`) });
process.stdout.write(markdown);
