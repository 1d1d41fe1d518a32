// The figures the scale model runs on, in one place, each with where it comes from. A figure marked
// `assumption` is not published by AWS (or the provider) and is this model's estimate; SCALING.md
// prints both lists from here, so the document and the model cannot disagree.

export const SOURCES = {
  apigwQuotas: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
  lambdaScaling: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html',
  lambdaQuotas: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  lambdaSqsScaling: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
  ddbWarm: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
  ddbOnDemandThrottling: 'https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb',
  sqsQuotas: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html',
  sqsHighThroughput: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html',
  wafRateSettings: 'https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html',
  wafRateCaveats: 'https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-caveats.html',
  stripeRetries: 'https://docs.stripe.com/webhooks/process-undelivered-events',
  stripeIps: 'https://docs.stripe.com/ips',
  smithyRetry: 'node_modules/@smithy/core (retry/util-retry: constants.js, retries-2026-config.js), the SDK the handlers are bundled with',
};

/** The AWS side of the model, us-east-1 figures. Every scenario starts from a fresh copy. */
export function awsDefaults() {
  return {
    apiGateway: {
      accountRatePerS: 10_000,
      accountBurst: 5_000,
      /** REST API request handling before and after the integration; assumption. */
      overheadMs: { median: 12, sigma: 0.3 },
    },
    waf: {
      /** How often WAF re-evaluates a rate-based rule; AWS says "frequently", detection "usually below 30 s"; assumption. */
      checkIntervalMs: 10_000,
    },
    lambda: {
      accountConcurrency: 1_000,
      /** Function-level scaling rate: 1,000 new execution environments per 10 s, refilled continuously. */
      newEnvironmentsPer10s: 1_000,
      invokeOverheadMs: 3,
      /** The verifier's own work per request (parse, HMAC, routing) at 256 MB; assumption. */
      verifierComputeMs: 2,
      /** Cold start of the verifier (a 37 KiB bundle, 256 MB) and of a processor (runtime + SDK); assumption. */
      verifierColdStartMs: { median: 250, sigma: 0.25 },
      processorColdStartMs: { median: 400, sigma: 0.25 },
    },
    dynamodb: {
      partitionWritesPerS: 1_000,
      /** A new on-demand table's warm throughput: writes it takes at once (more after it has seen more). */
      tableWarmWritesPerS: 4_000,
      /** PutItem / UpdateItem round trip from Lambda in the same Region; assumption. */
      writeMs: { median: 5, sigma: 0.35 },
      maxAttempts: 4,
    },
    sqs: {
      /** High-throughput FIFO, non-batched, per API action per queue, in us-east-1, us-west-2 and eu-west-1. */
      queueTransactionsPerS: 70_000,
      /** Per message group, per API action: a group lives in one partition, 300 TPS each. */
      groupTransactionsPerS: 300,
      deduplicationWindowMs: 5 * 60_000,
      sendMs: { median: 12, sigma: 0.35 },
      deleteMs: { median: 10, sigma: 0.35 },
      maxAttempts: 3,
    },
    sdkRetry: {
      /** Throttling errors back off from 1 s, doubling, full jitter, at most 20 s. */
      throttlingBaseMs: 1_000,
      maxDelayMs: 20_000,
    },
    eventSourceMapping: {
      /** Lambda starts 5 concurrent batches and adds up to 300 per minute (documented for standard queues). */
      initialConcurrency: 5,
      scaleUpPerMinute: 300,
      /** From a message becoming available to the poller's receive returning it; assumption. */
      pickupMs: { median: 20, sigma: 0.6 },
      /** Wait before the mapping tries a throttled invoke again; assumption. */
      throttledRetryMs: 1_000,
    },
  };
}

/** The rows of SCALING.md's limits table: the limit, its default, its source, and what moves it. */
export const LIMITS = [
  {
    limit: 'API Gateway stage throttle',
    value: '100 requests/s, burst 200 (this construct\'s default)',
    source: 'lib/endpoint.ts',
    moves: '`throttle: { rateLimit, burstLimit }` (up to 10,000 / 5,000). Over it: 429, the provider retries later.',
  },
  {
    limit: 'API Gateway account throttle, per Region, all APIs together',
    value: '10,000 requests/s, burst 5,000 (2,500 / 1,250 in newer Regions)',
    source: SOURCES.apigwQuotas,
    moves: 'Account quota: ask for an increase (the burst is set by AWS from the rate). Shared with every other API in the account.',
  },
  {
    limit: 'WAF per-IP rate rule (when `waf` is set)',
    value: '3,000 requests per 5 minutes per IP (this construct\'s default); enforced approximately, detection "usually below 30 s"',
    source: `${SOURCES.wafRateSettings}, ${SOURCES.wafRateCaveats}`,
    moves: `\`waf: { rateLimit, rateLimitWindow }\`. Providers send from a dozen or so addresses ([Stripe lists them](${SOURCES.stripeIps})), so a burst concentrates on few IPs.`,
  },
  {
    limit: 'Lambda concurrent executions, per account and Region',
    value: '1,000 (new accounts start lower)',
    source: SOURCES.lambdaQuotas,
    moves: 'Account quota. Shared by the verifier and every processor: the sum of the processors\' `maxConcurrency` is what they can take from the verifier.',
  },
  {
    limit: 'Lambda scaling rate, per function',
    value: '1,000 new execution environments every 10 s',
    source: SOURCES.lambdaScaling,
    moves: 'Fixed. Above it new requests are throttled (the verifier answers through API Gateway with a 5xx; the provider retries).',
  },
  {
    limit: 'DynamoDB on-demand, per partition',
    value: '1,000 write units/s and 3,000 read units/s',
    source: `${SOURCES.ddbWarm}, ${SOURCES.ddbOnDemandThrottling}`,
    moves: 'Key design, no prop: claims and processor records are keyed by event ID, which spreads writes evenly. A hot key needs one event written over 1,000 times a second.',
  },
  {
    limit: 'DynamoDB on-demand, per table, at once',
    value: 'a new table takes 4,000 write units/s at once; beyond twice its previous peak within 30 minutes it may throttle',
    source: `${SOURCES.ddbWarm}, ${SOURCES.ddbOnDemandThrottling}`,
    moves: 'Not a prop: pre-warm the table (warm throughput) before a known event. The endpoint writes 2 units per new event plus 2 per matched processor, 1 per duplicate.',
  },
  {
    limit: 'SQS FIFO (high throughput), per queue',
    value: '70,000 transactions/s per API action, non-batched (us-east-1, us-west-2, eu-west-1; 19,000 in us-east-2 and eu-central-1; less elsewhere)',
    source: SOURCES.sqsQuotas,
    moves: 'Fixed per Region. One queue per processor, one SendMessage per matched processor per new event.',
  },
  {
    limit: 'SQS FIFO (high throughput), per message group',
    value: '300 transactions/s per API action — assumption: AWS hashes a group to one partition and gives 300 TPS per partition and action, but states the per-group figure for high-throughput mode nowhere in one sentence (this repository\'s README uses it)',
    source: `${SOURCES.sqsHighThroughput}, ${SOURCES.sqsQuotas}`,
    moves: '`messageGroupPath`: a finer group (an order, a payment) spreads the load.',
  },
  {
    limit: 'FIFO ordering: one batch of a group in flight at a time',
    value: 'a group is processed at most at batchSize / (invocation time) messages/s, whatever the concurrency',
    source: SOURCES.lambdaSqsScaling,
    moves: '`messageGroupPath` (more, smaller groups); `batchSize` only when per-invocation overhead dominates; the processor\'s own speed.',
  },
  {
    limit: 'Event source mapping concurrency',
    value: '`maxConcurrency` (this construct: 5; 2–1,000), and for FIFO at most the number of active message groups; Lambda\'s own ceiling per SQS mapping is 1,250',
    source: SOURCES.lambdaSqsScaling,
    moves: '`maxConcurrency` per processor. The mapping starts at 5 concurrent batches and adds up to 300 per minute (documented for standard queues).',
  },
  {
    limit: 'A failed batch blocks its message group',
    value: 'until the visibility timeout ends (this construct: 6 × the function\'s timeout), then retried; after `maxReceiveCount` receives it moves to the DLQ',
    source: SOURCES.lambdaSqsScaling,
    moves: '`visibilityTimeout`, `maxReceiveCount`.',
  },
  {
    limit: 'The provider\'s retries',
    value: 'Stripe re-sends a delivery that failed (a 429 included) with exponential back-off for up to 3 days; the intervals are not published',
    source: SOURCES.stripeRetries,
    moves: 'Not ours. A refused delivery is not lost but late: minutes to hours, by the provider\'s schedule.',
  },
];

/** The figures SCALING.md lists as the model's own estimates (no public source). */
export function assumptions(aws = awsDefaults()) {
  const lognormal = (d) => `log-normal, median ${d.median} ms, σ ${d.sigma}`;
  return [
    ['API Gateway request overhead', lognormal(aws.apiGateway.overheadMs)],
    ['WAF rate re-evaluation interval', `${aws.waf.checkIntervalMs / 1000} s (AWS: "frequently", detection usually below 30 s)`],
    ['WAF: requests the rule blocks', 'count against the address like any other'],
    ['Lambda invoke overhead', `${aws.lambda.invokeOverheadMs} ms`],
    ['Verifier compute per request (parse, HMAC, routing)', `${aws.lambda.verifierComputeMs} ms`],
    ['Verifier cold start', lognormal(aws.lambda.verifierColdStartMs)],
    ['Processor cold start', lognormal(aws.lambda.processorColdStartMs)],
    ['DynamoDB PutItem / UpdateItem', lognormal(aws.dynamodb.writeMs)],
    ['DynamoDB partitions of a new on-demand table', `warm write throughput / 1,000 = ${aws.dynamodb.tableWarmWritesPerS / aws.dynamodb.partitionWritesPerS}; no splits during the burst`],
    ['SQS SendMessage', lognormal(aws.sqs.sendMs)],
    ['SQS DeleteMessageBatch (after the invocation)', lognormal(aws.sqs.deleteMs)],
    ['Event source mapping pick-up (message available → batch received)', lognormal(aws.eventSourceMapping.pickupMs)],
    ['Event source mapping scale-up for FIFO', `as documented for standard queues: ${aws.eventSourceMapping.initialConcurrency} at first, +${aws.eventSourceMapping.scaleUpPerMinute}/min`],
    ['Event source mapping after a Lambda throttle', `holds the batch, tries again after ${aws.eventSourceMapping.throttledRetryMs} ms`],
    ['SDK retries on throttling', `DynamoDB ${aws.dynamodb.maxAttempts} attempts, SQS ${aws.sqs.maxAttempts}; back-off ${aws.sdkRetry.throttlingBaseMs} ms × 2^n, full jitter, ≤ ${aws.sdkRetry.maxDelayMs / 1000} s (from the bundled SDK: ${SOURCES.smithyRetry})`],
  ];
}
