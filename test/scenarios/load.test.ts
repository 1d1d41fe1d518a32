import { Duration } from 'aws-cdk-lib';
import { percentile, startHarness, type Harness } from '../../local';
import { EffectsTable, STRIPE_SECRET, countingProcessor, drain, endpointStack, mulberry, queueDepth, stripeEvent, stripeHeaders } from '../harness/fixtures';

/** HW_FULL_LOAD=1: the full 5,000 deliveries. By default (CI, 2 cores) 1,000 with the same mix. */
const FULL = process.env.HW_FULL_LOAD === '1';
const DISTINCT = FULL ? 3_500 : 700;
const DUPLICATES = FULL ? 1_500 : 300; // 30 % of the deliveries
const CONCURRENCY = 32;
const CUSTOMERS = FULL ? 200 : 40;

/**
 * Scenario j: 5,000 deliveries (1,000 unless HW_FULL_LOAD=1), 30 % of them duplicates (half re-sent byte for byte, half re-signed
 * with a later timestamp as Stripe does on retry), shuffled, 32 at a time. Every distinct event is
 * processed exactly once, none is lost, no response is a 5xx. Throughput and latency are printed,
 * not asserted.
 */
describe('scenario j: load', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    // The processor function gets the example app's 30 s Timeout (a placeholder function would have Lambda's 3 s default).
    // Batches of 10, as a throughput-minded deployment would configure (no record fails here).
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'], functionTimeout: Duration.seconds(30), batchSize: 10 }]);
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) }, onLog: () => undefined });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });

  test(`${DISTINCT + DUPLICATES} deliveries with 30 % duplicates at concurrency ${CONCURRENCY}: every distinct event processed exactly once, no 5xx`, async () => {
    const random = mulberry(20261128);
    const events = Array.from({ length: DISTINCT }, (_, i) => stripeEvent(undefined, { customer: `cus_${i % CUSTOMERS}` }));
    const deliveries = events.map((event) => ({ event, resign: false }));
    for (let i = 0; i < DUPLICATES; i++) deliveries.push({ event: events[Math.floor(random() * DISTINCT)], resign: i % 2 === 1 });
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    const signed = new Map(events.map((event) => [event.id, stripeHeaders(event.body)]));

    const statuses: Record<number, number> = {};
    const answers: Record<string, number> = {};
    const latencies: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const { event, resign } = deliveries[next++];
        const headers = resign ? stripeHeaders(event.body, { timestamp: Math.floor(Date.now() / 1000) }) : signed.get(event.id) ?? {};
        const sent = Date.now();
        const response = await harness.post({ body: event.body, headers });
        latencies.push(Date.now() - sent);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status === 200) {
          const { status } = response.json<{ status: string }>();
          answers[status] = (answers[status] ?? 0) + 1;
        }
      }
    }));
    const sentMs = Date.now() - started;
    await harness.waitForIdle({ timeoutMs: 300_000 });
    const drainedMs = Date.now() - started;

    const counts = await effects.all();
    const verifierCalls = harness.proxy.counts({ role: 'verifier' });
    const processorCalls = harness.proxy.counts({ role: 'processor' });
    const durations = harness.verifier.stats.durationsMs;
    const poller = harness.processors.fulfilment.poller?.stats;
    const processorDurations = harness.processors.fulfilment.function?.stats.durationsMs ?? [];
    const report = [
      `scenario j: ${deliveries.length} deliveries (${DISTINCT} distinct, ${DUPLICATES} duplicates), concurrency ${CONCURRENCY}`,
      `  responses: ${JSON.stringify(statuses)} ${JSON.stringify(answers)}`,
      `  ingest: ${sentMs} ms → ${(deliveries.length / (sentMs / 1000)).toFixed(0)} deliveries/s; all processed after ${drainedMs} ms → ${(DISTINCT / (drainedMs / 1000)).toFixed(0)} events/s end to end`,
      `  verifier invocation: p50 ${percentile(durations, 50)} ms, p99 ${percentile(durations, 99)} ms, max ${Math.max(...durations)} ms (${harness.verifier.stats.coldStarts} execution environments)`,
      `  HTTP round trip at the sender: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
      `  verifier AWS calls (${(Object.values(verifierCalls).reduce((a, b) => a + b, 0) / deliveries.length).toFixed(2)} per delivery): ${JSON.stringify(verifierCalls)}`,
      `  processor AWS calls (${(Object.values(processorCalls).reduce((a, b) => a + b, 0) / DISTINCT).toFixed(2)} per event): ${JSON.stringify(processorCalls)}`,
      `  poller: ${poller?.invocations} invocations, ${poller?.records} records, ${poller?.messageIds.size} distinct messages, peak concurrency ${poller?.peakConcurrency}, `
        + `${poller?.failedInvocations} failed invocations (${poller?.timeouts} timeouts), ${poller?.failedRecords} failed records`,
      `  processor invocation: p50 ${percentile(processorDurations, 50)} ms, p99 ${percentile(processorDurations, 99)} ms`,
    ].join('\n');
    console.log(report);

    expect(Object.keys(statuses).filter((status) => Number(status) >= 500)).toEqual([]);
    expect(statuses[200]).toBe(deliveries.length);
    expect(counts.size).toBe(DISTINCT);
    for (const event of events) expect(counts.get(`fulfilment#${event.id}`)).toBe(1);
    expect(poller?.messageIds.size).toBe(DISTINCT);
    expect(poller?.groupViolations).toBe(0);
    expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
    expect(await drain(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '')).toHaveLength(0);
  }, 900_000);
});
