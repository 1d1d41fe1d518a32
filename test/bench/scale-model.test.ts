import { runEsm } from '../support/esm';

/**
 * The scale model (bench/scale/, ES modules) against results known in closed form, and its
 * invariants: FIFO order per message group, and every accepted event processed once per processor
 * or dead-lettered. These check the model's correctness at fixed seeds; none of them times anything.
 * The modules run in a child process because ts-jest's CommonJS runtime cannot import them.
 */
interface Checks {
  mm1: { expectedMs: number; simulatedMs: number; error: number };
  md1: { expectedMs: number; simulatedMs: number; error: number };
  tokenBucket: { admitted: number; expected: number };
  tokenBucketFractional: { admitted: number; expected: number };
  zipf: { expected: number; observed: number };
  hotKey: { offered: number; succeeded: number; throttled: number; expected: number };
  lambdaScaling: { atStart: number; afterTenSeconds: number };
  fifo: { messages: number; handled: number; deadLettered: number; handledTwice: number; lost: number; orderViolations: number; concurrentViolations: number; depthAtEnd: number };
  endpoint: {
    finished: boolean; sameSeedIdentical: boolean; otherSeedDiffers: boolean; distinctEvents: number; accepted: number; refused: number;
    processors: Array<{ name: string; completions: number; deadLettered: number; lost: number; ranTwice: number; failures: number; timeouts: number; absorbed: number; orderViolations: number }>;
  };
}

interface ScenarioSummary {
  finished: boolean;
  distinctEvents: number;
  accepted: number;
  refused: number;
  largestGroup: number;
  processors: Array<{ name: string; completions: number; deadLettered: number; lost: number; ranTwice: number; orderViolations: number; drainedAtS: number; handlerRuns: number }>;
}

describe('scale model', () => {
  let checks: Checks;

  beforeAll(() => {
    checks = JSON.parse(runEsm(`import { runAllChecks } from './bench/scale/checks.mjs';
console.log(JSON.stringify(runAllChecks()));`)) as Checks;
  });

  it('an M/M/1 queue (ρ = 0.8) waits ρ/(μ−λ) on average, within 5 %', () => {
    expect(checks.mm1.expectedMs).toBeCloseTo(40, 6);
    expect(Math.abs(checks.mm1.error)).toBeLessThanOrEqual(0.05);
  });

  it('an M/D/1 queue (ρ = 0.8) waits half as long as M/M/1, within 5 %', () => {
    expect(checks.md1.expectedMs).toBeCloseTo(20, 6);
    expect(Math.abs(checks.md1.error)).toBeLessThanOrEqual(0.05);
  });

  it('a token bucket admits exactly burst + rate × t when offered more', () => {
    expect(checks.tokenBucket).toEqual({ admitted: 6200, expected: 6200 });
    expect(checks.tokenBucketFractional.admitted).toBe(Math.floor(checks.tokenBucketFractional.expected + 1e-9));
  });

  it('a hot DynamoDB key gets one partition\'s 1,000 writes/s and no more', () => {
    expect(checks.hotKey.succeeded).toBe(checks.hotKey.expected);
    expect(checks.hotKey.succeeded + checks.hotKey.throttled).toBe(checks.hotKey.offered);
  });

  it('Lambda adds at most 1,000 execution environments per 10 s', () => {
    expect(checks.lambdaScaling).toMatchObject({ atStart: 1000, afterTenSeconds: 1000 });
  });

  it('the Zipf sampler draws the top customer with its exact probability (±0.5 points)', () => {
    expect(Math.abs(checks.zipf.observed - checks.zipf.expected)).toBeLessThan(0.005);
  });

  it('FIFO: per group in order, never two batches of a group at once, each message handled once or dead-lettered', () => {
    const fifo = checks.fifo;
    expect(fifo).toMatchObject({ orderViolations: 0, concurrentViolations: 0, handledTwice: 0, lost: 0, depthAtEnd: 0 });
    expect(fifo.handled + fifo.deadLettered).toBe(fifo.messages);
    // The failure and dead-letter paths were exercised, not just the happy path.
    expect(fifo.deadLettered).toBeGreaterThan(0);
  });

  it('the endpoint model is deterministic for a seed and conserves events under throttling, failures, timeouts and redrive', () => {
    const e = checks.endpoint;
    expect(e).toMatchObject({ finished: true, sameSeedIdentical: true, otherSeedDiffers: true });
    expect(e.accepted).toBe(e.distinctEvents);
    expect(e.refused).toBeGreaterThan(0);
    for (const p of e.processors) {
      expect(p).toMatchObject({ lost: 0, ranTwice: 0, orderViolations: 0 });
      expect(p.completions + p.deadLettered).toBe(e.accepted);
    }
    // Every path was taken: failed runs, dead-lettering, timeouts, and completed records absorbing a redelivery.
    expect(e.processors.some((p) => p.failures > 0)).toBe(true);
    expect(e.processors.some((p) => p.deadLettered > 0)).toBe(true);
    expect(e.processors.some((p) => p.timeouts > 0)).toBe(true);
    expect(e.processors.some((p) => p.absorbed > 0)).toBe(true);
  });

  it('the 10,000-delivery burst with the defaults: every event accepted and processed once by each processor', () => {
    const summary = JSON.parse(runEsm(`import { simulateEndpoint } from './bench/scale/endpoint-model.mjs';
import { scenarios } from './bench/scale/scenarios.mjs';
const r = simulateEndpoint(scenarios().find((s) => s.name === 'defaults'));
console.log(JSON.stringify({
  finished: r.finished, distinctEvents: r.distinctEvents, accepted: r.front.acceptedEvents, refused: r.front.refused, largestGroup: r.largestGroup,
  processors: r.processors.map((p) => ({ name: p.name, completions: p.completions, deadLettered: p.deadLettered, lost: p.lost, ranTwice: p.ranTwice, orderViolations: p.sqs.orderViolations, drainedAtS: p.drainedAtS, handlerRuns: p.handlerRuns })),
}));`)) as ScenarioSummary;
    expect(summary.finished).toBe(true);
    expect(summary.accepted).toBe(summary.distinctEvents);
    // The default stage throttle (100/s, burst 200) cannot take 10,000 deliveries in a minute.
    expect(summary.refused).toBeGreaterThan(0);
    for (const p of summary.processors) {
      expect(p).toMatchObject({ completions: summary.distinctEvents, deadLettered: 0, lost: 0, ranTwice: 0, orderViolations: 0, handlerRuns: summary.distinctEvents });
    }
    // The slow processor cannot finish before its largest message group, processed one at a time at ≥ 800 ms median each.
    const slow = summary.processors.find((p) => p.name === 'crm-sync');
    expect(slow?.drainedAtS).toBeGreaterThan(summary.largestGroup * 0.5);
  });
});
