import Stripe from 'stripe';
import { ERROR_CODES, type VerifierConfig } from '../../../lambda/shared/contract';
import type { ClaimResult, ClaimSubject } from '../../../lambda/verifier/claims';
import type { Delivery } from '../../../lambda/verifier/dispatch';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { createVerifier } from '../../../lambda/verifier/handler';
import { apiGatewayEvent } from '../../support/requests';
import { stripeVerifierConfig } from '../../support/verifier-config';

/**
 * What operators see of the verifier: the metrics they alarm on (name and dimensions), the log lines
 * they search (level, msg, fields) and the details of each refusal a sender gets back (code, message,
 * Retry-After). The collaborators are recording fakes: the claim store's own behaviour is proven
 * against moto in claims.test.ts and handler-moto.test.ts.
 */
const SECRET = 'whsec_signals_test';
const NOW_S = 1_700_000_000;
const ENDPOINT = 'Signals/Stripe';

const config = stripeVerifierConfig(ENDPOINT, ['payment_intent.*', 'charge.*']);

interface Overrides {
  readonly secrets?: string[] | unknown;
  readonly claim?: ClaimResult | Error;
  readonly enqueue?: Error;
}

/** The verifier with recording fakes: every metric with its dimensions, every log entry, every claim and send. */
function rig(overrides: Overrides = {}, configOverrides: Partial<VerifierConfig> = {}) {
  const logs: Record<string, unknown>[] = [];
  const metrics: { name: string; dimensions: Record<string, string> }[] = [];
  const claims: { subject: ClaimSubject; options: unknown }[] = [];
  const deliveries: Delivery[] = [];
  const handler = createVerifier({ ...config, ...configOverrides }, {
    clock: () => NOW_S * 1000,
    log: (entry) => void logs.push(entry),
    metric: (name, dimensions) => void metrics.push({ name, dimensions }),
    secrets: {
      active: async () => {
        if (Array.isArray(overrides.secrets)) return { values: overrides.secrets };
        if (overrides.secrets !== undefined) throw overrides.secrets;
        return { values: [SECRET] };
      },
    },
    claims: {
      claim: async (subject, options) => {
        claims.push({ subject, options });
        if (overrides.claim instanceof Error) throw overrides.claim;
        return overrides.claim ?? { kind: 'claimed' };
      },
      markEnqueued: async () => undefined,
      legacyClaim: async () => undefined,
    },
    dispatcher: {
      enqueue: async (_routes, delivery) => {
        deliveries.push(delivery);
        if (overrides.enqueue) throw overrides.enqueue;
      },
    },
  });
  const metricNames = () => metrics.map((m) => m.name);
  return { handler, logs, metrics, metricNames, claims, deliveries };
}

function stripeRequest(body: string, options: { secret?: string; timestamp?: number; signature?: string } = {}) {
  const signature = options.signature ?? Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? NOW_S });
  return apiGatewayEvent({ body, headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' } });
}

const paymentEvent = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { customer: 'cus_1' } } });
const unroutedEvent = JSON.stringify({ id: 'evt_3', type: 'customer.created', data: { object: { id: 'cus_3' } } });
/** A payment_intent event of exactly `bytes` bytes. */
function sized(bytes: number, id: string): string {
  const frame = JSON.stringify({ id, type: 'payment_intent.succeeded', pad: '' });
  return JSON.stringify({ id, type: 'payment_intent.succeeded', pad: 'x'.repeat(bytes - Buffer.byteLength(frame)) });
}
const errorOf = (response: { body: string }) => JSON.parse(response.body) as { error: string; message: string };
const rejected = (logs: Record<string, unknown>[]) => logs.filter((entry) => entry.msg === 'rejected');

describe('metrics: every one carries the endpoint, and signature failures are told apart', () => {
  test('an accepted event counts Received and Enqueued, each with the Endpoint dimension only', async () => {
    const { handler, metrics } = rig();
    expect((await handler(stripeRequest(paymentEvent))).statusCode).toBe(200);
    expect(metrics).toEqual([
      { name: 'Received', dimensions: { Endpoint: ENDPOINT } },
      { name: 'Enqueued', dimensions: { Endpoint: ENDPOINT } },
    ]);
  });

  test.each([
    ['a bad signature', ERROR_CODES.BAD_SIGNATURE, () => stripeRequest(paymentEvent, { secret: 'whsec_wrong' })],
    ['a missing signature header', ERROR_CODES.MISSING_SIGNATURE, () => apiGatewayEvent({ body: paymentEvent })],
    ['a malformed signature header', ERROR_CODES.MALFORMED_SIGNATURE, () => stripeRequest(paymentEvent, { signature: 'garbage' })],
  ])('%s counts Rejected with its reason and SignatureFailures, both per endpoint', async (_name, code, request) => {
    const { handler, metrics } = rig();
    const response = await handler(request());
    expect(errorOf(response).error).toBe(code);
    expect(metrics).toEqual([
      { name: 'Received', dimensions: { Endpoint: ENDPOINT } },
      { name: 'Rejected', dimensions: { Endpoint: ENDPOINT, Reason: code } },
      { name: 'SignatureFailures', dimensions: { Endpoint: ENDPOINT } },
    ]);
  });

  test.each([
    ['a stale timestamp', ERROR_CODES.STALE_TIMESTAMP, () => stripeRequest(paymentEvent, { timestamp: NOW_S - 301 })],
    ['a body over the limit', ERROR_CODES.BODY_TOO_LARGE, () => stripeRequest(sized(2000, 'evt_big'))],
  ])('%s is a rejection but not a signature failure: the SignatureFailures alarm stays quiet', async (_name, code, request) => {
    const { handler, metrics } = rig();
    const response = await handler(request());
    expect(errorOf(response).error).toBe(code);
    expect(metrics).toEqual([
      { name: 'Received', dimensions: { Endpoint: ENDPOINT } },
      { name: 'Rejected', dimensions: { Endpoint: ENDPOINT, Reason: code } },
    ]);
  });

  test('a refused secret read (503) is not a signature failure either', async () => {
    const { handler, metricNames } = rig({ secrets: [] });
    expect((await handler(stripeRequest(paymentEvent))).statusCode).toBe(503);
    expect(metricNames()).toEqual(['Received', 'Rejected']);
  });
});

describe('the "rejected" log line: WARN for the sender\'s fault, ERROR for ours', () => {
  test('a 401 is logged WARN with its status, code and detail', async () => {
    const { handler, logs } = rig();
    await handler(stripeRequest(paymentEvent, { secret: 'whsec_wrong' }));
    expect(logs).toEqual([{ level: 'WARN', msg: 'rejected', status: 401, code: ERROR_CODES.BAD_SIGNATURE, detail: 'no v1 signature matches' }]);
  });

  test('a 413 is logged WARN with the body size and the limit', async () => {
    const { handler, logs } = rig();
    await handler(stripeRequest(sized(2000, 'evt_big')));
    expect(logs).toEqual([{ level: 'WARN', msg: 'rejected', status: 413, code: ERROR_CODES.BODY_TOO_LARGE, detail: 'body is 2000 bytes; the limit is 1024' }]);
  });

  test('a 503 is logged ERROR: the sender did nothing wrong and an operator must look', async () => {
    const { handler, logs } = rig({ secrets: [] });
    await handler(stripeRequest(paymentEvent));
    expect(logs).toEqual([{ level: 'ERROR', msg: 'rejected', status: 503, code: ERROR_CODES.SECRET_UNAVAILABLE, detail: 'signing secret is not set; retry later' }]);
  });
});

describe('refusals tell the sender what happened and whether to retry', () => {
  test('only a 503 carries Retry-After: a 4xx must not invite the sender to try the same request again', async () => {
    const { handler } = rig();
    const unauthorised = await handler(stripeRequest(paymentEvent, { secret: 'whsec_wrong' }));
    const tooLarge = await handler(stripeRequest(sized(2000, 'evt_big')));
    expect(unauthorised.statusCode).toBe(401);
    expect(tooLarge.statusCode).toBe(413);
    for (const response of [unauthorised, tooLarge]) expect(response.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const conflict = await rig({ claim: { kind: 'conflict', differs: 'body' } }).handler(stripeRequest(paymentEvent));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers?.['retry-after']).toBeUndefined();
  });

  test('a body over the limit is refused with its size and the limit', async () => {
    const { handler } = rig();
    const response = await handler(stripeRequest(sized(1025, 'evt_big')));
    expect(response.statusCode).toBe(413);
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.BODY_TOO_LARGE, message: 'body is 1025 bytes; the limit is 1024' });
  });

  test('a body of exactly maxBodyBytes is accepted: the limit is inclusive', async () => {
    const { handler } = rig();
    const body = sized(1024, 'evt_edge');
    expect(Buffer.byteLength(body)).toBe(1024);
    const response = await handler(stripeRequest(body));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'accepted', id: 'evt_edge' });
  });

  test('an event whose SQS message would be too large is refused with the SQS limit and what to do', async () => {
    const body = JSON.stringify({ id: 'evt_big_escape', type: 'payment_intent.succeeded', pad: '\\'.repeat(300 * 1024) });
    const { handler } = rig({}, { maxBodyBytes: 700 * 1024 });
    const response = await handler(stripeRequest(body));
    expect(errorOf(response)).toEqual({
      error: ERROR_CODES.MESSAGE_TOO_LARGE,
      message: 'the event, escaped into its SQS message, exceeds SQS\'s 1048576 bytes; lower maxBodySize or send smaller events',
    });
  });

  test('an API Gateway event the verifier cannot even read is a 400 with a generic message, not a crash', async () => {
    // A body that is not a string (never sent by API Gateway, but the handler must not throw on it):
    // Buffer.from throws a TypeError, which is not a MalformedRequestError, so its text is not echoed.
    const { handler, logs } = rig();
    const event = { ...apiGatewayEvent({ body: paymentEvent }), body: 42, isBase64Encoded: false } as unknown as Parameters<typeof handler>[0];
    const response = await handler(event);
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.MALFORMED_REQUEST, message: 'malformed request' });
    expect(logs).toEqual([{ level: 'WARN', msg: 'rejected', status: 400, code: ERROR_CODES.MALFORMED_REQUEST, detail: 'malformed request' }]);
  });

  test('a signing secret that is not set → 503 saying so, with Retry-After', async () => {
    const { handler } = rig({ secrets: [] });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.headers?.['retry-after']).toBe('30');
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.SECRET_UNAVAILABLE, message: 'signing secret is not set; retry later' });
  });

  test('a secret read that fails → 503 with Retry-After; the log names the AWS error behind the DownstreamError', async () => {
    const { handler, logs } = rig({ secrets: new DownstreamError('secret', { cause: new Error('AccessDenied') }) });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('30');
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.SECRET_UNAVAILABLE, message: 'signing secret could not be read; retry later' });
    expect(logs).toEqual([{
      level: 'ERROR', msg: 'rejected', status: 503, code: ERROR_CODES.SECRET_UNAVAILABLE, detail: 'signing secret could not be read; retry later', cause: 'Error: AccessDenied',
    }]);
  });

  test('a cause is logged as "name: message", cut at 300 characters; a thrown non-Error is "unknown error"', async () => {
    const long = rig({ secrets: new TypeError('x'.repeat(1000)) });
    await long.handler(stripeRequest(paymentEvent));
    expect(long.logs[0].cause).toBe(`TypeError: ${'x'.repeat(1000)}`.slice(0, 300));
    expect(long.logs[0].cause).toHaveLength(300);
    const thrownString = rig({ secrets: 'a string, not an Error' });
    await thrownString.handler(stripeRequest(paymentEvent));
    expect(thrownString.logs[0].cause).toBe('unknown error');
  });

  test.each([
    ['claim', { claim: new DownstreamError('claim', { cause: new Error('throttled') }) }, 'Error: throttled'],
    ['enqueue', { enqueue: new DownstreamError('enqueue', { cause: new RangeError('queue down') }) }, 'RangeError: queue down'],
  ] as const)('a failed %s → 503 naming the step, Retry-After, DownstreamFailures counted, logged ERROR with the event and cause', async (step, overrides, cause) => {
    const { handler, logs, metrics } = rig(overrides);
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('30');
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.DOWNSTREAM_UNAVAILABLE, message: `${step} failed; retry later` });
    expect(metrics).toContainEqual({ name: 'DownstreamFailures', dimensions: { Endpoint: ENDPOINT } });
    expect(rejected(logs)).toEqual([{
      level: 'ERROR', msg: 'rejected', status: 503, code: ERROR_CODES.DOWNSTREAM_UNAVAILABLE, detail: `${step} failed; retry later`, eventId: 'evt_1', cause,
    }]);
  });

  test.each([
    ['the claim store', { claim: new TypeError('a bug, not an outage') }],
    ['the dispatcher', { enqueue: new TypeError('a bug, not an outage') }],
  ])('an error from %s that is not a DownstreamError is thrown, not dressed up as a retryable 503', async (_name, overrides) => {
    // A programming error must fail the invocation (Lambda's Errors metric), not ask the sender to retry forever.
    const { handler, metricNames } = rig(overrides);
    await expect(handler(stripeRequest(paymentEvent))).rejects.toThrow('a bug, not an outage');
    expect(metricNames()).not.toContain('DownstreamFailures');
  });
});

describe('the outcome log lines of an accepted request', () => {
  test('an accepted event is logged INFO "accepted" with its ID, type and the processors it was sent to', async () => {
    const { handler, logs } = rig();
    await handler(stripeRequest(paymentEvent));
    expect(logs).toEqual([{ level: 'INFO', msg: 'accepted', eventId: 'evt_1', eventType: 'payment_intent.succeeded', processors: ['fulfilment', 'audit'] }]);
  });

  test('finishing an unfinished claim is logged as a recovery, not as a first acceptance', async () => {
    const { handler, logs } = rig({ claim: { kind: 'unfinished' } });
    await handler(stripeRequest(paymentEvent));
    expect(logs).toEqual([{ level: 'INFO', msg: 'recovered unfinished claim', eventId: 'evt_1', eventType: 'payment_intent.succeeded', processors: ['fulfilment', 'audit'] }]);
  });

  test('a duplicate is logged INFO "duplicate" with its ID', async () => {
    const { handler, logs } = rig({ claim: { kind: 'enqueued' } });
    await handler(stripeRequest(paymentEvent));
    expect(logs).toEqual([{ level: 'INFO', msg: 'duplicate', eventId: 'evt_1' }]);
  });

  test('an ID-signed event no processor subscribes to is ignored without a claim: counted, logged, answered "ignored"', async () => {
    const { handler, logs, metricNames, claims, deliveries } = rig();
    const response = await handler(stripeRequest(unroutedEvent));
    expect(JSON.parse(response.body)).toEqual({ status: 'ignored', id: 'evt_3' });
    expect(logs).toEqual([{ level: 'INFO', msg: 'no processor subscribed', eventId: 'evt_3', eventType: 'customer.created' }]);
    expect(metricNames()).toEqual(['Received', 'Ignored']);
    expect(claims).toEqual([]);
    expect(deliveries).toEqual([]);
  });

  test('a routed event is claimed as not ignored, and sent with the request\'s Content-Type', async () => {
    const { handler, claims, deliveries } = rig();
    await handler(stripeRequest(paymentEvent));
    expect(claims.map((c) => c.options)).toStrictEqual([{ ignored: false, receivedAtMs: NOW_S * 1000 }]);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ eventId: 'evt_1', eventType: 'payment_intent.succeeded', provider: 'stripe', groupId: 'cus_1', contentType: 'application/json', receivedAtMs: NOW_S * 1000 });
  });
});

describe('content already claimed by another event', () => {
  test('under another ID only: answered as a duplicate, counted, logged WARN with what differs', async () => {
    const { handler, logs, metricNames } = rig({ claim: { kind: 'conflict', differs: 'id' } });
    const response = await handler(stripeRequest(paymentEvent));
    expect(JSON.parse(response.body)).toEqual({ status: 'duplicate', id: 'evt_1' });
    expect(metricNames()).toEqual(['Received', 'ContentReplays']);
    expect(logs).toEqual([{
      level: 'WARN', msg: 'signed content already claimed under another event ID; nothing enqueued', differs: 'id', eventId: 'evt_1', eventType: 'payment_intent.succeeded',
    }]);
  });

  test.each([
    ['body', 'this signed content was already received with another body; nothing was enqueued'],
    ['type', 'this signed content was already received as another event type; nothing was enqueued'],
  ] as const)('with another %s: 409 saying which, logged with the event and what differs', async (differs, message) => {
    const { handler, logs } = rig({ claim: { kind: 'conflict', differs } });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(409);
    expect(errorOf(response)).toEqual({ error: ERROR_CODES.CONFLICTING_REPLAY, message });
    expect(logs).toEqual([{
      level: 'WARN', msg: 'rejected', status: 409, code: ERROR_CODES.CONFLICTING_REPLAY, detail: message, eventId: 'evt_1', eventType: 'payment_intent.succeeded', differs,
    }]);
  });
});
