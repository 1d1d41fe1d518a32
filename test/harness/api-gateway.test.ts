import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV, UNSET_SECRET_PLACEHOLDER } from '../../lambda/shared/contract';
import { AwsProxy, EmulatorUnavailableError, LambdaFunctionHost, RestApiEmulator, SandboxClock, startHarness, type Harness } from '../../local/index';
import { API_GATEWAY_PAYLOAD_LIMIT_BYTES } from '../../local/api-gateway';
import { LAMBDA_SYNC_REQUEST_LIMIT_BYTES } from '../../local/lambda';
import { motoEndpoint } from '../support/aws';
import { STRIPE_SECRET, endpointStack, sleep, stripeEvent, stripeHeaders } from './fixtures';

/**
 * The API Gateway emulation: events as the deployed REST stage builds them, the request validator,
 * gateway responses and result mapping — checked with an in-process verifier that records events.
 */
describe('API Gateway REST emulation (recording verifier)', () => {
  let harness: Harness;
  const events: APIGatewayProxyEvent[] = [];
  let reply: (event: APIGatewayProxyEvent) => Promise<unknown> = async () => ({ statusCode: 200, body: '{}' });

  beforeAll(async () => {
    const { stack } = endpointStack();
    harness = await startHarness({
      stack,
      verifier: {
        timeoutMs: 300,
        implementation: async (event) => {
          events.push(event as APIGatewayProxyEvent);
          return reply(event as APIGatewayProxyEvent);
        },
      },
    });
  });
  afterAll(() => harness?.stop());
  beforeEach(() => {
    events.length = 0;
    reply = async () => ({ statusCode: 200, body: '{}' });
  });

  test('builds the REST proxy event like the deployed stage: headers, multi-value headers, query, base64 body, request context', async () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d]); // not UTF-8: bytes must survive
    const response = await harness.post({
      body,
      headers: [['Stripe-Signature', 't=1,v1=aa'], ['X-Dup', 'one'], ['x-dup', 'two'], ['Content-Type', 'application/json'], ['User-Agent', 'Stripe/1.0']],
      query: { single: 'a b', multi: ['1', '2'] },
    });
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      resource: '/webhook',
      path: '/webhook',
      httpMethod: 'POST',
      isBase64Encoded: true,
      queryStringParameters: { single: 'a b', multi: '2' },
      multiValueQueryStringParameters: { single: ['a b'], multi: ['1', '2'] },
      pathParameters: null,
      stageVariables: null,
      requestContext: {
        path: '/prod/webhook',
        stage: 'prod',
        resourcePath: '/webhook',
        httpMethod: 'POST',
        accountId: '123456789012',
        identity: { sourceIp: '127.0.0.1', userAgent: 'Stripe/1.0' },
      },
    });
    expect(Buffer.from(event.body ?? '', 'base64').equals(body)).toBe(true);
    const domain = event.requestContext.domainName ?? '';
    expect(domain).toMatch(/^[a-z0-9]{10}\.execute-api\.us-east-1\.amazonaws\.com$/);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.requestTimeEpoch).toBeGreaterThan(Date.now() - 10_000);
    // Header names keep the sender's case; a repeated header keeps every value in multiValueHeaders, the last in headers.
    expect(event.headers['Stripe-Signature']).toBe('t=1,v1=aa');
    expect(event.multiValueHeaders['X-Dup']).toEqual(['one']);
    expect(event.multiValueHeaders['x-dup']).toEqual(['two']);
    expect(event.headers.Host).toBe(domain);
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
    expect(event.headers['X-Forwarded-Proto']).toBe('https');
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-/);
  });

  test('a request without a body reaches the function with body null', async () => {
    await harness.post({ headers: { 'Stripe-Signature': 'x' } });
    expect(events[0]).toMatchObject({ body: null, isBase64Encoded: false });
  });

  test('the request validator refuses a missing or blank required header with the gateway response, without invoking the function', async () => {
    const before = harness.verifier.stats.invocations;
    const missing = await harness.post({ body: '{}', headers: { 'Content-Type': 'application/json' } });
    const blank = await harness.post({ body: '{}', headers: { 'Stripe-Signature': '  ' } });
    for (const response of [missing, blank]) {
      expect(response.status).toBe(400);
      expect(response.json()).toEqual({ error: 'missing_header', message: 'Missing required request parameters: [Stripe-Signature]' });
      expect(response.headers['x-amzn-errortype']).toBe('BadRequestException');
    }
    expect(harness.verifier.stats.invocations).toBe(before);
    expect(events).toHaveLength(0);
    expect(harness.api.stats.validationRejections).toBeGreaterThanOrEqual(2);
    // Header names are matched case-insensitively.
    expect((await harness.post({ body: '{}', headers: { 'stripe-signature': 'x' } })).status).toBe(200);
  });

  test('unknown paths and methods get 403 Missing Authentication Token', async () => {
    const other = await harness.post({ path: '/other', headers: { 'Stripe-Signature': 'x' } });
    const get = await harness.post({ method: 'GET', headers: { 'Stripe-Signature': 'x' } });
    for (const response of [other, get]) {
      expect(response.status).toBe(403);
      expect(response.json()).toEqual({ message: 'Missing Authentication Token' });
    }
    expect(events).toHaveLength(0);
  });

  test('a body over API Gateway\'s 10 MiB limit gets the REQUEST_TOO_LARGE gateway response (413) without invoking the function', async () => {
    const before = { ...harness.api.stats, invocations: harness.verifier.stats.invocations };
    const response = await harness.post({ body: Buffer.alloc(API_GATEWAY_PAYLOAD_LIMIT_BYTES + 1, 0x61), headers: { 'Stripe-Signature': 'x' } });
    expect(response.status).toBe(413);
    expect(response.headers['x-amzn-errortype']).toBe('RequestTooLargeException');
    // $context.error.messageString is already a quoted JSON string: the gateway response is valid JSON.
    expect(JSON.parse(response.body)).toEqual({ error: 'body_too_large', message: 'Request Too Long' });
    expect(harness.verifier.stats.invocations).toBe(before.invocations);
    expect(harness.api.stats).toMatchObject({ bodiesTooLarge: before.bodiesTooLarge + 1, eventsTooLarge: before.eventsTooLarge });
  });

  test('a body of exactly 10,485,760 bytes passes API Gateway\'s own limit; its base64 event is then over Lambda\'s, so the function is still not invoked', async () => {
    const before = { ...harness.api.stats, invocations: harness.verifier.stats.invocations };
    const response = await harness.post({ body: Buffer.alloc(API_GATEWAY_PAYLOAD_LIMIT_BYTES, 0x61), headers: { 'Stripe-Signature': 'x' } });
    expect(response.status).toBe(413);
    expect(harness.api.stats).toMatchObject({ bodiesTooLarge: before.bodiesTooLarge, eventsTooLarge: before.eventsTooLarge + 1 });
    expect(harness.verifier.stats.invocations).toBe(before.invocations);
    expect(events).toHaveLength(0);
  });

  /** A Stripe delivery of `bytes` bytes: a JSON event padded to the size, signed as Stripe signs it. */
  const largeDelivery = (bytes: number, extra: Record<string, string> = {}) => {
    const head = '{"id":"evt_large","object":"event","type":"payment_intent.succeeded","pad":"';
    const body = `${head}${'a'.repeat(bytes - head.length - 2)}"}`;
    return { body, headers: { ...stripeHeaders(body), ...extra } };
  };
  const eventBytes = (event: unknown) => Buffer.byteLength(JSON.stringify(event), 'utf8');

  test('a body of 4,669,440 bytes (4560 KiB, the construct\'s largest maxBodySize) with a provider\'s headers reaches the function in an event within Lambda\'s 6,291,456 bytes', async () => {
    const delivery = largeDelivery(4_669_440);
    expect(Buffer.byteLength(delivery.body)).toBe(4_669_440);
    const response = await harness.post(delivery);
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
    expect(Buffer.from(events[0].body ?? '', 'base64').toString('utf8')).toBe(delivery.body);
    const bytes = eventBytes(events[0]);
    expect(bytes).toBeLessThanOrEqual(LAMBDA_SYNC_REQUEST_LIMIT_BYTES);
    // The body is 6,225,920 bytes of base64; the rest of the event stays within the 64 KiB the construct allows for it.
    expect(bytes - 6_225_920).toBeLessThan(65_536);
  });

  test('an event of exactly 6,291,456 bytes is invoked; one byte more never reaches the function and gets the REQUEST_TOO_LARGE gateway response', async () => {
    // Three more body bytes are four more of base64; a header's value is in `headers` and
    // `multiValueHeaders` (2 bytes a character); the User-Agent is in both and in
    // requestContext.identity (3 bytes). Together they reach any size exactly.
    const userAgent = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';
    const send = (grow: { body: number; pad: number; agent: number }) => harness.post(largeDelivery(4_669_440 + 3 * grow.body, {
      'User-Agent': `${userAgent}${'x'.repeat(grow.agent)}`, 'X-Pad': 'p'.repeat(1 + grow.pad),
    }));
    const growBy = (bytes: number) => {
      const body = Math.floor((bytes - 4) / 4);
      const rest = bytes - 4 * body; // 4 to 7
      return { body, agent: rest % 2, pad: (rest - 3 * (rest % 2)) / 2 };
    };
    expect((await send({ body: 0, pad: 0, agent: 0 })).status).toBe(200);
    const slack = LAMBDA_SYNC_REQUEST_LIMIT_BYTES - eventBytes(events[0]);

    expect((await send(growBy(slack))).status).toBe(200);
    expect(eventBytes(events[1])).toBe(LAMBDA_SYNC_REQUEST_LIMIT_BYTES);

    const before = { ...harness.api.stats, invocations: harness.verifier.stats.invocations };
    const refused = await send(growBy(slack + 1));
    expect(refused.status).toBe(413);
    expect(refused.json()).toEqual({ error: 'body_too_large', message: 'Request Too Long' });
    expect(refused.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(events).toHaveLength(2);
    expect(harness.verifier.stats.invocations).toBe(before.invocations);
    expect(harness.api.stats).toMatchObject({ eventsTooLarge: before.eventsTooLarge + 1, bodiesTooLarge: before.bodiesTooLarge });
  });

  test('maps the proxy result: status, headers, multi-value headers, base64 body', async () => {
    reply = async () => ({ statusCode: 201, headers: { 'X-One': '1' }, multiValueHeaders: { 'X-Many': ['a', 'b'] }, body: Buffer.from('raw bytes').toString('base64'), isBase64Encoded: true });
    const response = await harness.post({ headers: { 'Stripe-Signature': 'x' } });
    expect(response.status).toBe(201);
    expect(response.headers['x-one']).toBe('1');
    expect(response.headers['x-many']).toBe('a, b');
    expect(response.body).toBe('raw bytes');
    expect(response.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a function error, a malformed result and a Lambda timeout all become 502 Internal server error', async () => {
    reply = async () => {
      throw new Error('boom');
    };
    const thrown = await harness.post({ headers: { 'Stripe-Signature': 'x' } });
    reply = async () => ({ body: 'no status' });
    const malformed = await harness.post({ headers: { 'Stripe-Signature': 'x' } });
    const timeoutsBefore = harness.verifier.stats.timeouts;
    reply = () => new Promise(() => undefined);
    const timedOut = await harness.post({ headers: { 'Stripe-Signature': 'x' } });
    for (const response of [thrown, malformed, timedOut]) {
      expect(response.status).toBe(502);
      expect(response.json()).toEqual({ message: 'Internal server error' });
    }
    expect(harness.verifier.stats.timeouts).toBe(timeoutsBefore + 1);
    expect(harness.logs.some((entry) => entry.text.includes('Task timed out after 0.30 seconds'))).toBe(true);
  });
});

describe('resources and the verifier bundle come from the synthesized template', () => {
  let harness: Harness;
  let template: Template;
  beforeAll(async () => {
    const { stack } = endpointStack({}, [{ name: 'fulfilment', eventTypes: ['payment_intent.*'], maxReceiveCount: 4 }]);
    template = Template.fromStack(stack);
    harness = await startHarness({ stack });
  });
  afterAll(() => harness?.stop());

  test('runs the bundle whose asset hash the template deploys, with the template environment resolved to the emulated resources', () => {
    const definition = harness.verifier.definition;
    expect('bundleFile' in definition.code && definition.code.bundleFile).toMatch(/assets\/verifier\/index\.js$/);
    expect(definition.timeoutMs).toBe(10_000);
    const config = JSON.parse(definition.environment[ENV.VERIFIER_CONFIG]) as typeof harness.config;
    expect(config.tableName).toBe(harness.table.name);
    expect(config.processors[0]).toMatchObject({ name: 'fulfilment', queueUrl: harness.processors.fulfilment.queue.url, eventTypes: ['payment_intent.*'] });
    expect(config.signingSecretArn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:/);
  });

  test('creates the FIFO queue with the template attributes and its dead-letter queue, the table with TTL, the secret with the placeholder', async () => {
    const { queue, deadLetterQueue } = harness.processors.fulfilment;
    const declared = template.toJSON().Resources[queue.logicalId].Properties as Record<string, unknown>;
    const { Attributes = {} } = await harness.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      FifoQueue: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: String(declared.VisibilityTimeout), MessageRetentionPeriod: String(declared.MessageRetentionPeriod),
    });
    expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: deadLetterQueue?.arn, maxReceiveCount: 4 });
    expect(deadLetterQueue?.fifo).toBe(true);
    const ttl = await harness.aws.dynamoDb.send(new DescribeTimeToLiveCommand({ TableName: harness.table.name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiration', TimeToLiveStatus: 'ENABLED' });
    const secret = await harness.aws.secretsManager.send(new GetSecretValueCommand({ SecretId: harness.signingSecretArn }));
    expect(secret.SecretString).toBe(UNSET_SECRET_PLACEHOLDER);
  });

  test('one execution environment per concurrent request, each with its own module instance (own secret cache); idle ones are reused', async () => {
    await harness.setSigningSecret(STRIPE_SECRET);
    const slow = harness.proxy.inject({ service: 'secretsmanager', operation: 'GetSecretValue', action: { type: 'delay', ms: 300 } });
    const deliveries = [stripeEvent(), stripeEvent(), stripeEvent()].map(({ body }) => harness.post({ body, headers: stripeHeaders(body) }));
    expect((await Promise.all(deliveries)).map((response) => response.status)).toEqual([200, 200, 200]);
    slow.heal();
    expect(harness.verifier.stats.coldStarts).toBe(3);
    expect(harness.proxy.count({ role: 'verifier', operation: 'GetSecretValue' })).toBe(3);
    const { body } = stripeEvent();
    expect((await harness.post({ body, headers: stripeHeaders(body) })).status).toBe(200);
    expect(harness.verifier.stats.coldStarts).toBe(3);
    expect(harness.proxy.count({ role: 'verifier', operation: 'GetSecretValue' })).toBe(3);
    expect(new Set(harness.proxy.calls.filter((call) => call.role === 'verifier').map((call) => call.caller)).size).toBe(3);
  });
});

describe('startHarness without an emulator', () => {
  test('fails with EmulatorUnavailableError instead of skipping', async () => {
    const { stack } = endpointStack();
    await expect(startHarness({ stack, emulatorEndpoint: 'http://127.0.0.1:9' })).rejects.toBeInstanceOf(EmulatorUnavailableError);
  });
});

describe('RestApiEmulator', () => {
  test('an invocation longer than the integration timeout answers 504 Endpoint request timed out', async () => {
    const proxy = AwsProxy.start({ target: motoEndpoint() });
    const host = new LambdaFunctionHost({
      logicalId: 'Slow', name: 'slow', arn: 'arn:aws:lambda:us-east-1:123456789012:function:slow', timeoutMs: 2000, memoryMb: 128, environment: {}, role: 'function',
      code: { handler: async () => sleep(1000).then(() => ({ statusCode: 200, body: 'late' })) },
    }, { proxy, region: 'us-east-1', accountId: '123456789012', clock: new SandboxClock(), log: () => undefined });
    const api = new RestApiEmulator({
      apiId: 'abcdefghij', stage: 'prod', region: 'us-east-1', accountId: '123456789012', binaryMediaTypes: ['*/*'], gatewayResponses: new Map(),
      routes: [{ method: 'POST', resourcePath: '/slow', resourceId: 'abc123', fn: host, requiredHeaders: [], requiredQueryParameters: [], validateRequestParameters: false, integrationTimeoutMs: 200 }],
    });
    await api.start();
    try {
      const response = await fetch(api.url('/slow'), { method: 'POST', body: 'x' });
      expect(response.status).toBe(504);
      expect(await response.json()).toEqual({ message: 'Endpoint request timed out' });
    } finally {
      await api.stop();
      host.stop();
      await proxy.stop();
    }
  });
});
