import { Duration, Names, RemovalPolicy, Size, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ENV, payloadKey, type VerifierConfig } from '../../lambda/shared/contract';
import { EventField, HardenedWebhookEndpoint, WebhookProvider, type HardenedWebhookEndpointProps } from '../../lib';
import { endpointStack, placeholderFunction, template } from '../support/stacks';

const KIB = 1024;

/** The one event bucket of a template, as synthesized. */
interface BucketResource {
  Properties: {
    BucketEncryption: unknown;
    PublicAccessBlockConfiguration: unknown;
    OwnershipControls: unknown;
    VersioningConfiguration?: unknown;
    LoggingConfiguration?: unknown;
    LifecycleConfiguration: { Rules: Array<{ Id: string; Prefix?: string; ExpirationInDays?: number; AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number } }> };
  };
  DeletionPolicy?: string;
  Metadata?: { checkov: { skip: Array<{ id: string; comment: string }> } };
}

function bucketOf(t: Template): { id: string; resource: BucketResource } {
  const buckets = Object.entries(t.findResources('AWS::S3::Bucket'));
  expect(buckets).toHaveLength(1);
  const [[id, resource]] = buckets;
  return { id, resource: resource as never };
}

function lifecycleRules(t: Template): BucketResource['Properties']['LifecycleConfiguration']['Rules'] {
  return bucketOf(t).resource.Properties.LifecycleConfiguration.Rules;
}

function expirationOf(t: Template, id: string): number | undefined {
  return lifecycleRules(t).find((rule) => rule.Id === id)?.ExpirationInDays;
}

/** The verifier's configuration with each CloudFormation reference written as `<logical ID>`. */
function verifierConfig(stack: Stack): VerifierConfig {
  const functions = template(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { [ENV.VERIFIER_CONFIG]: Match.anyValue() } } } });
  const [fn] = Object.values(functions);
  const joined = fn.Properties.Environment.Variables[ENV.VERIFIER_CONFIG]['Fn::Join'][1] as unknown[];
  return JSON.parse(joined.map((part) => (typeof part === 'string' ? part : `<${String((part as { Ref?: string }).Ref)}>`)).join('')) as VerifierConfig;
}

function processorEnvironment(t: Template, name: string): Record<string, unknown> | undefined {
  return Object.values(t.findResources('AWS::Lambda::Function'))
    .map((fn) => fn.Properties.Environment?.Variables as Record<string, unknown> | undefined)
    .find((variables) => variables?.[ENV.PROCESSOR_NAME] === name);
}

const stripe = (extra: Partial<HardenedWebhookEndpointProps> = {}) => endpointStack({ provider: WebhookProvider.stripe(), ...extra });

describe('the event bucket: when the endpoint has one', () => {
  test('the default endpoint (256 KiB bodies) has one: a body that large may not fit in its SQS message', () => {
    const { stack, endpoint } = stripe();
    const { id } = bucketOf(template(stack));
    expect(stack.resolve(endpoint.eventBucket?.bucketName)).toEqual({ Ref: id });
    expect(verifierConfig(stack).eventBucket).toBe(`<${id}>`);
  });

  test('none up to 160 KiB without an archive — even the worst escaping (6 bytes a byte) fits in 1 MiB less 64 KiB — and one from a byte more', () => {
    const small = stripe({ maxBodySize: Size.kibibytes(160) });
    template(small.stack).resourceCountIs('AWS::S3::Bucket', 0);
    expect(small.endpoint.eventBucket).toBeUndefined();
    expect(verifierConfig(small.stack).eventBucket).toBeUndefined();
    expect(verifierConfig(small.stack).archive).toBeUndefined();

    const larger = stripe({ maxBodySize: Size.bytes(160 * KIB + 1) });
    template(larger.stack).resourceCountIs('AWS::S3::Bucket', 1);
    expect(larger.endpoint.eventBucket).toBeDefined();
  });

  test('an archive needs one whatever the body size', () => {
    const { stack, endpoint } = stripe({ maxBodySize: Size.kibibytes(16), archive: { retention: Duration.days(7) } });
    template(stack).resourceCountIs('AWS::S3::Bucket', 1);
    expect(endpoint.eventBucket).toBeDefined();
  });

  test('without a bucket, processors get neither the env var nor any s3: permission', () => {
    const { stack, endpoint } = stripe({ maxBodySize: Size.kibibytes(64) });
    endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p' });
    const t = template(stack);
    expect(processorEnvironment(t, 'p')).not.toHaveProperty(ENV.EVENT_BUCKET);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toMatch(/"s3:/);
  });
});

describe('the event bucket: protection', () => {
  test('SSE-S3 without encryptionKey; public access blocked; owner-enforced; unversioned; retained', () => {
    const { resource } = bucketOf(template(stripe().stack));
    expect(resource.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(resource.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(resource.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    // An erasure must leave no older version behind.
    expect(resource.Properties.VersioningConfiguration).toBeUndefined();
    expect(resource.DeletionPolicy).toBe('Retain');
  });

  test('with encryptionKey: SSE-KMS under that key with an S3 Bucket Key', () => {
    const { stack } = stripe();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new HardenedWebhookEndpoint(stack, 'Keyed', { provider: WebhookProvider.stripe(), encryptionKey: key });
    const buckets = Object.values(template(stack).findResources('AWS::S3::Bucket')).map((b) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration);
    expect(buckets).toContainEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.resolve(key.keyArn) }, BucketKeyEnabled: true }]);
  });

  test('the bucket policy refuses any request without TLS, or with TLS older than 1.2, on the bucket and every object', () => {
    const t = template(stripe().stack);
    const { id } = bucketOf(t);
    const [policy] = Object.values(t.findResources('AWS::S3::BucketPolicy'));
    const resources = [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] }];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: resources, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: resources, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
    ]);
  });

  test('RemovalPolicy.DESTROY deletes an empty bucket and never empties one for you (no auto-delete function)', () => {
    const t = template(stripe({ removalPolicy: RemovalPolicy.DESTROY }).stack);
    expect(bucketOf(t).resource.DeletionPolicy).toBe('Delete');
    t.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('server access logs are opt-in: without a log bucket the findings are acknowledged with a reason, with one they go there under the endpoint\'s prefix', () => {
    const without = bucketOf(template(stripe().stack)).resource;
    expect(without.Properties.LoggingConfiguration).toBeUndefined();
    expect(without.Metadata?.checkov.skip.map((skip) => skip.id)).toEqual(['CKV_AWS_21', 'CKV_AWS_18']);

    const { stack } = stripe();
    const logs = new s3.Bucket(stack, 'AccessLogs', { enforceSSL: true });
    const endpoint = new HardenedWebhookEndpoint(stack, 'Logged', { provider: WebhookProvider.stripe(), eventBucketAccessLogs: logs });
    const logged = Object.entries(template(stack).findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('LoggedEventBucket'))?.[1];
    expect(logged?.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: stack.resolve(logs.bucketName), LogFilePrefix: `${Names.uniqueId(endpoint)}/` });
    expect(Names.uniqueId(endpoint)).toMatch(/^TestStackLogged[0-9A-F]{8}$/);
    expect(logged?.Metadata.checkov.skip.map((skip: { id: string }) => skip.id)).toEqual(['CKV_AWS_21']);
  });

  test('a log bucket for an endpoint without an event bucket is refused rather than ignored', () => {
    const { stack } = stripe();
    const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs');
    expect(() => new HardenedWebhookEndpoint(stack, 'Small', { provider: WebhookProvider.stripe(), maxBodySize: Size.kibibytes(64), eventBucketAccessLogs: logs }))
      .toThrow(/eventBucketAccessLogs is set, but the endpoint has no event bucket to log \(maxBodySize is 65536 bytes, at most 163840, and there is no archive\)/);
  });
});

describe('the event bucket: lifecycle', () => {
  test('default processors: large bodies live 23 days (4 in the queue, 14 in the DLQ, 4 again after a redrive, 1 to process); the archive has no rule; incomplete uploads are aborted after a day', () => {
    const { stack, endpoint } = stripe();
    endpoint.addProcessor(placeholderFunction(stack, 'Fn'), { name: 'p' });
    const t = template(stack);
    expect(lifecycleRules(t)).toEqual([
      { Id: 'Payloads', Prefix: 'payloads/', ExpirationInDays: 23, Status: 'Enabled' },
      { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
    ]);
  });

  test('the longest-lived processor decides — processors come after the bucket, whichever order — and partial days round up', () => {
    const short = { name: 'short', retentionPeriod: Duration.days(1), deadLetterRetentionPeriod: Duration.days(2) };
    const long = { name: 'long', retentionPeriod: Duration.days(10), deadLetterRetentionPeriod: Duration.days(14) };
    const middle = { name: 'middle', retentionPeriod: Duration.days(3) };
    const expirationWith = (...processors: Array<typeof middle>) => {
      const { stack, endpoint } = stripe();
      processors.forEach((options, index) => endpoint.addProcessor(placeholderFunction(stack, `Fn${index}`), options));
      return expirationOf(template(stack), 'Payloads');
    };
    expect(expirationWith(short)).toBe(2 * 1 + 2 + 1);
    expect(expirationWith(short, long, middle)).toBe(2 * 10 + 14 + 1);
    expect(expirationWith(short, middle, long)).toBe(2 * 10 + 14 + 1);
    expect(expirationWith(short, middle)).toBe(2 * 3 + 14 + 1);

    const minutes = stripe();
    minutes.endpoint.addProcessor(placeholderFunction(minutes.stack, 'Fn'), { name: 'p', retentionPeriod: Duration.minutes(1), deadLetterRetentionPeriod: Duration.minutes(1) });
    // 3 minutes and a day: 2 days, never 1.
    expect(expirationOf(template(minutes.stack), 'Payloads')).toBe(2);
  });

  test('with an archive, records, time-index entries and replay markers expire after archive.retention; erasure audit entries never do', () => {
    const t = template(stripe({ archive: { retention: Duration.days(30) } }).stack);
    const rules = lifecycleRules(t);
    expect(rules.filter((rule) => rule.Id.startsWith('Archive'))).toEqual([
      { Id: 'ArchiveRecords', Prefix: 'archive/by-id/', ExpirationInDays: 30, Status: 'Enabled' },
      { Id: 'ArchiveTimeIndex', Prefix: 'archive/by-time/', ExpirationInDays: 30, Status: 'Enabled' },
      // A marker is written at a replay, after the event's receipt: it outlives the record it guards.
      { Id: 'ArchiveReplays', Prefix: 'archive/replays/', ExpirationInDays: 30, Status: 'Enabled' },
    ]);
    // Only the bucket-wide abort rule has no prefix, and it expires nothing.
    expect(rules.filter((rule) => rule.Prefix === undefined)).toEqual([expect.objectContaining({ Id: 'AbortIncompleteUploads' })]);
    expect(rules.filter((rule) => rule.Prefix === undefined || 'archive/erasures/'.startsWith(rule.Prefix)).every((rule) => rule.ExpirationInDays === undefined)).toBe(true);
  });
});

describe('processors learn the bucket', () => {
  test('HW_EVENT_BUCKET names the endpoint\'s bucket on each processor function', () => {
    const { stack, endpoint } = stripe();
    endpoint.addProcessor(placeholderFunction(stack, 'A'), { name: 'a' });
    endpoint.addProcessor(placeholderFunction(stack, 'B'), { name: 'b' });
    const t = template(stack);
    const bucket = { Ref: bucketOf(t).id };
    expect(processorEnvironment(t, 'a')?.[ENV.EVENT_BUCKET]).toEqual(bucket);
    expect(processorEnvironment(t, 'b')?.[ENV.EVENT_BUCKET]).toEqual(bucket);
  });

  test('an imported processor function is told to set HW_EVENT_BUCKET', () => {
    const { stack, endpoint } = stripe();
    endpoint.addProcessor(lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:us-east-1:123456789012:function:x'), { name: 'imported' });
    const [warning] = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imported function'));
    expect(String(warning?.entry.data)).toMatch(/HW_EVENT_BUCKET=the endpoint's eventBucket.bucketName/);
  });

  test('each processor\'s read grant matches its own objects only — never another processor\'s, whatever their names', () => {
    const { stack, endpoint } = stripe();
    const names = ['a', 'a-b', 'ab', 'A', 'payments', 'payments-eu'];
    names.forEach((name, index) => endpoint.addProcessor(placeholderFunction(stack, `Fn${index}`), { name }));
    const grants = new Map<string, string[]>();
    for (const [, policy] of Object.entries(template(stack).findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if (statement.Action !== 's3:GetObject') continue;
        const [, [, suffix]] = (statement.Resource as { 'Fn::Join': [string, [unknown, string]] })['Fn::Join'];
        const owner = names.find((name) => suffix === `/payloads/${name}/*`);
        expect(owner).toBeDefined();
        grants.set(owner as string, [...(grants.get(owner as string) ?? []), suffix.slice(1)]);
      }
    }
    expect([...grants.keys()].sort()).toEqual([...names].sort());
    const digest = 'e'.repeat(64);
    for (const reader of names) {
      for (const owner of names) {
        const key = payloadKey(owner, digest, digest);
        expect({ reader, owner, readable: (grants.get(reader) ?? []).some((pattern) => iamMatches(pattern, key)) }).toEqual({ reader, owner, readable: reader === owner });
      }
    }
  });
});

describe('the verifier\'s configuration', () => {
  test('an archive keeps the provider\'s required headers and the content type, lower-case', () => {
    expect(verifierConfig(stripe({ archive: { retention: Duration.days(30) } }).stack).archive).toEqual({ headers: ['stripe-signature', 'content-type'] });
    const github = endpointStack({ provider: WebhookProvider.github(), archive: { retention: Duration.days(30) } });
    expect(verifierConfig(github.stack).archive).toEqual({ headers: ['x-hub-signature-256', 'x-github-delivery', 'content-type'] });
  });

  test('generic HMAC: the headers its options read the event ID, type and group from are kept too, once each', () => {
    const { stack } = endpointStack({
      provider: WebhookProvider.hmac({
        signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', eventId: EventField.header('X-Event-Id'),
        eventType: EventField.header('X-Event-Type'), groupKey: EventField.header('x-event-id'),
      }),
      archive: { retention: Duration.days(7) },
    });
    expect(verifierConfig(stack).archive).toEqual({ headers: ['x-signature', 'x-timestamp', 'x-event-id', 'x-event-type', 'content-type'] });
    const bodyFields = endpointStack({
      provider: WebhookProvider.hmac({ signatureHeader: 'X-Signature', eventId: EventField.jsonPath('id') }),
      archive: { retention: Duration.days(7) },
    });
    expect(verifierConfig(bodyFields.stack).archive).toEqual({ headers: ['x-signature', 'content-type'] });
  });

  test('no archive section without an archive, even with a bucket', () => {
    expect(verifierConfig(stripe().stack).archive).toBeUndefined();
  });
});

describe('validation', () => {
  test('maxBodySize may reach 4560 KiB, what Lambda takes once API Gateway base64-encodes the body; one byte more is refused, naming the prop and the value', () => {
    expect(HardenedWebhookEndpoint.MAX_BODY_SIZE.toBytes()).toBe(Math.floor((6_291_456 - 65_536) / 4) * 3);
    expect(HardenedWebhookEndpoint.MAX_BODY_SIZE.toKibibytes()).toBe(4560);
    expect(() => stripe({ maxBodySize: Size.kibibytes(4560) })).not.toThrow();
    expect(() => stripe({ maxBodySize: Size.bytes(4_669_441) })).toThrow(/maxBodySize must be between 1 bytes and 4669440 bytes; got 4669441 bytes/);
  });

  test.each([
    [Duration.hours(36), /archive.retention must be whole days \(lifecycle rules count days\); got 1.5 days/],
    [Duration.hours(12), /archive.retention must be between 1 days and 3650 days; got 0.5 days/],
    [Duration.days(3651), /archive.retention must be between 1 days and 3650 days; got 3651 days/],
  ])('archive.retention %s is refused', (retention, message) => {
    expect(() => stripe({ archive: { retention } })).toThrow(message);
  });

  test.each([Duration.days(1), Duration.days(3650), Duration.hours(48)])('archive.retention %s is accepted', (retention) => {
    const t = template(stripe({ archive: { retention } }).stack);
    expect(['ArchiveRecords', 'ArchiveTimeIndex', 'ArchiveReplays'].map((id) => expirationOf(t, id))).toEqual(Array(3).fill(retention.toDays()));
  });
});

/** IAM's resource matching: `*` any run of characters (slashes included), `?` one character. */
function iamMatches(pattern: string, value: string): boolean {
  const regex = pattern.split('').map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${regex}$`).test(value);
}
