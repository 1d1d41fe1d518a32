import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ENV, TABLE, UNSET_SECRET_PLACEHOLDER, type VerifierConfig } from '../../lambda/shared/contract';
import { EventField, HardenedWebhookEndpoint, HardenedWebhooksErrors, WebhookProvider, type HardenedWebhookEndpointProps } from '../../lib';
import { endpointStack, placeholderFunction, template } from '../support/stacks';

function stripeEndpoint(extra: Partial<HardenedWebhookEndpointProps> = {}) {
  const built = endpointStack({ provider: WebhookProvider.stripe(), ...extra });
  const fulfilment = placeholderFunction(built.stack, 'Fulfilment');
  const audit = placeholderFunction(built.stack, 'Audit');
  built.endpoint.addProcessor(fulfilment, { name: 'fulfilment', eventTypes: ['payment_intent.*'] });
  built.endpoint.addProcessor(audit, { name: 'audit', batchSize: 5, maxConcurrency: 3, maxReceiveCount: 3 });
  return { ...built, fulfilment, audit, t: template(built.stack) };
}

/** The verifier's configuration with CloudFormation tokens left as they are. */
function verifierConfig(stack: Stack): VerifierConfig {
  const functions = template(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [ENV.VERIFIER_CONFIG]: Match.anyValue() } } } });
  const [fn] = Object.values(functions);
  const joined = fn.Properties.Environment.Variables[ENV.VERIFIER_CONFIG]['Fn::Join'][1] as unknown[];
  const text = joined.map((part) => (typeof part === 'string' ? part : `<${Object.values(part as object)[0]}>`)).join('');
  return JSON.parse(text.replace(/<([^>]+)>/g, (_m, ref) => String(Array.isArray(ref) ? ref[0] : ref))) as VerifierConfig;
}

describe('HardenedWebhookEndpoint: API Gateway', () => {
  test('a regional REST API that passes every body through as binary, so the verifier sees the signed bytes', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  test('one POST route with Lambda proxy integration, no other methods', () => {
    const { t } = stripeEndpoint();
    t.resourceCountIs('AWS::ApiGateway::Method', 1);
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'webhook' });
  });

  test('the path is configurable, including nested segments', () => {
    const { t } = stripeEndpoint({ path: 'hooks/stripe' });
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'hooks' });
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'stripe' });
  });

  test('a request validator requires the provider signature header before the Lambda runs', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.header.Stripe-Signature': true },
      RequestValidatorId: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'BAD_REQUEST_PARAMETERS', StatusCode: '400' });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'REQUEST_TOO_LARGE', StatusCode: '413' });
  });

  test('GitHub requires its signature and delivery headers', () => {
    const { stack } = endpointStack({ provider: WebhookProvider.github() });
    template(stack).hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.header.X-Hub-Signature-256': true, 'method.request.header.X-GitHub-Delivery': true },
    });
  });

  test('stage throttling has safe defaults and can be changed', () => {
    stripeEndpoint().t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })]),
    });
    stripeEndpoint({ throttle: { rateLimit: 20, burstLimit: 40 } }).t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })]),
    });
  });

  test('JSON access logs go to a log group with retention; tracing is on', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
      TracingEnabled: true,
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the webhook URL (stage URL and path) is the one stack output of an endpoint: RestApi\'s own root-URL output is not duplicated beside it', () => {
    const { t } = stripeEndpoint();
    const outputs = t.findOutputs('*');
    expect(Object.keys(outputs)).toEqual([expect.stringMatching(/^HooksUrl/)]);
    const [url] = Object.values(outputs) as Array<{ Value: { 'Fn::Join': [string, unknown[]] } }>;
    expect(JSON.stringify(url.Value)).toMatch(/\/webhook"\]\]\}$/);
  });
});

describe('HardenedWebhookEndpoint: verifier', () => {
  test('runs on arm64 with a current Node.js runtime, bundled code from the built asset', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { [ENV.VERIFIER_CONFIG]: Match.anyValue() } },
    });
  });

  test('its configuration carries the provider, window, limits and every processor route', () => {
    const { stack } = stripeEndpoint({ timestampTolerance: Duration.minutes(2), maxBodySize: Size.kibibytes(64), secretCacheTtl: Duration.seconds(10), messageGroupPath: 'data.object.customer' });
    const config = verifierConfig(stack);
    expect(config).toMatchObject({
      provider: { scheme: 'stripe', options: {} },
      toleranceSeconds: 120,
      maxBodyBytes: 65536,
      secretCacheTtlSeconds: 10,
      retentionSeconds: 7 * 86400,
      groupKeyPath: 'data.object.customer',
    });
    expect(config.processors.map((p) => [p.name, p.eventTypes])).toEqual([['fulfilment', ['payment_intent.*']], ['audit', []]]);
  });

  test('generic HMAC options travel to the verifier intact', () => {
    const { stack } = endpointStack({
      provider: WebhookProvider.hmac({ signatureHeader: 'X-Sig', eventId: EventField.header('X-Id'), prefix: 'sha256=', timestampHeader: 'X-Ts' }),
    });
    expect(verifierConfig(stack).provider).toEqual({
      scheme: 'hmac',
      options: { header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', timestampHeader: 'X-Ts', timestampUnit: 'seconds', eventId: { header: 'X-Id' } },
    });
  });
});

describe('HardenedWebhookEndpoint: signing secret', () => {
  test('by default a secret holding the unset placeholder is created, so the verifier fails closed with 503', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: UNSET_SECRET_PLACEHOLDER });
  });

  test('an existing secret is used instead, and no secret is created', () => {
    const { stack, endpoint } = endpointStack({ provider: WebhookProvider.stripe() });
    void endpoint;
    const existing = secretsmanager.Secret.fromSecretNameV2(stack, 'Existing', 'stripe/signing');
    const other = new HardenedWebhookEndpoint(stack, 'Other', { provider: WebhookProvider.stripe(), signingSecret: existing });
    expect(other.signingSecret).toBe(existing);
    template(stack).resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  test('the verifier may read the signing secret; processors may not', () => {
    const { t } = stripeEndpoint();
    const policies = Object.entries(t.findResources('AWS::IAM::Policy'));
    const readers = policies.filter(([, policy]) => JSON.stringify(policy).includes('secretsmanager:GetSecretValue')).map(([id]) => id);
    expect(readers).toEqual([expect.stringMatching(/^HooksVerifierRole/)]);
  });
});

describe('HardenedWebhookEndpoint: idempotency table', () => {
  test('on-demand, encrypted, point-in-time recovery, TTL, retained by default', () => {
    const { t } = stripeEndpoint();
    t.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: TABLE.PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('a customer-managed key encrypts the table, the queues and the created secret', () => {
    const { stack } = endpointStack({ provider: WebhookProvider.stripe() });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const endpoint = new HardenedWebhookEndpoint(stack, 'Keyed', { provider: WebhookProvider.stripe(), encryptionKey: key, removalPolicy: RemovalPolicy.DESTROY });
    endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p' });
    const t = template(stack);
    t.hasResource('AWS::DynamoDB::Table', { Properties: { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() } }, DeletionPolicy: 'Delete' });
    t.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() }, 2);
    t.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.anyValue() });
  });
});

describe('HardenedWebhookEndpoint: processors', () => {
  test('each processor gets a FIFO queue and a FIFO DLQ, encrypted, TLS enforced', () => {
    const { t } = stripeEndpoint();
    const queues = t.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    }
    t.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 } });
    t.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    }, 4);
  });

  test('the visibility timeout is six times the function timeout', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 18, RedrivePolicy: Match.anyValue() });
  });

  test('each event source mapping keeps the logical ID aws-cdk-lib\'s SqsEventSource gave it, so upgrading does not replace it', () => {
    const { t } = stripeEndpoint();
    expect(Object.keys(t.findResources('AWS::Lambda::EventSourceMapping')).sort()).toEqual([
      'AuditSqsEventSourceTestStackHooksauditQueue6BFE95117E671CBA',
      'FulfilmentSqsEventSourceTestStackHooksfulfilmentQueue16B795E1269331F6',
    ]);
  });

  test('with a customer-managed key, no function gets a kms: wildcard, kms:Encrypt or kms:ReEncrypt', () => {
    const { stack } = endpointStack({ provider: WebhookProvider.stripe() });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const endpoint = new HardenedWebhookEndpoint(stack, 'Keyed', { provider: WebhookProvider.stripe(), encryptionKey: key });
    endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p' });
    const actions = Object.values(template(stack).findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
      .filter((action) => action.startsWith('kms:'));
    expect([...new Set(actions)].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  test('event source mappings report batch item failures with batch size and maximum concurrency', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 5 } });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 3 } });
  });

  test('processor functions learn the table and their name from the environment', () => {
    const { t } = stripeEndpoint();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.PROCESSOR_NAME]: 'fulfilment', [ENV.TABLE_NAME]: Match.anyValue() }) },
    });
  });

  describe('a processor\'s records outlive every message that can still deliver its event', () => {
    const DAY = 86400;
    const recordTtl = (t: ReturnType<typeof template>, name: string) => Number(Object.values(t.findResources('AWS::Lambda::Function'))
      .map((fn) => fn.Properties.Environment?.Variables ?? {})
      .find((variables) => variables[ENV.PROCESSOR_NAME] === name)?.[ENV.PROCESSOR_RECORD_TTL_SECONDS]);
    const retentions = (t: ReturnType<typeof template>) => Object.values(t.findResources('AWS::SQS::Queue')).map((queue) => Number(queue.Properties.MessageRetentionPeriod)).sort((a, b) => a - b);

    test('by default: 4 days in the queue, 14 in the dead-letter queue (FIFO restarts retention there), 4 again once redriven, and a day', () => {
      const { stack, endpoint } = endpointStack({ provider: WebhookProvider.stripe() });
      const processor = endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p' });
      const t = template(stack);
      expect(retentions(t)).toEqual([4 * DAY, 14 * DAY]);
      expect(recordTtl(t, 'p')).toBe(23 * DAY);
      expect(processor.recordRetention.toSeconds()).toBe(23 * DAY);
      // The verifier's claims keep the endpoint's own idempotencyRetention.
      expect(verifierConfig(stack).retentionSeconds).toBe(7 * DAY);
    });

    test.each([
      ['shorter queues', { retentionPeriod: Duration.days(1), deadLetterRetentionPeriod: Duration.days(2) }, {}, 7 * DAY],
      ['a longer idempotencyRetention', {}, { idempotencyRetention: Duration.days(30) }, 30 * DAY],
      ['a shorter dead-letter queue', { deadLetterRetentionPeriod: Duration.days(5) }, {}, 14 * DAY],
    ])('%s', (_name, options, endpointProps, ttl) => {
      const { stack, endpoint } = endpointStack({ provider: WebhookProvider.stripe(), ...endpointProps });
      endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p', ...options });
      const t = template(stack);
      expect(recordTtl(t, 'p')).toBe(ttl);
      if ('deadLetterRetentionPeriod' in options) expect(retentions(t)).toContain(options.deadLetterRetentionPeriod?.toSeconds());
    });

    test('an imported processor function is told the record TTL to set', () => {
      const { stack, endpoint } = endpointStack({ provider: WebhookProvider.stripe() });
      endpoint.addProcessor(lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:x'), { name: 'imported' });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imported function'));
      expect(String(warnings[0]?.entry.data)).toContain(`${ENV.PROCESSOR_RECORD_TTL_SECONDS}=${23 * DAY}`);
    });
  });

  test('public properties expose what was created', () => {
    const { endpoint } = stripeEndpoint();
    expect(endpoint.processors.map((p) => p.name)).toEqual(['fulfilment', 'audit']);
    for (const processor of endpoint.processors) {
      expect(processor.queue.fifo).toBe(true);
      expect(processor.deadLetterQueue.fifo).toBe(true);
    }
    expect(endpoint.api).toBeDefined();
    expect(endpoint.table).toBeDefined();
    expect(endpoint.verifier).toBeDefined();
    expect(endpoint.url).toEqual(expect.any(String));
  });
});

describe('HardenedWebhookEndpoint: prop validation names the prop and the bad value', () => {
  const provider = WebhookProvider.stripe();
  test.each([
    [{ path: '/leading' }, /path must be .*got "\/leading"/],
    [{ path: 'a b' }, /path must be .*got "a b"/],
    [{ timestampTolerance: Duration.hours(2) }, /timestampTolerance must be between 1 s and 3600 s; got 7200 s/],
    [{ timestampTolerance: Duration.seconds(0) }, /timestampTolerance must be between 1 s and 3600 s; got 0 s/],
    [{ maxBodySize: Size.mebibytes(5) }, /maxBodySize must be between 1 bytes and 4669440 bytes; got 5242880 bytes/],
    [{ maxBodySize: Size.bytes(0) }, /maxBodySize must be between 1 bytes and 4669440 bytes; got 0 bytes/],
    [{ secretCacheTtl: Duration.hours(1) }, /secretCacheTtl must be between 0 s and 900 s; got 3600 s/],
    [{ idempotencyRetention: Duration.hours(1) }, /idempotencyRetention must be between 1 days and 365 days; got 0.04\d* days/],
    [{ throttle: { rateLimit: 0 } }, /throttle.rateLimit must be between 1 and 10000; got 0/],
    [{ throttle: { burstLimit: 1.5 } }, /throttle.burstLimit must be a whole number; got 1.5/],
    [{ verifierMemorySize: 64 }, /verifierMemorySize must be between 128 and 10240; got 64/],
    [{ messageGroupPath: 'a..b' }, /messageGroupPath must be .*got "a..b"/],
    [{ publicUrl: 'http://insecure.example' }, /publicUrl must be an https:\/\/ URL; got "http:\/\/insecure.example"/],
  ])('%o', (extra, message) => {
    expect(() => endpointStack({ provider, ...extra } as HardenedWebhookEndpointProps)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    expect(() => endpointStack({ provider, path: '/x', verifierMemorySize: 1 })).toThrow(/path must[\s\S]*verifierMemorySize must/);
  });

  test.each([
    [{ name: '1bad' }, /name must be .*got "1bad"/],
    [{ name: 'has space' }, /name must be .*got "has space"/],
    [{ name: 'ok', batchSize: 11 }, /batchSize must be between 1 and 10; got 11/],
    [{ name: 'ok', maxConcurrency: 1 }, /maxConcurrency must be between 2 and 1000; got 1/],
    [{ name: 'ok', maxReceiveCount: 0 }, /maxReceiveCount must be between 1 and 1000; got 0/],
    [{ name: 'ok', visibilityTimeout: Duration.hours(13) }, /visibilityTimeout must be between 1 s and 43200 s; got 46800 s/],
    [{ name: 'ok', retentionPeriod: Duration.days(15) }, /retentionPeriod must be between 60 s and 1209600 s; got 1296000 s/],
    [{ name: 'ok', deadLetterRetentionPeriod: Duration.seconds(30) }, /deadLetterRetentionPeriod must be between 60 s and 1209600 s; got 30 s/],
    [{ name: 'ok', eventTypes: [''] }, /eventTypes entries must be 1–256 characters; got ""/],
  ])('addProcessor %o', (options, message) => {
    const { stack, endpoint } = endpointStack({ provider });
    expect(() => endpoint.addProcessor(placeholderFunction(stack, 'Fn'), options)).toThrow(message);
  });

  test('a visibilityTimeout shorter than the function timeout is listed with the other problems, all at once', () => {
    const { stack, endpoint } = endpointStack({ provider });
    const fn = new lambda.Function(stack, 'Slow', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), timeout: Duration.minutes(5) });
    expect(() => endpoint.addProcessor(fn, { name: 'slow', visibilityTimeout: Duration.seconds(10), batchSize: 20 }))
      .toThrow(/visibilityTimeout must be at least the function's timeout \(300 s\); got 10 s[\s\S]*batchSize must be between 1 and 10; got 20|batchSize must be between 1 and 10; got 20[\s\S]*visibilityTimeout must be at least the function's timeout \(300 s\); got 10 s/);
  });

  test('visibilityTimeout shorter than the function timeout is refused; below six times it, synth warns', () => {
    const { stack, endpoint } = endpointStack({ provider });
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), timeout: Duration.seconds(30) });
    expect(() => endpoint.addProcessor(fn('Short'), { name: 'short', visibilityTimeout: Duration.seconds(29) }))
      .toThrow(/visibilityTimeout must be at least the function's timeout \(30 s\); got 29 s/);
    endpoint.addProcessor(fn('Tight'), { name: 'tight', visibilityTimeout: Duration.seconds(60) });
    endpoint.addProcessor(fn('Roomy'), { name: 'roomy', visibilityTimeout: Duration.seconds(180) });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('visibilityTimeout is'));
    expect(warnings.map((w) => [w.id, String(w.entry.data)])).toEqual([[expect.stringContaining('tight'), expect.stringContaining('visibilityTimeout is 60 s, less than six times the function\'s timeout (180 s)')]]);
  });

  test('processor names must be unique', () => {
    const { stack, endpoint } = endpointStack({ provider });
    endpoint.addProcessor(placeholderFunction(stack, 'A'), { name: 'same' });
    expect(() => endpoint.addProcessor(placeholderFunction(stack, 'B'), { name: 'same' })).toThrow(/name must be unique on this endpoint; got "same" twice/);
  });
});

describe('HardenedWebhookEndpoint: validation errors start with the path of the construct refused', () => {
  const provider = WebhookProvider.stripe();

  test('the endpoint\'s props: its own path', () => {
    expect(() => endpointStack({ provider, verifierMemorySize: 64 })).toThrow(/^TestStack\/Hooks: invalid props:\n- verifierMemorySize must be between 128 and 10240; got 64$/);
  });

  test('a processor\'s options: the processor\'s path, so that two processors\' problems are told apart', () => {
    const { stack, endpoint } = endpointStack({ provider });
    expect(() => endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'audit', batchSize: 11 }))
      .toThrow(/^TestStack\/Hooks\/audit: invalid props:\n- batchSize must be between 1 and 10; got 11$/);
  });

  test('a method\'s arguments: the endpoint\'s path and the method', () => {
    const { stack, endpoint } = endpointStack({ provider });
    endpoint.addProcessor(placeholderFunction(stack, 'A'), { name: 'same' });
    expect(() => endpoint.addProcessor(placeholderFunction(stack, 'B'), { name: 'same' }))
      .toThrow(/^TestStack\/Hooks: addProcessor: invalid props:\n- name must be unique on this endpoint; got "same" twice$/);
  });

  test('the error is this library\'s validation error, with its problems and nothing of the path in them', () => {
    let thrown: unknown;
    try {
      endpointStack({ provider, path: '/x', verifierMemorySize: 64 });
    } catch (error) {
      thrown = error;
    }
    expect(HardenedWebhooksErrors.isValidationError(thrown)).toBe(true);
    expect(HardenedWebhooksErrors.problemsOf(thrown)).toEqual([
      expect.stringMatching(/^path must be .*; got "\/x"$/),
      'verifierMemorySize must be between 128 and 10240; got 64',
    ]);
  });
});

describe('HardenedWebhookEndpoint: an endpoint without a processor', () => {
  const provider = WebhookProvider.stripe();
  const noProcessor = Match.stringLikeRegexp('has no processor: it answers `ignored` to every event it verifies until a processor is added');

  test('synthesizes (a staged rollout may deploy the endpoint first), with a warning that every event is answered `ignored`', () => {
    const { stack } = endpointStack({ provider });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/TestStack/Hooks', noProcessor);
    annotations.hasNoError('*', Match.anyValue());
  });

  test('has no such warning once a processor is added, even after the endpoint was built', () => {
    const { stack, endpoint } = endpointStack({ provider });
    endpoint.addProcessor(placeholderFunction(stack, 'Fulfilment'), { name: 'fulfilment' });
    expect(Annotations.fromStack(stack).findWarning('*', noProcessor)).toEqual([]);
  });
});

describe('snapshots (asset hashes removed)', () => {
  test('Stripe endpoint with two processors', () => {
    expect(stripeEndpoint().t.toJSON()).toMatchSnapshot();
  });

  test('GitHub endpoint with legacy SHA-1 allowed', () => {
    const { stack } = endpointStack({ provider: WebhookProvider.github({ allowLegacySha1: true }) });
    expect(template(stack).toJSON()).toMatchSnapshot();
  });
});
