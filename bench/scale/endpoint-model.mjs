// The endpoint in AWS, end to end: provider → WAF / API Gateway → verifier Lambda (claim PutItem,
// one SendMessage per matched processor, mark UpdateItem) → one FIFO queue per processor → event
// source mapping → processor Lambda (record PutItem, handler, UpdateItem). `simulateEndpoint`
// runs one scenario to the end (every event processed by every processor, or dead-lettered) and
// returns what a reader needs: what was refused, backlog over time, latencies, and a conservation
// ledger that proves nothing was lost or run twice.
import { percentile } from '../lib/common.mjs';
import { awsDefaults } from './aws-limits.mjs';
import { DynamoTable } from './dynamodb.mjs';
import { Simulation } from './engine.mjs';
import { EventSourceMapping } from './event-source.mjs';
import { ApiGateway, WafRateRule } from './front-door.mjs';
import { LambdaAccount, LambdaFunction } from './lambda-pool.mjs';
import { createRandom } from './random.mjs';
import { Sender, planBurst } from './sender.mjs';
import { FifoQueue } from './sqs-fifo.mjs';

/** The construct's defaults for a processor (lib/processor.ts), and Lambda's for the function. */
export const PROCESSOR_DEFAULTS = { batchSize: 1, maxConcurrency: 5, maxReceiveCount: 5, timeoutS: 30, failureRate: 0 };

/** Nothing runs past this much simulated time; a scenario that has not finished by then says so. */
const HORIZON_MS = 48 * 3600_000;

export function simulateEndpoint(scenario) {
  const started = performance.now();
  const aws = mergeDeep(awsDefaults(), scenario.aws ?? {});
  const sim = new Simulation();
  const random = createRandom(scenario.seed ?? 1);
  const processors = scenario.props.processors.map((p) => withDefaults(p));
  const account = new LambdaAccount({ concurrency: aws.lambda.accountConcurrency });
  const table = new DynamoTable(sim, random.fork('dynamodb'), {
    partitions: Math.ceil(aws.dynamodb.tableWarmWritesPerS / aws.dynamodb.partitionWritesPerS),
    partitionWritesPerS: aws.dynamodb.partitionWritesPerS,
    tableWarmWritesPerS: aws.dynamodb.tableWarmWritesPerS,
    writeMs: aws.dynamodb.writeMs,
    maxAttempts: aws.dynamodb.maxAttempts,
    retry: aws.sdkRetry,
  });
  const ledger = new Ledger();
  const mappings = processors.map((processor) => {
    const queue = new FifoQueue(sim, random.fork(`queue:${processor.name}`), {
      name: processor.name,
      visibilityTimeoutMs: processor.visibilityTimeoutS * 1000,
      maxReceiveCount: processor.maxReceiveCount,
      queueTransactionsPerS: aws.sqs.queueTransactionsPerS,
      groupTransactionsPerS: aws.sqs.groupTransactionsPerS,
      deduplicationWindowMs: aws.sqs.deduplicationWindowMs,
      sendMs: aws.sqs.sendMs,
      maxAttempts: aws.sqs.maxAttempts,
      retry: aws.sdkRetry,
    });
    const fn = new LambdaFunction(sim, random.fork(`fn:${processor.name}`), {
      name: processor.name, account, newEnvironmentsPer10s: aws.lambda.newEnvironmentsPer10s, coldStartMs: aws.lambda.processorColdStartMs,
    });
    return new EventSourceMapping(sim, random.fork(`esm:${processor.name}`), { processor, queue, fn, table, aws, ledger });
  });
  const verifierFn = new LambdaFunction(sim, random.fork('fn:verifier'), {
    name: 'verifier', account, newEnvironmentsPer10s: aws.lambda.newEnvironmentsPer10s, coldStartMs: aws.lambda.verifierColdStartMs,
  });
  const waf = scenario.props.waf
    ? new WafRateRule(sim, { rateLimit: scenario.props.waf.rateLimit ?? 3000, windowMs: (scenario.props.waf.rateLimitWindowS ?? 300) * 1000, checkIntervalMs: aws.waf.checkIntervalMs })
    : undefined;
  const gateway = new ApiGateway(sim, random.fork('apigw'), {
    stage: { rateLimit: scenario.props.throttle?.rateLimit ?? 100, burstLimit: scenario.props.throttle?.burstLimit ?? 200 },
    account: { ratePerS: aws.apiGateway.accountRatePerS, burst: aws.apiGateway.accountBurst },
    overheadMs: aws.apiGateway.overheadMs,
    waf,
  });
  const verifier = new Verifier(sim, random.fork('verifier'), { fn: verifierFn, table, queues: mappings.map((m) => m.queue), aws });
  const plan = planBurst(random.fork('burst'), scenario.load);
  const sender = new Sender(sim, random.fork('sender'), { load: scenario.load, gateway, deliver: (event, reply) => verifier.handle(event, reply) });
  sender.start(plan);

  const finished = () => sender.waiting === 0 && plan.events.every((e) => e.acceptedMs !== undefined) && mappings.every((m) => m.queue.depth === 0 && m.active === 0);
  const series = sampleEverySecond(sim, { mappings, sender, verifierFn, account, finished, lastArrivalMs: plan.deliveries.at(-1)?.atMs ?? 0 });
  sim.run(HORIZON_MS);

  return summarise({ scenario, processors, plan, sim, sender, gateway, verifierFn, account, table, mappings, ledger, series, verifier, finished: finished(), wallMs: performance.now() - started });
}

function withDefaults(processor) {
  const merged = { ...PROCESSOR_DEFAULTS, ...processor };
  // The construct's default visibility timeout: six times the function's timeout.
  merged.visibilityTimeoutS ??= 6 * merged.timeoutS;
  return merged;
}

/** The verifier's accept path (lambda/verifier/handler.ts), as calls and their outcomes. */
class Verifier {
  #claims = new Map();

  constructor(sim, random, { fn, table, queues, aws }) {
    Object.assign(this, { sim, random, fn, table, queues, aws });
    this.counts = { accepted: 0, recovered: 0, duplicates: 0, downstreamFailures: 0, throttled: 0 };
  }

  handle(event, reply) {
    const lease = this.fn.acquire();
    if (!lease) {
      this.counts.throttled++;
      // API Gateway answers a throttled Lambda integration with a 5xx; the provider retries it like a 429.
      return reply(502, 'lambda-throttle');
    }
    const answer = (status, kind) => {
      this.fn.release();
      reply(status, kind);
    };
    this.sim.after(lease.coldStartMs + this.aws.lambda.invokeOverheadMs + this.aws.lambda.verifierComputeMs, () => this.#claim(event, answer));
  }

  #claim(event, answer) {
    this.table.write(`claim#${event.id}`, (ok) => {
      if (!ok) return this.#downstream(answer);
      const state = this.#claims.get(event.id);
      if (state === 'enqueued') {
        this.counts.duplicates++;
        return answer(200, 'duplicate');
      }
      // A pending claim is an earlier attempt that did not finish: send again (SQS deduplicates).
      if (state === 'pending') this.counts.recovered++;
      this.#claims.set(event.id, 'pending');
      this.#enqueue(event, answer);
    });
  }

  #enqueue(event, answer) {
    let outstanding = this.queues.length;
    let failed = false;
    for (const queue of this.queues) {
      queue.send({ eventId: event.id, group: event.group }, (result) => {
        failed ||= result === 'failed';
        if (--outstanding > 0) return;
        if (failed) return this.#downstream(answer);
        this.#mark(event, answer);
      });
    }
  }

  #mark(event, answer) {
    this.table.write(`claim#${event.id}`, (ok) => {
      if (!ok) return this.#downstream(answer);
      this.#claims.set(event.id, 'enqueued');
      this.counts.accepted++;
      answer(200, 'accepted');
    });
  }

  #downstream(answer) {
    // The claim stays as it is: the provider's retry finishes the event.
    this.counts.downstreamFailures++;
    answer(503, 'downstream');
  }
}

/** Which (processor, event) pairs completed, and when: the conservation check reads it. */
class Ledger {
  #completed = new Map();

  #of(processor) {
    let map = this.#completed.get(processor);
    if (!map) {
      map = new Map();
      this.#completed.set(processor, map);
    }
    return map;
  }

  isCompleted(processor, eventId) {
    return this.#of(processor).has(eventId);
  }

  complete(processor, eventId, nowMs) {
    const entry = this.#of(processor).get(eventId);
    if (entry) entry.runs++;
    else this.#of(processor).set(eventId, { runs: 1, atMs: nowMs });
  }

  get(processor, eventId) {
    return this.#of(processor).get(eventId);
  }
}

function sampleEverySecond(sim, { mappings, sender, verifierFn, account, finished, lastArrivalMs }) {
  const series = { tS: [], backlog: mappings.map(() => []), waitingAtSender: [], verifierConcurrency: [], accountConcurrency: [] };
  const sample = () => {
    series.tS.push(sim.now / 1000);
    mappings.forEach((m, i) => series.backlog[i].push(m.queue.depth));
    series.waitingAtSender.push(sender.waiting);
    series.verifierConcurrency.push(verifierFn.busy);
    series.accountConcurrency.push(account.inUse);
    if (sim.now < lastArrivalMs || !finished()) sim.after(1000, sample);
  };
  sim.at(0, sample);
  return series;
}

function summarise({ scenario, processors, plan, sim, sender, gateway, verifierFn, account, table, mappings, ledger, series, verifier, finished, wallMs }) {
  const events = plan.events;
  const accepted = events.filter((e) => e.acceptedMs !== undefined);
  const acceptLatencyS = accepted.map((e) => (e.acceptedMs - e.firstAttemptMs) / 1000);
  const perProcessor = mappings.map((m, i) => {
    const name = processors[i].name;
    const deadLettered = new Set(m.queue.deadLetters.map((d) => d.eventId));
    const latencies = [];
    let lastCompletionMs = 0;
    let lost = 0;
    let ranTwice = 0;
    let dead = 0;
    for (const event of accepted) {
      const entry = ledger.get(name, event.id);
      if (entry) {
        if (entry.runs > 1) ranTwice++;
        latencies.push((entry.atMs - event.firstAttemptMs) / 1000);
        lastCompletionMs = Math.max(lastCompletionMs, entry.atMs);
      } else if (deadLettered.has(event.id)) {
        dead++;
      } else if (finished) {
        // Accepted (200), yet neither run nor dead-lettered, with nothing left in flight: lost.
        lost++;
      }
    }
    return {
      name,
      props: { batchSize: processors[i].batchSize, maxConcurrency: processors[i].maxConcurrency, visibilityTimeoutS: processors[i].visibilityTimeoutS, maxReceiveCount: processors[i].maxReceiveCount },
      handlerMedianMs: processors[i].handlerMs.median,
      completions: m.counts.completions,
      handlerRuns: m.counts.handlerRuns,
      absorbed: m.counts.absorbed,
      failures: m.counts.failures,
      timeouts: m.counts.timeouts,
      throttledInvokes: m.counts.throttledInvokes,
      invocations: m.counts.invocations,
      peakConcurrency: m.peakActive,
      peakBacklog: m.queue.peakDepth,
      drainedAtS: lastCompletionMs / 1000,
      deadLettered: dead,
      lost,
      ranTwice,
      sqs: { ...m.queue.counts },
      e2eS: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: maxOf(latencies) },
    };
  });
  const groupSizes = new Map();
  for (const e of events) groupSizes.set(e.group, (groupSizes.get(e.group) ?? 0) + 1);
  return {
    name: scenario.name,
    label: scenario.label ?? scenario.name,
    short: scenario.short ?? scenario.name,
    finished,
    deliveries: plan.deliveries.length,
    redeliveries: plan.deliveries.filter((d) => d.redelivery).length,
    distinctEvents: events.length,
    groups: groupSizes.size,
    largestGroup: maxOf([...groupSizes.values()]),
    front: {
      attempts: sender.counts.attempts,
      refused: sender.counts.refused,
      byStatus: Object.fromEntries([...sender.counts.byStatus].sort()),
      ...gateway.counts,
      peakWaitingAtSender: sender.peakWaiting,
      acceptedEvents: accepted.length,
      notAccepted: events.length - accepted.length,
      acceptLatencyS: { p50: percentile(acceptLatencyS, 50), p99: percentile(acceptLatencyS, 99), max: maxOf(acceptLatencyS) },
      lastAcceptedS: maxOf(accepted.map((e) => e.acceptedMs)) / 1000,
    },
    verifier: { ...verifier.counts, peakConcurrency: verifierFn.peak, coldStarts: verifierFn.coldStarts, lastColdStartS: (verifierFn.lastColdStartMs ?? 0) / 1000, busyDuringBurst: percentile(series.verifierConcurrency.filter((_, i) => series.tS[i] > 0 && series.tS[i] <= scenario.load.windowS), 50), lambdaThrottles: verifierFn.throttles },
    lambda: { peakAccountConcurrency: account.peak, accountLimit: account.limit },
    dynamodb: { ...table.counts },
    processors: perProcessor,
    series,
    simulatedS: sim.now / 1000,
    steps: sim.steps,
    wallMs,
  };
}

/** The largest value (NaN for none), without spreading a long array into arguments. */
function maxOf(values) {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

/** Merges plain objects (scenario overrides onto the AWS defaults); arrays and values replace. */
export function mergeDeep(base, override) {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isPlainObject(value) && isPlainObject(base[key]) ? mergeDeep(base[key], value) : value;
  }
  return out;
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
