// B5 — end-to-end throughput through the local harness: HTTP POST → API Gateway emulation → the
// verifier bundle (one emulated container per concurrent request) → moto (claim, sends, mark) →
// 200; and on to the processors through the SQS pollers. Reported, not targeted: the emulator
// (moto, one Python process) bounds it.
//
//   npm run build && node bench/b5-throughput.mjs
import { randomUUID } from 'node:crypto';
import { fmt, machine, median, options, percentile, progress, table, writeResult } from './lib/common.mjs';
import { STRIPE_SECRET, loadHarness, startEndpoint, stripeDelivery } from './lib/harness.mjs';

const opts = options();
const TRIALS = opts.rounds ?? 5;
const LEVELS = [1, 8, 32];
/** Requests per trial at each concurrency. */
const PER_TRIAL = opts.quick ? { 1: 10, 8: 24, 32: 64 } : { 1: 20, 8: 48, 32: 96 };

progress('B5: compiling the harness and starting moto');
const lib = await loadHarness();
// A failed record is retried after 1 s rather than the queue's visibility timeout (3 minutes here).
const env = await startEndpoint(lib, { poller: { retryVisibilityTimeoutSeconds: 1 } });
const { harness } = env;
const results = [];
try {
  await harness.setSigningSecret(STRIPE_SECRET);
  const delivery = () => stripeDelivery(lib, { id: `evt_${randomUUID().replace(/-/g, '')}`, nowMs: harness.clock.now(), customer: `cus_${randomUUID().slice(0, 8)}` });

  /** Sends `count` new events with `concurrency` in flight; returns per-request latencies and the elapsed time. */
  async function load(concurrency, count) {
    const latencies = [];
    const statuses = new Map();
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const d = delivery();
        const t0 = performance.now();
        const response = await harness.post({ body: d.body, headers: d.headers });
        latencies.push(performance.now() - t0);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }));
    const acceptedMs = performance.now() - start;
    await harness.waitForIdle({ timeoutMs: 120_000 });
    const processedMs = performance.now() - start;
    return { latencies, acceptedMs, processedMs, statuses, count };
  }

  const pollerTotals = () => {
    let failed = 0;
    let timeouts = 0;
    for (const processor of Object.values(harness.processors)) {
      failed += processor.poller?.stats.failedRecords ?? 0;
      timeouts += processor.poller?.stats.timeouts ?? 0;
    }
    return { failed, timeouts };
  };

  for (const concurrency of LEVELS) {
    progress(`B5: concurrency ${concurrency}: warm-up`);
    await load(concurrency, concurrency * 2); // starts the containers this level needs, fills the secret caches
    const before = pollerTotals();
    const trials = [];
    for (let t = 0; t < TRIALS; t++) {
      progress(`B5: concurrency ${concurrency}: trial ${t + 1}/${TRIALS}`);
      trials.push(await load(concurrency, PER_TRIAL[concurrency]));
    }
    const all = trials.flatMap((t) => t.latencies);
    const statuses = new Map();
    for (const t of trials) for (const [s, n] of t.statuses) statuses.set(s, (statuses.get(s) ?? 0) + n);
    results.push({
      concurrency,
      requests: all.length,
      acceptedPerS: median(trials.map((t) => (t.count * 1000) / t.acceptedMs)),
      processedPerS: median(trials.map((t) => (t.count * 1000) / t.processedMs)),
      p50: median(trials.map((t) => percentile(t.latencies, 50))),
      p99: median(trials.map((t) => percentile(t.latencies, 99))),
      p99All: percentile(all, 99),
      statuses: [...statuses].map(([s, n]) => `${s} ×${n}`).join(', '),
      containers: harness.verifier.environments,
      failedRecords: pollerTotals().failed - before.failed,
      timeouts: pollerTotals().timeouts - before.timeouts,
    });
  }
} finally {
  await env.stop();
}

const base = results[0];
const rows = results.map((r) => [
  String(r.concurrency), String(r.requests), r.statuses,
  r.acceptedPerS.toFixed(1), fmt.ratio(r.acceptedPerS / base.acceptedPerS),
  fmt.ms(r.p50), fmt.ratio(r.p50 / base.p50), fmt.ms(r.p99), fmt.ms(r.p99All),
  r.processedPerS.toFixed(1), `${r.failedRecords} / ${r.timeouts}`, String(r.containers),
]);
const headline = results.map((r) => `c=${r.concurrency}: ${r.acceptedPerS.toFixed(0)} events/s accepted, p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms`);
const markdown = `Each event is a new, correctly signed Stripe \`payment_intent.succeeded\` (both processors match: claim, two sends, mark — 4 moto calls — then each processor's idempotency record: 2 calls each). ${TRIALS} trials per concurrency level after a warm-up burst that starts the containers the level needs; rates are the median over trials, latencies (HTTP request to response, seen by the client) the median over trials of each trial's p50 and p99, and the p99 over all requests of the level.

${table(['concurrency', 'requests', 'responses', 'accepted events/s', '× c=1', 'p50 ms', '× c=1', 'p99 ms', 'p99 ms (all)', 'processed events/s', 'processor records failed / timed out', 'verifier containers'], rows, ['r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])}

- "× c=1": the ratio to the same figure at concurrency 1, the floor of this table (one request at a time: the emulator's latency for 4 AWS calls plus the verifier's work).
- "accepted events/s": requests answered 200 per second of the trial. "processed events/s": the same events counted until both processors had run every one of them (the harness is idle again). Processor functions have a 30 s timeout (as in the example app); a record that failed or timed out is retried after 1 s here (the harness shortens the visibility timeout), and the column counts them.
- Everything — the client, the API emulation, up to ${Math.max(...LEVELS)} verifier containers, the pollers and processors, and moto — shares this machine's ${machine().nproc} cores; moto is one Python process and serves every AWS call. The figures describe the harness, not Lambda: no target is set.
`;

writeResult('b5', { title: 'B5 — End-to-end throughput through the emulator', command: 'npm run build && node bench/b5-throughput.mjs', markdown, targets: [], headline, results });
process.stdout.write(markdown);
