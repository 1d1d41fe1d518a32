// Checks of the simulator against results known in closed form. They are correctness checks of the
// model (fixed seeds, tolerances from the sample size), not measurements: b6 reports them, and
// test/bench/scale-model.test.ts asserts them.
import { DynamoTable } from './dynamodb.mjs';
import { Simulation } from './engine.mjs';
import { simulateEndpoint } from './endpoint-model.mjs';
import { createRandom, zipfSampler } from './random.mjs';
import { LambdaAccount, LambdaFunction } from './lambda-pool.mjs';
import { FifoQueue } from './sqs-fifo.mjs';
import { Station } from './station.mjs';
import { TokenBucket } from './token-bucket.mjs';

/**
 * A single-server FCFS queue with Poisson arrivals. Exponential service (M/M/1) has mean wait in
 * queue ρ/(μ−λ); deterministic service (M/D/1) half the M/M/1 value, ρ/(2μ(1−ρ)).
 */
export function singleServerWait({ service = 'exponential', arrivalPerS = 80, servicePerS = 100, jobs = 200_000, seed = 7 } = {}) {
  const sim = new Simulation();
  const random = createRandom(seed);
  const station = new Station(sim, { name: service });
  const meanServiceMs = 1000 / servicePerS;
  const warmup = Math.floor(jobs / 10);
  let measured = 0;
  let totalWait = 0;
  let arrivals = 0;
  const arrive = () => {
    const index = arrivals++;
    const serviceMs = service === 'exponential' ? random.exponential(meanServiceMs) : meanServiceMs;
    station.submit(serviceMs, (waitMs) => {
      // The first jobs find an empty system: leave them out so the mean is the steady state's.
      if (index >= warmup) {
        totalWait += waitMs;
        measured++;
      }
    });
    if (arrivals < jobs) sim.after(random.exponential(1000 / arrivalPerS), arrive);
  };
  sim.at(0, arrive);
  sim.run();
  const rho = arrivalPerS / servicePerS;
  const mm1 = (rho / (servicePerS - arrivalPerS)) * 1000;
  const expected = service === 'exponential' ? mm1 : mm1 / 2;
  const simulated = totalWait / measured;
  return { service, rho, expectedMs: expected, simulatedMs: simulated, error: simulated / expected - 1 };
}

/** Offered far more than it allows, a token bucket admits burst + rate × t, to the request. */
export function tokenBucketAdmissions({ ratePerS = 100, burst = 200, durationS = 60, offeredPerMs = 2 } = {}) {
  const bucket = new TokenBucket({ ratePerS, burst });
  let admitted = 0;
  for (let t = 0; t <= durationS * 1000; t++) {
    for (let k = 0; k < offeredPerMs; k++) if (bucket.take(t)) admitted++;
  }
  return { admitted, expected: burst + ratePerS * durationS };
}

/**
 * A hot key: 1,500 writes/s to one item for 10 s, no SDK retries. A partition takes 1,000 writes/s
 * (plus one second of burst), so exactly 1,000 + 1,000 × 10 succeed and the rest are throttled.
 */
export function hotKey({ offeredPerS = 1_500, durationS = 10 } = {}) {
  const sim = new Simulation();
  const table = new DynamoTable(sim, createRandom(1), {
    partitions: 4, partitionWritesPerS: 1_000, tableWarmWritesPerS: 40_000, writeMs: { median: 5, sigma: 0 }, maxAttempts: 1, retry: { throttlingBaseMs: 1000, maxDelayMs: 20_000 },
  });
  let ok = 0;
  let refused = 0;
  const total = offeredPerS * durationS;
  for (let i = 0; i < total; i++) sim.at((i * 1000) / offeredPerS, () => table.write('claim#hot', (success) => (success ? ok++ : refused++)));
  sim.run();
  const lastOfferMs = ((total - 1) * 1000) / offeredPerS;
  return { offered: total, succeeded: ok, throttled: refused, expected: 1_000 + Math.floor((lastOfferMs / 1000) * 1_000 + 1e-9) };
}

/**
 * Lambda's scaling rate: 3,000 requests at once against an account limit of 10,000 get 1,000 new
 * environments at once (the rest throttled); 10 s later, 1,000 more.
 */
export function lambdaScaling() {
  const sim = new Simulation();
  const fn = new LambdaFunction(sim, createRandom(1), { name: 'f', account: new LambdaAccount({ concurrency: 10_000 }), newEnvironmentsPer10s: 1_000, coldStartMs: { median: 100, sigma: 0 } });
  const burst = (n) => Array.from({ length: n }, () => fn.acquire()).filter(Boolean).length;
  const atStart = burst(3_000);
  let afterTenSeconds = 0;
  sim.at(10_000, () => {
    afterTenSeconds = burst(3_000);
  });
  sim.run();
  return { atStart, afterTenSeconds, environments: fn.environments, throttles: fn.throttles };
}

/** The empirical share of the most frequent Zipf rank against its exact probability. */
export function zipfTopShare({ n = 1000, s = 1.1, draws = 200_000, seed = 3 } = {}) {
  const sampler = zipfSampler(n, s, createRandom(seed));
  let top = 0;
  for (let i = 0; i < draws; i++) if (sampler.draw() === 1) top++;
  return { expected: sampler.share(1), observed: top / draws, draws };
}

/**
 * Many consumers on one FIFO queue, random processing times, some batches failing: within every
 * message group messages must be handled in the order sent, never two of a group at once, and every
 * message must end handled exactly once or dead-lettered.
 */
export function fifoOrdering({ messages = 20_000, groups = 300, consumers = 40, batchSize = 3, failureRate = 0.2, maxReceiveCount = 3, seed = 11 } = {}) {
  const sim = new Simulation();
  const random = createRandom(seed);
  const queue = new FifoQueue(sim, random.fork('queue'), {
    name: 'check', visibilityTimeoutMs: 2_000, maxReceiveCount, queueTransactionsPerS: 1e9, groupTransactionsPerS: 1e9,
    deduplicationWindowMs: 300_000, sendMs: { median: 5, sigma: 0.3 }, maxAttempts: 3, retry: { throttlingBaseMs: 1000, maxDelayMs: 20_000 },
  });
  const zipf = zipfSampler(groups, 1.2, random);
  const sentOrder = new Map();
  const handledOrder = new Map();
  const handledCount = new Map();
  const busyGroups = new Set();
  let concurrentViolations = 0;
  let active = 0;
  const pump = () => {
    while (active < consumers && queue.hasReady()) {
      const batch = queue.receive(batchSize);
      if (batch.length === 0) return;
      active++;
      for (const group of new Set(batch.map((m) => m.group))) {
        if (busyGroups.has(group)) concurrentViolations++;
        busyGroups.add(group);
      }
      handle(batch, 0);
    }
  };
  const handle = (batch, index) => {
    if (index === batch.length) return finish(batch, batch.length);
    if (random.chance(failureRate)) return sim.after(random.exponential(20), () => finish(batch, index));
    sim.after(random.exponential(20), () => {
      const m = batch[index];
      if (!handledCount.has(m.eventId)) {
        const order = handledOrder.get(m.group) ?? [];
        order.push(m.eventId);
        handledOrder.set(m.group, order);
      }
      handledCount.set(m.eventId, (handledCount.get(m.eventId) ?? 0) + 1);
      handle(batch, index + 1);
    });
  };
  const finish = (batch, succeeded) => {
    for (const group of new Set(batch.map((m) => m.group))) busyGroups.delete(group);
    const failed = batch.slice(succeeded);
    if (failed.length) queue.release(failed);
    queue.delete(batch.slice(0, succeeded));
    active--;
    pump();
  };
  queue.onReady = pump;
  for (let i = 0; i < messages; i++) {
    const eventId = `m${i}`;
    const group = `g${zipf.draw()}`;
    // FIFO order is the order SQS accepted the sends in: record it when each send returns.
    sim.at(i * 0.5, () => queue.send({ eventId, group }, () => {
      const order = sentOrder.get(group) ?? [];
      order.push(eventId);
      sentOrder.set(group, order);
    }));
  }
  sim.run();
  const dead = new Set(queue.deadLetters.map((m) => m.eventId));
  let orderViolations = queue.counts.orderViolations;
  for (const [group, handled] of handledOrder) {
    // Handled messages, with the dead-lettered ones left out of the sent order, must match it exactly.
    const expected = sentOrder.get(group).filter((id) => handledCount.has(id));
    if (expected.join() !== handled.join()) orderViolations++;
  }
  const handledTwice = [...handledCount.values()].filter((n) => n > 1).length;
  const neither = [...sentOrder.values()].flat().filter((id) => !handledCount.has(id) && !dead.has(id)).length;
  return { messages, handled: handledCount.size, deadLettered: dead.size, handledTwice, lost: neither, orderViolations, concurrentViolations, depthAtEnd: queue.depth };
}

/** A small burst through the whole endpoint model: twice with one seed, once with another. */
export function endpointDeterminism({ deliveries = 1_500, seed = 21 } = {}) {
  const scenario = (s) => ({
    name: 'check', seed: s,
    load: { deliveries, windowS: 10, duplicateShare: 0.3, customers: 50, zipfS: 1.1, senderIps: 3, groupBy: 'customer', retry: { firstS: 5, factor: 2, jitter: 0.25 } },
    props: {
      throttle: { rateLimit: 60, burstLimit: 20 },
      processors: [
        { name: 'a', handlerMs: { median: 30, sigma: 0.5 }, failureRate: 0.05, maxConcurrency: 4 },
        { name: 'b', handlerMs: { median: 200, sigma: 0.5 }, batchSize: 3, maxReceiveCount: 2, failureRate: 0.1 },
        // Runs past a 2 s timeout now and then: the whole batch comes back, completed records are absorbed.
        { name: 'c', handlerMs: { median: 400, sigma: 1.0 }, timeoutS: 2, batchSize: 2, maxReceiveCount: 3 },
      ],
    },
    aws: { lambda: { accountConcurrency: 12 } },
  });
  const digest = (r) => JSON.stringify({ front: r.front, processors: r.processors.map(({ sqs, ...p }) => p), dynamodb: r.dynamodb });
  const first = simulateEndpoint(scenario(seed));
  const again = simulateEndpoint(scenario(seed));
  const other = simulateEndpoint(scenario(seed + 1));
  return {
    finished: first.finished,
    sameSeedIdentical: digest(first) === digest(again),
    otherSeedDiffers: digest(first) !== digest(other),
    distinctEvents: first.distinctEvents,
    accepted: first.front.acceptedEvents,
    refused: first.front.refused,
    processors: first.processors.map((p) => ({ name: p.name, completions: p.completions, deadLettered: p.deadLettered, lost: p.lost, ranTwice: p.ranTwice, failures: p.failures, timeouts: p.timeouts, absorbed: p.absorbed, orderViolations: p.sqs.orderViolations })),
  };
}

/** Every check, as one JSON-able object (the jest test runs this in a child process). */
export function runAllChecks() {
  return {
    mm1: singleServerWait({ service: 'exponential' }),
    md1: singleServerWait({ service: 'deterministic' }),
    tokenBucket: tokenBucketAdmissions(),
    tokenBucketFractional: tokenBucketAdmissions({ ratePerS: 33.3, burst: 7, durationS: 30, offeredPerMs: 1 }),
    zipf: zipfTopShare(),
    hotKey: hotKey(),
    lambdaScaling: lambdaScaling(),
    fifo: fifoOrdering(),
    endpoint: endpointDeterminism(),
  };
}
