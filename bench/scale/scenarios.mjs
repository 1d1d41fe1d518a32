// The scenarios b6 predicts: one provider burst against the construct's defaults, then the same
// burst with one group of props changed at a time, so each row shows which prop moves which limit.

/**
 * The burst of issue 13: 10,000 Stripe deliveries in one minute, 30 % of them re-deliveries of an
 * event already sent, customers (the message group) drawn from a Zipf distribution.
 */
export const BURST = {
  deliveries: 10_000,
  windowS: 60,
  duplicateShare: 0.3,
  customers: 1_000,
  zipfS: 1.1,
  /** Stripe lists about a dozen webhook source addresses (docs.stripe.com/ips); assumption: 12, used evenly. */
  senderIps: 12,
  groupBy: 'customer',
  /** Stripe's retry intervals are not published; assumption: 1 minute, doubling, ±25 %. */
  retry: { firstS: 60, factor: 2, jitter: 0.25 },
};

/** Two processors on every event: a fast one, and a slow one (a third-party API behind it). */
export const PROCESSORS = [
  { name: 'fulfilment', handlerMs: { median: 40, sigma: 0.5 } },
  { name: 'crm-sync', handlerMs: { median: 800, sigma: 0.6 } },
];

const withProcessor = (name, change) => PROCESSORS.map((p) => (p.name === name ? { ...p, ...change } : p));
const allProcessors = (change) => PROCESSORS.map((p) => ({ ...p, ...change }));

export function scenarios(seed = 13) {
  const base = { seed, load: BURST, props: { processors: PROCESSORS } };
  const tunedThrottle = { rateLimit: 250, burstLimit: 500 };
  return [
    { ...base, name: 'defaults', short: 'defaults', label: 'Construct defaults', change: '—' },
    { ...base, name: 'throttle', short: 'throttle', label: 'Stage throttle raised', change: '`throttle: { rateLimit: 250, burstLimit: 500 }`', props: { ...base.props, throttle: tunedThrottle } },
    {
      ...base, name: 'concurrency', short: 'conc. 50', label: 'crm-sync maxConcurrency 50', change: 'the throttle above; crm-sync `maxConcurrency: 50`',
      props: { throttle: tunedThrottle, processors: withProcessor('crm-sync', { maxConcurrency: 50 }) },
    },
    {
      ...base, name: 'batch', short: 'batch 10', label: 'crm-sync batchSize 10', change: 'the throttle above; crm-sync `maxConcurrency: 50, batchSize: 10`',
      props: { throttle: tunedThrottle, processors: withProcessor('crm-sync', { maxConcurrency: 50, batchSize: 10 }) },
    },
    {
      ...base, name: 'groups', short: 'groups', label: 'A message group per payment', change: 'the throttle above; crm-sync `maxConcurrency: 50`; `messageGroupPath` naming the payment (a group per event)',
      load: { ...BURST, groupBy: 'event' },
      props: { throttle: tunedThrottle, processors: withProcessor('crm-sync', { maxConcurrency: 50 }) },
    },
    {
      ...base, name: 'account', short: 'conc. 1000', label: 'maxConcurrency 1000 on both', change: 'the throttle above; a group per payment; both processors `maxConcurrency: 1000`',
      load: { ...BURST, groupBy: 'event' },
      props: { throttle: tunedThrottle, processors: allProcessors({ maxConcurrency: 1000 }) },
    },
    {
      ...base, name: 'failures', short: 'fails 2 %', label: 'crm-sync fails 2 %', change: 'as "crm-sync maxConcurrency 50"; 2 % of crm-sync\'s runs fail (`visibilityTimeout` at its default, 180 s)',
      props: { throttle: tunedThrottle, processors: withProcessor('crm-sync', { maxConcurrency: 50, failureRate: 0.02 }) },
    },
    {
      ...base, name: 'failures-vt', short: 'fails, VT 35 s', label: 'crm-sync fails 2 %, visibilityTimeout 35 s', change: 'as "crm-sync fails 2 %"; crm-sync `visibilityTimeout: Duration.seconds(35)`',
      props: { throttle: tunedThrottle, processors: withProcessor('crm-sync', { maxConcurrency: 50, failureRate: 0.02, visibilityTimeoutS: 35 }) },
    },
    {
      ...base, name: 'flood', short: '10×', label: '10× burst', change: '100,000 deliveries in a minute; `throttle: { rateLimit: 2000, burstLimit: 4000 }`; a group per payment; both processors `maxConcurrency: 1000`',
      load: { ...BURST, deliveries: 100_000, groupBy: 'event' },
      props: { throttle: { rateLimit: 2000, burstLimit: 4000 }, processors: allProcessors({ maxConcurrency: 1000 }) },
    },
    {
      ...base, name: 'flood-waf', short: '10×, WAF', label: '10× burst, WAF on', change: 'as "10× burst", with `waf: {}` (3,000 requests per IP per 5 minutes)',
      load: { ...BURST, deliveries: 100_000, groupBy: 'event' },
      props: { throttle: { rateLimit: 2000, burstLimit: 4000 }, waf: {}, processors: allProcessors({ maxConcurrency: 1000 }) },
    },
  ];
}
