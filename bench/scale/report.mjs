// Turns the model's results into what people read: Markdown tables and findings for BENCHMARKS.md
// and SCALING.md, and the SVG charts under docs/charts/. Every number in them comes from this run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { table } from '../lib/common.mjs';
import { LIMITS, assumptions } from './aws-limits.mjs';
import { barChart, lineChart } from './svg.mjs';

export const CHART_DIR = 'docs/charts';

/** A duration for a reader: seconds below two minutes, then minutes, then hours. */
export function duration(seconds) {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 1) return `${(seconds * 1000).toFixed(0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(seconds < 600 ? 1 : 0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const count = (n) => n.toLocaleString('en-US');
const pct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;
const slowOf = (r) => r.processors.reduce((a, b) => (b.handlerMedianMs > a.handlerMedianMs ? b : a));
const fastOf = (r) => r.processors.reduce((a, b) => (b.handlerMedianMs < a.handlerMedianMs ? b : a));

export function scenarioTable(results) {
  const rows = results.map((r) => {
    const slow = slowOf(r);
    const fast = fastOf(r);
    const refused = Object.entries(r.front.byStatus).filter(([k]) => !k.startsWith('200')).map(([k, n]) => `${count(n)} × ${k}`).join(', ') || '0';
    return [
      r.label, r.change, refused, duration(r.front.lastAcceptedS), `${r.verifier.peakConcurrency} / ${r.lambda.peakAccountConcurrency}`,
      count(r.dynamodb.throttled),
      count(slow.peakBacklog), `${duration(slow.e2eS.p50)} / ${duration(slow.e2eS.p99)}`, duration(slow.drainedAtS),
      `${duration(fast.e2eS.p50)} / ${duration(fast.e2eS.p99)}`,
      `${sum(r.processors, 'lost')} / ${sum(r.processors, 'ranTwice')} / ${sum(r.processors, 'deadLettered')}`,
    ];
  });
  return table(
    ['scenario', 'props (difference from the construct\'s defaults)', 'refused deliveries (retried by the sender)', 'last event accepted', 'peak concurrency: verifier / account', 'DynamoDB throttled writes', 'crm-sync (slow): peak backlog', 'crm-sync end-to-end p50 / p99', 'crm-sync drained', 'fulfilment (fast) end-to-end p50 / p99', 'lost / run twice / dead-lettered'],
    rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

const sum = (list, key) => list.reduce((s, x) => s + x[key], 0);

export function burstDescription(load, plan) {
  return `${count(load.deliveries)} Stripe deliveries in ${load.windowS} s (Poisson arrivals), ${(load.duplicateShare * 100).toFixed(0)} % of them re-deliveries of an event already sent (${count(plan.redeliveries)} here, leaving ${count(plan.distinctEvents)} distinct events), customers drawn from a Zipf distribution with s = ${load.zipfS} over N = ${count(load.customers)} (${plan.groups} customers appear; the largest sends ${count(plan.largestGroup)} events, ${((plan.largestGroup / plan.distinctEvents) * 100).toFixed(0)} %), sent from ${load.senderIps} source IPs; a refused delivery is sent again after ${load.retry.firstS} s, doubling, ±${(load.retry.jitter * 100).toFixed(0)} % (an assumption: Stripe does not publish its intervals). Two processors take every event: \`fulfilment\` (handler median 40 ms) and \`crm-sync\`, the slow one (median 800 ms, a third-party API).`;
}

/** The findings a reader should take away, written from this run's numbers. */
export function findings(results) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const out = [];
  const d = by.defaults;
  if (d) {
    const slow = slowOf(d);
    out.push(`**The front door.** With the defaults the stage throttle (100 requests/s, burst 200) refuses ${count(d.front.stageThrottled)} of the ${count(d.deliveries)} deliveries with 429. Nothing is lost: Stripe sends them again, and the last event is accepted ${duration(d.front.lastAcceptedS)} after the burst began — a time set by the provider's back-off, not by AWS. \`throttle: { rateLimit: 250, burstLimit: 500 }\` refuses ${count(by.throttle?.front.refused ?? 0)}. The verifier is never the limit: it starts ${d.verifier.coldStarts} execution environments, all within the first ${duration(d.verifier.lastColdStartS)} while the first cold starts overlap, and during the burst has a median of ${d.verifier.busyDuringBurst} busy at a time.`);
    out.push(`**The slow processor is the limit.** At \`maxConcurrency: 5\` \`crm-sync\` works through about 5 events/s while ${Math.round(d.distinctEvents / 60)} arrive each second; its queue peaks at ${count(slow.peakBacklog)} messages and drains after ${duration(slow.drainedAtS)} (end-to-end p99 ${duration(slow.e2eS.p99)}). The fast processor keeps up within ${duration(fastOf(d).e2eS.p99)} (p99).`);
  }
  if (by.concurrency && d) {
    const c = slowOf(by.concurrency);
    out.push(`**\`maxConcurrency\` moves the median, not the tail.** At 50, \`crm-sync\`'s p50 falls to ${duration(c.e2eS.p50)} but its p99 stays at ${duration(c.e2eS.p99)}: the largest customer's ${count(by.concurrency.largestGroup)} events are one message group, which FIFO hands out one batch at a time — about ${count(by.concurrency.largestGroup)} × 1 s in a row, whatever the concurrency.`);
  }
  if (by.batch && by.concurrency) {
    const b = slowOf(by.batch);
    out.push(`**\`batchSize: 10\`** cuts \`crm-sync\`'s invocations from ${count(slowOf(by.concurrency).invocations)} to ${count(b.invocations)} but drains only ${duration(slowOf(by.concurrency).drainedAtS - b.drainedAtS)} sooner: the handler's time is per message, and a batch of one group is still processed in order.`);
  }
  if (by.groups) {
    const g = slowOf(by.groups);
    out.push(`**The message group is the lever.** A group per payment (\`messageGroupPath\`, e.g. \`data.object.id\`, when per-customer order is not needed) spreads the same work over ${count(by.groups.groups)} groups: \`crm-sync\`'s p99 drops to ${duration(g.e2eS.p99)} and it drains at ${duration(g.drainedAtS)}.`);
  }
  if (by.account) {
    const a = by.account;
    out.push(`**Keeping up** takes concurrency in proportion to arrivals × handler time: with \`maxConcurrency: 1000\` (and groups per payment) \`crm-sync\` peaks at ${slowOf(a).peakConcurrency} concurrent invocations and its p99 is ${duration(slowOf(a).e2eS.p99)}; the account's 1,000 concurrent executions are ${a.lambda.peakAccountConcurrency} used at the peak.`);
  }
  if (by.failures && by['failures-vt']) {
    const f = slowOf(by.failures);
    const v = slowOf(by['failures-vt']);
    out.push(`**A failure blocks its group for the visibility timeout.** If 2 % of \`crm-sync\`'s runs fail (${count(f.failures)} failures), the default \`visibilityTimeout\` (6 × 30 s = 180 s) holds each failed message's group for 3 minutes; the largest customer's group (${count(by.failures.largestGroup)} events) meets about ${Math.round(by.failures.largestGroup * 0.02)} of them, and the p99 becomes ${duration(f.e2eS.p99)}. \`visibilityTimeout: Duration.seconds(35)\` brings it to ${duration(v.e2eS.p99)} (synth warns below 6 × the timeout: a run longer than the visibility timeout would be handed out twice).`);
  }
  if (by.flood) {
    const fl = by.flood;
    out.push(`**Ten times the burst** (100,000 deliveries in a minute, stage throttle 2,000/s, groups per payment, \`maxConcurrency: 1000\`) meets the account-level limits: Lambda's 1,000 concurrent executions are all in use (peak ${fl.lambda.peakAccountConcurrency}), so the verifier is throttled ${count(fl.verifier.lambdaThrottles)} times (a 5xx to Stripe) and the mappings ${count(sum(fl.processors, 'throttledInvokes'))} times; the new table's warm throughput (4,000 writes/s) throttles ${count(fl.dynamodb.throttled)} writes (the SDK retries most; ${count(fl.verifier.downstreamFailures)} deliveries end in 503). Every event still completes: p99 ${duration(slowOf(fl).e2eS.p99)}.`);
  }
  out.push(sqsFinding(results));
  if (by['flood-waf']) {
    const w = by['flood-waf'];
    out.push(`**With \`waf: {}\`** the same flood meets the per-IP rule first: ${load12(w)} and WAF answers ${count(w.front.wafBlocked)} requests with 429; as the model counts the blocked requests against the address too, the provider's retries keep it blocked and the last event is accepted only after ${duration(w.front.lastAcceptedS)}. For a provider's burst, raise \`waf.rateLimit\` well above its peak per address.`);
  }
  return out.map((f) => `- ${f}`).join('\n');
}

/** The SQS request rates the busiest scenario reached, against the queue's and the group's limits. */
function sqsFinding(results) {
  let queue = { rate: 0 };
  let group = { rate: 0 };
  for (const r of results) {
    for (const p of r.processors) {
      if (p.sqs.peakSendsPerS > queue.rate) queue = { rate: p.sqs.peakSendsPerS, label: r.label };
      if (p.sqs.peakGroupSendsPerS > group.rate) group = { rate: p.sqs.peakGroupSendsPerS, label: r.label };
    }
  }
  return `**SQS's request limits never bind here.** The busiest queue takes ${count(queue.rate)} SendMessage/s at its peak ("${queue.label}"), against 70,000 per queue; the busiest message group ${count(group.rate)}/s ("${group.label}"), against 300. FIFO's limit on a webhook endpoint is the one-batch-per-group rule on the consuming side, not the request rates.`;
}

function load12(r) {
  return `12 source addresses carry about ${count(Math.round(r.deliveries / 12))} deliveries each in a minute, against 3,000 per 5 minutes`;
}

export function loadTable(sweep) {
  const configs = [...new Set(sweep.map((s) => s.config))];
  const loads = [...new Set(sweep.map((s) => s.deliveries))];
  const rows = loads.map((n) => [count(n), ...configs.flatMap((c) => {
    const r = sweep.find((s) => s.deliveries === n && s.config === c).result;
    return [duration(r.front.lastAcceptedS), duration(slowOf(r).e2eS.p99), duration(fastOf(r).e2eS.p99)];
  })]);
  return table(['deliveries in one minute', ...configs.flatMap((c) => [`${c}: last accepted`, `${c}: crm-sync p99`, `${c}: fulfilment p99`])], rows, ['r', ...configs.flatMap(() => ['r', 'r', 'r'])]);
}

export function calibrationTable(cal) {
  const rows = cal.rows.filter((r) => r.error !== undefined).map((r) => [
    String(r.concurrency), r.figure, fmtValue(r.measured), fmtValue(r.predicted), pct(r.error), r.fitted ? 'fitted' : '**predicted**',
  ]);
  return table(['concurrency', 'figure', 'measured (B5)', 'model', 'error', ''], rows, ['r', 'l', 'r', 'r', 'r', 'l']);
}

export function utilisationLine(cal) {
  return cal.rows.filter((r) => r.key === 'utilisation').map((r) => `c=${r.concurrency}: moto ${(r.moto * 100).toFixed(0)} % (${(r.emptyReceives * 100).toFixed(0)} % of its calls empty receives), event loop ${(r.node * 100).toFixed(0)} %`).join('; ');
}

const fmtValue = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function checksTable(checks) {
  const c = checks;
  return table(['check', 'closed form / invariant', 'simulated', ''], [
    ['M/M/1 mean wait, ρ = 0.8', `${c.mm1.expectedMs.toFixed(1)} ms`, `${c.mm1.simulatedMs.toFixed(1)} ms (${pct(c.mm1.error)})`, ok(Math.abs(c.mm1.error) <= 0.05)],
    ['M/D/1 mean wait, ρ = 0.8', `${c.md1.expectedMs.toFixed(1)} ms`, `${c.md1.simulatedMs.toFixed(1)} ms (${pct(c.md1.error)})`, ok(Math.abs(c.md1.error) <= 0.05)],
    ['token bucket 100/s, burst 200, 60 s, offered 2,000/s', `burst + rate × t = ${count(c.tokenBucket.expected)}`, count(c.tokenBucket.admitted), ok(c.tokenBucket.admitted === c.tokenBucket.expected)],
    ['DynamoDB hot key: 1,500 writes/s to one item for 10 s, no retries', `1,000 (one second of burst) + 1,000/s × t = ${count(c.hotKey.expected)}`, `${count(c.hotKey.succeeded)} succeeded, ${count(c.hotKey.throttled)} throttled`, ok(c.hotKey.succeeded === c.hotKey.expected)],
    ['Lambda scaling: 3,000 requests at once, then 3,000 more 10 s later', '1,000 new environments, then 1,000 more', `${count(c.lambdaScaling.atStart)}, then ${count(c.lambdaScaling.afterTenSeconds)}`, ok(c.lambdaScaling.atStart === 1000 && c.lambdaScaling.afterTenSeconds === 1000)],
    ['Zipf s = 1.1, N = 1,000: share of the top customer', `${(c.zipf.expected * 100).toFixed(2)} %`, `${(c.zipf.observed * 100).toFixed(2)} % of ${count(c.zipf.draws)} draws`, ok(Math.abs(c.zipf.observed - c.zipf.expected) < 0.005)],
    ['FIFO: 20,000 messages, 300 groups, 40 consumers, 20 % of records fail (and the rest of their batch)', 'in order per group, one batch per group, each handled once or dead-lettered', `${c.fifo.orderViolations} out of order, ${c.fifo.concurrentViolations} concurrent, ${c.fifo.handledTwice} twice, ${c.fifo.lost} lost (${count(c.fifo.deadLettered)} dead-lettered)`, ok(c.fifo.orderViolations + c.fifo.concurrentViolations + c.fifo.handledTwice + c.fifo.lost === 0)],
    ['endpoint model, same seed twice / another seed', 'identical / different', `${c.endpoint.sameSeedIdentical ? 'identical' : 'DIFFERENT'} / ${c.endpoint.otherSeedDiffers ? 'different' : 'IDENTICAL'}`, ok(c.endpoint.sameSeedIdentical && c.endpoint.otherSeedDiffers)],
  ], ['l', 'l', 'l', 'l']);
}

const ok = (b) => (b ? '✅' : '❌');

export function limitsTable() {
  return table(['limit', 'default', 'source', 'what moves it'], LIMITS.map((l) => [l.limit, l.value, linkify(l.source), l.moves]), ['l', 'l', 'l', 'l']);
}

export function assumptionsTable(aws) {
  return table(['figure', 'value used'], assumptions(aws), ['l', 'l']);
}

function linkify(source) {
  return source.split(', ').map((s) => (s.startsWith('http') ? `[${s.replace(/^https:\/\/(docs\.aws\.amazon\.com\/)?/, '').replace(/\.html$/, '')}](${s})` : `\`${s}\``)).join(', ');
}

/** Writes the charts; returns their repository paths. */
export function writeCharts(root, { results, calibration, sweep }) {
  const files = {
    backlog: `${CHART_DIR}/scale-backlog.svg`,
    latency: `${CHART_DIR}/scale-latency.svg`,
    load: `${CHART_DIR}/scale-load.svg`,
    calibrationLatency: `${CHART_DIR}/calibration-latency.svg`,
    calibrationThroughput: `${CHART_DIR}/calibration-throughput.svg`,
  };
  mkdirSync(`${root}/${CHART_DIR}`, { recursive: true });
  const write = (key, svg) => writeFileSync(`${root}/${files[key]}`, svg);
  const burst = results.filter((r) => ['defaults', 'throttle', 'concurrency', 'batch', 'groups', 'account'].includes(r.name));
  const slowIndex = (r) => r.processors.indexOf(slowOf(r));
  const defaults = results.find((r) => r.name === 'defaults');
  write('backlog', lineChart({
    title: 'Backlog of the slow processor (crm-sync) after 10,000 deliveries in one minute',
    subtitle: 'Messages in its FIFO queue, visible or in flight; dashed: deliveries refused and waiting for Stripe\'s retry (defaults)',
    xLabel: 'minutes since the burst began', yLabel: 'messages',
    series: [
      ...burst.map((r) => ({ name: r.label, points: downsample(r.series.tS.map((t, i) => [t / 60, r.series.backlog[slowIndex(r)][i]])) })),
      ...(defaults ? [{ name: 'waiting at Stripe (defaults)', dashed: true, color: '#777', points: downsample(defaults.series.tS.map((t, i) => [t / 60, defaults.series.waitingAtSender[i]])) }] : []),
    ],
  }));
  write('latency', barChart({
    title: 'End-to-end latency per scenario (first delivery attempt → processor done)',
    subtitle: 'Log scale, seconds; the scenarios of the table, in its order (10× = 100,000 deliveries in a minute)',
    yLabel: 'seconds', yLog: true,
    categories: results.map((r) => r.short),
    series: [
      { name: 'crm-sync p50', values: results.map((r) => slowOf(r).e2eS.p50) },
      { name: 'crm-sync p99', values: results.map((r) => slowOf(r).e2eS.p99) },
      { name: 'fulfilment p99', values: results.map((r) => fastOf(r).e2eS.p99) },
    ],
  }));
  const configs = [...new Set(sweep.map((s) => s.config))];
  write('load', lineChart({
    title: 'Latency against load: the burst size, delivered in one minute',
    subtitle: 'p99 end-to-end per processor; solid: crm-sync (slow), dashed: fulfilment (fast). Log–log.',
    xLabel: 'deliveries in one minute', yLabel: 'p99 end-to-end, seconds', xLog: true, yLog: true,
    series: configs.flatMap((c, i) => {
      const points = sweep.filter((s) => s.config === c);
      return [
        { name: `${c}: crm-sync`, color: ['#0072B2', '#D55E00', '#009E73'][i], markers: true, points: points.map((s) => [s.deliveries, slowOf(s.result).e2eS.p99]) },
        { name: `${c}: fulfilment`, color: ['#0072B2', '#D55E00', '#009E73'][i], dashed: true, points: points.map((s) => [s.deliveries, fastOf(s.result).e2eS.p99]) },
      ];
    }),
  }));
  const level = (key, which) => calibration.rows.filter((r) => r.key === key).map((r) => [r.concurrency, r[which]]);
  const curve = (key) => calibration.curve.map((r) => [r.concurrency, r[key]]);
  /** Measured points (B5) against the model's curve, two figures a chart: the first solid, the second dashed. */
  const calibrationChart = (title, subtitle, yLabel, [first, second]) => lineChart({
    title: `Calibration: the harness model against B5, ${title}`, subtitle,
    xLabel: 'concurrent requests (log scale)', yLabel, xLog: true,
    series: [
      { name: `measured ${first.label}`, markersOnly: true, color: first.color, points: level(first.key, 'measured') },
      { name: `model ${first.label}`, color: first.color, points: curve(first.key) },
      { name: `measured ${second.label}`, markersOnly: true, hollow: true, color: second.color, points: level(second.key, 'measured') },
      { name: `model ${second.label}`, color: second.color, dashed: true, points: curve(second.key) },
    ],
  });
  write('calibrationLatency', calibrationChart('latency',
    'Points: B5. Lines: the model, fitted at concurrency 1 and 32 (p50); c = 8 and every p99 are predictions', 'ms per request',
    [{ key: 'p50', label: 'p50', color: '#0072B2' }, { key: 'p99', label: 'p99', color: '#D55E00' }]));
  write('calibrationThroughput', calibrationChart('throughput',
    'Points: B5. Lines: the model, fitted at concurrency 1 and 32; c = 8 is a prediction', 'events/s',
    [{ key: 'acceptedPerS', label: 'accepted', color: '#0072B2' }, { key: 'processedPerS', label: 'processed', color: '#009E73' }]));
  return files;
}

/** At most `max` points, evenly spaced, always keeping the last. */
function downsample(points, max = 240) {
  if (points.length <= max) return points;
  const step = points.length / max;
  const out = [];
  for (let i = 0; i < max; i++) out.push(points[Math.floor(i * step)]);
  out.push(points.at(-1));
  return out;
}

/**
 * Rewrites the generated sections of a hand-written document: everything between
 * `<!-- b6:NAME -->` and `<!-- /b6:NAME -->` is replaced, everything else is left as written.
 */
export function replaceGeneratedSections(file, sections) {
  let text = readFileSync(file, 'utf8');
  for (const [name, body] of Object.entries(sections)) {
    const open = `<!-- b6:${name} -->`;
    const close = `<!-- /b6:${name} -->`;
    const start = text.indexOf(open);
    const end = text.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${file} has no generated section "${name}" (${open} … ${close})`);
    text = `${text.slice(0, start + open.length)}\n${body.trim()}\n${text.slice(end)}`;
  }
  writeFileSync(file, text);
}
