import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { ERROR_CODES } from '../../../lambda/shared/contract';
import type { ClaimResult } from '../../../lambda/verifier/claims';
import { DownstreamError, VerifierConfigError } from '../../../lambda/verifier/errors';
import { createVerifier, loadConfig, type VerifierDependencies } from '../../../lambda/verifier/handler';
import { apiGatewayEvent } from '../../support/requests';
import { stripeVerifierConfig } from '../../support/verifier-config';

const SECRET = 'whsec_handler_test';
const NOW_S = 1_700_000_000;

const config = stripeVerifierConfig('Test/Stripe', []);

/** Records every call the verifier makes to its collaborators. */
function fakes(overrides: { secrets?: string[] | Error; claim?: ClaimResult | Error; enqueue?: Error } = {}) {
  const calls: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const deps: VerifierDependencies = {
    clock: () => NOW_S * 1000,
    log: (entry) => logs.push(entry),
    metric: (name, dims) => calls.push(`metric:${name}${dims.Reason ? ':' + dims.Reason : ''}`),
    secrets: {
      active: async () => {
        calls.push('secrets');
        if (overrides.secrets instanceof Error) throw overrides.secrets;
        return { values: overrides.secrets ?? [SECRET] };
      },
    },
    claims: {
      claim: async (subject) => {
        calls.push(`claim:${subject.eventId}`);
        if (overrides.claim instanceof Error) throw overrides.claim;
        return overrides.claim ?? { kind: 'claimed' };
      },
      markEnqueued: async (subject) => void calls.push(`mark:${subject.eventId}`),
      legacyClaim: async () => {
        calls.push('legacy');
        return undefined;
      },
    },
    dispatcher: {
      enqueue: async (routes, delivery) => {
        calls.push(`enqueue:${routes.map((r) => r.name).join('+')}:${delivery.groupId}`);
        if (overrides.enqueue) throw overrides.enqueue;
      },
    },
  };
  return { deps, calls, logs, handler: createVerifier(config, deps) };
}

function stripeRequest(body: string, options: { secret?: string; timestamp?: number; headers?: Record<string, string | string[]>; base64?: boolean } = {}) {
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? NOW_S });
  return apiGatewayEvent({ body, base64: options.base64, headers: { 'Stripe-Signature': header, 'Content-Type': 'application/json', ...options.headers } });
}

const paymentEvent = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded', data: { object: { customer: 'cus_1' } } });
const otherEvent = JSON.stringify({ id: 'evt_2', type: 'customer.created', data: { object: { id: 'cus_2' } } });

describe('verifier: accept path', () => {
  test('a valid event is claimed, sent to every matching processor, marked — in that order — and answered 200', async () => {
    const { handler, calls } = fakes();
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'accepted', id: 'evt_1' });
    expect(calls.filter((c) => !c.startsWith('metric'))).toEqual(['secrets', 'claim:evt_1', 'enqueue:fulfilment+audit:cus_1', 'mark:evt_1']);
  });

  test('routing by event type: an event only the audit processor subscribes to goes only there', async () => {
    const { handler, calls } = fakes();
    await handler(stripeRequest(otherEvent));
    expect(calls).toContain('enqueue:audit:evt_2');
  });

  test('a duplicate of an enqueued event is answered 200 and sent nowhere', async () => {
    const { handler, calls } = fakes({ claim: { kind: 'enqueued' } });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'duplicate' });
    expect(calls.some((c) => c.startsWith('enqueue'))).toBe(false);
    expect(calls).toContain('metric:Duplicates');
  });

  test('a duplicate that finds an unfinished claim sends again and marks it', async () => {
    const { handler, calls } = fakes({ claim: { kind: 'unfinished' } });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual(expect.arrayContaining(['enqueue:fulfilment+audit:cus_1', 'mark:evt_1']));
  });

  test('header names in any case are found', async () => {
    const { handler } = fakes();
    const header = Stripe.webhooks.generateTestHeaderString({ payload: paymentEvent, secret: SECRET, timestamp: NOW_S });
    for (const name of ['stripe-signature', 'STRIPE-SIGNATURE', 'StRiPe-SiGnAtUrE']) {
      const response = await handler(apiGatewayEvent({ body: paymentEvent, headers: { [name]: header } }));
      expect(response.statusCode).toBe(200);
    }
  });

  test('a body that arrives as plain text (no binary media type) is verified too', async () => {
    const { handler } = fakes();
    expect((await handler(stripeRequest(paymentEvent, { base64: false }))).statusCode).toBe(200);
  });

  test('multibyte UTF-8 bodies are verified byte for byte', async () => {
    const body = JSON.stringify({ id: 'evt_café', type: 'x', note: 'café ☕ — 日本語 🎉' });
    const { handler } = fakes();
    expect((await handler(stripeRequest(body))).statusCode).toBe(200);
  });
});

describe('verifier: rejections change nothing', () => {
  const nothingStored = (calls: string[]) => expect(calls.filter((c) => c.startsWith('claim') || c.startsWith('enqueue') || c.startsWith('mark'))).toEqual([]);

  test('tampered body → 401 bad_signature', async () => {
    const { handler, calls } = fakes();
    const event = stripeRequest(paymentEvent);
    event.body = Buffer.from(paymentEvent.replace('evt_1', 'evt_9')).toString('base64');
    const response = await handler(event);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.BAD_SIGNATURE);
    nothingStored(calls);
    expect(calls).toEqual(expect.arrayContaining(['metric:Rejected:bad_signature', 'metric:SignatureFailures']));
  });

  test('wrong secret → 401', async () => {
    const { handler, calls } = fakes();
    expect((await handler(stripeRequest(paymentEvent, { secret: 'whsec_wrong' }))).statusCode).toBe(401);
    nothingStored(calls);
  });

  test('stale and future timestamps → 401', async () => {
    const { handler, calls } = fakes();
    for (const timestamp of [NOW_S - 301, NOW_S + 301]) {
      const response = await handler(stripeRequest(paymentEvent, { timestamp }));
      expect(response.statusCode).toBe(401);
      expect(JSON.parse(response.body).error).toBe(ERROR_CODES.STALE_TIMESTAMP);
    }
    nothingStored(calls);
  });

  test('missing signature header → 401 before the secret is even read', async () => {
    const { handler, calls } = fakes();
    const response = await handler(apiGatewayEvent({ body: paymentEvent }));
    expect(response.statusCode).toBe(401);
    nothingStored(calls);
  });

  test('body over the limit → 413, before the secret is read', async () => {
    const { handler, calls } = fakes();
    const big = JSON.stringify({ id: 'evt_big', pad: 'x'.repeat(2000) });
    const response = await handler(stripeRequest(big));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.BODY_TOO_LARGE);
    expect(calls).not.toContain('secrets');
  });

  test('a body flagged base64 that is not base64 → 400', async () => {
    const { handler, calls } = fakes();
    const event = stripeRequest(paymentEvent);
    event.body = '!!!not base64!!!';
    const response = await handler(event);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.MALFORMED_REQUEST);
    nothingStored(calls);
  });

  test('the signature header twice with different values → 400 conflicting_header', async () => {
    const { handler, calls } = fakes();
    const good = Stripe.webhooks.generateTestHeaderString({ payload: paymentEvent, secret: SECRET, timestamp: NOW_S });
    const response = await handler(apiGatewayEvent({ body: paymentEvent, headers: { 'Stripe-Signature': [good, 't=1,v1=00'] } }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.CONFLICTING_HEADER);
    nothingStored(calls);
  });

  test('a signed body whose SQS message would exceed 1 MiB once escaped → 413 message_too_large, before any claim', async () => {
    // GIVEN a 600 KiB body within maxBodySize whose escaped backslashes double again in the envelope
    const body = JSON.stringify({ id: 'evt_big_escape', type: 'payment_intent.succeeded', pad: '\\'.repeat(300 * 1024) });
    expect(Buffer.byteLength(body)).toBeLessThan(700 * 1024);
    const { deps, calls } = fakes();
    const response = await createVerifier({ ...config, maxBodyBytes: 700 * 1024 }, deps)(stripeRequest(body));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.MESSAGE_TOO_LARGE);
    nothingStored(calls);
  });

  test('a correctly signed body that is not valid UTF-8 JSON → 400, never 500', async () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    // Signed by hand over the exact bytes: the SDK only signs strings, as UTF-8.
    const mac = createHmac('sha256', SECRET).update(`${NOW_S}.`).update(body).digest('hex');
    const { handler, calls } = fakes();
    const response = await handler(apiGatewayEvent({ body, headers: { 'Stripe-Signature': `t=${NOW_S},v1=${mac}` } }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.MALFORMED_BODY);
    nothingStored(calls);
  });
});

describe('verifier: fail closed and ask for a retry when it cannot do its job', () => {
  test('no signing secret set → 503 with Retry-After, nothing accepted', async () => {
    const { handler, calls } = fakes({ secrets: [] });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('30');
    expect(JSON.parse(response.body).error).toBe(ERROR_CODES.SECRET_UNAVAILABLE);
    expect(calls.some((c) => c.startsWith('claim'))).toBe(false);
  });

  test('Secrets Manager failing → 503', async () => {
    const { handler } = fakes({ secrets: new DownstreamError('secret', { cause: new Error('boom') }) });
    expect((await handler(stripeRequest(paymentEvent))).statusCode).toBe(503);
  });

  test('DynamoDB failing on the claim → 503, nothing sent', async () => {
    const { handler, calls } = fakes({ claim: new DownstreamError('claim', { cause: new Error('throttled') }) });
    expect((await handler(stripeRequest(paymentEvent))).statusCode).toBe(503);
    expect(calls.some((c) => c.startsWith('enqueue'))).toBe(false);
  });

  test('SQS failing → 503; the claim stays PENDING (the retry finds it unfinished) and is not marked', async () => {
    const { handler, calls } = fakes({ enqueue: new DownstreamError('enqueue', { cause: new Error('down') }) });
    const response = await handler(stripeRequest(paymentEvent));
    expect(response.statusCode).toBe(503);
    expect(calls.filter((c) => !c.startsWith('metric'))).toEqual(['secrets', 'claim:evt_1', 'enqueue:fulfilment+audit:cus_1']);
    expect(calls).toContain('metric:DownstreamFailures');
  });

  test.each([['id', 200, 'duplicate'], ['type', 409, ERROR_CODES.CONFLICTING_REPLAY], ['body', 409, ERROR_CODES.CONFLICTING_REPLAY]] as const)(
    'content claimed by an event that differs in its %s: answered %i (%s), nothing sent, counted', async (differs, status, answer) => {
      const { handler, calls } = fakes({ claim: { kind: 'conflict', differs } });
      const response = await handler(stripeRequest(paymentEvent));
      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body)).toMatchObject(status === 200 ? { status: answer } : { error: answer });
      expect(calls.some((c) => c.startsWith('enqueue') || c.startsWith('mark'))).toBe(false);
      expect(calls).toContain('metric:ContentReplays');
    },
  );
});

describe('verifier: logs never carry secrets or signatures', () => {
  test('no log entry contains the secret or the signature digest', async () => {
    const { handler, logs } = fakes();
    const event = stripeRequest(paymentEvent);
    await handler(event);
    await handler(stripeRequest(paymentEvent, { secret: 'whsec_wrong' }));
    const digest = String(event.headers['Stripe-Signature']).split('v1=')[1];
    const text = JSON.stringify(logs);
    expect(logs.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(digest);
  });
});

describe('verifier configuration', () => {
  test('loadConfig refuses missing, non-JSON, incomplete and unknown-scheme configuration', () => {
    expect(() => loadConfig(undefined)).toThrow(/missing/);
    expect(() => loadConfig('{')).toThrow(/not JSON/);
    expect(() => loadConfig(JSON.stringify({ ...config, tableName: '' }))).toThrow(/tableName/);
    expect(() => loadConfig(JSON.stringify({ ...config, provider: { scheme: 'nope', options: {} } }))).toThrow(/unknown provider scheme "nope"/);
    const unsignedTimestamp = { header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', timestampHeader: 'X-Ts', signedContent: '{body}', eventId: { jsonPath: 'id' } };
    expect(() => loadConfig(JSON.stringify({ ...config, provider: { scheme: 'hmac', options: unsignedTimestamp } }))).toThrow(/must contain \{timestamp\} when timestampHeader is set/);
    expect(loadConfig(JSON.stringify(config))).toEqual(config);
  });

  test('loadConfig keeps the JSON parser\'s error as the cause, for the cold-start log', () => {
    let thrown: unknown;
    try {
      loadConfig('{');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VerifierConfigError);
    expect((thrown as Error).cause).toBeInstanceOf(SyntaxError);
  });

  test.each(['signingSecretArn', 'tableName', 'endpointName'])('loadConfig refuses a %s that is not a string, even a truthy one', (key) => {
    expect(() => loadConfig(JSON.stringify({ ...config, [key]: 42 }))).toThrow(new VerifierConfigError(`verifier configuration lacks ${key}`));
    expect(() => loadConfig(JSON.stringify({ ...config, [key]: { arn: 'x' } }))).toThrow(new VerifierConfigError(`verifier configuration lacks ${key}`));
  });

  test('loadConfig refuses a configuration without a provider with its own error, not a TypeError', () => {
    const { provider: _provider, ...withoutProvider } = config;
    expect(() => loadConfig(JSON.stringify(withoutProvider))).toThrow(new VerifierConfigError('unknown provider scheme "undefined"'));
  });

  test('createVerifier refuses an unknown scheme at cold start, so the function never serves', () => {
    expect(() => createVerifier({ ...config, provider: { scheme: 'nope', options: {} } }, fakes().deps)).toThrow(new VerifierConfigError('unknown provider scheme "nope"'));
  });

  test('without a log sink, each entry is written to stdout as one JSON line (CloudWatch Logs)', async () => {
    const lines: unknown[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(line));
    try {
      const { deps } = fakes();
      const handler = createVerifier(config, { ...deps, log: undefined });
      await handler(stripeRequest(paymentEvent, { secret: 'whsec_wrong' }));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual([JSON.stringify({ level: 'WARN', msg: 'rejected', status: 401, code: ERROR_CODES.BAD_SIGNATURE, detail: 'no v1 signature matches' })]);
  });
});
