import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand, GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetBucketVersioningCommand, GetObjectCommand,
  GetPublicAccessBlockCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Size } from 'aws-cdk-lib';
import { build, type BuildOptions } from 'esbuild';
import { ENV } from '../../lambda/shared/contract';
import { AwsProxy, startHarness, type Harness } from '../../local/index';
import { s3Operation } from '../../local/aws-proxy';
import { createTemplateResources, type EmulatorClients } from '../../local/resources';
import { TemplateResolver, type CfnTemplate } from '../../local/template';
import { createBucket, motoEndpoint, s3, uniqueName } from '../support/aws';
import { endpointStack } from './fixtures';

const bundling = require('../../lambda/bundling/esbuild-options.cjs') as { handlerBuildOptions(options?: { lazyModules?: Record<string, string> }): BuildOptions };

const region = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Resolves once `read` returns something, polling (a condition, not a fixed sleep). */
async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const notFound = (client: S3Client, bucket: string) => client.send(new HeadBucketCommand({ Bucket: bucket })).then(() => 'exists', (error: { name: string }) => error.name);

describe('AwsProxy: S3 between the SDK and moto', () => {
  let proxy: AwsProxy;
  let client: S3Client;
  const direct = s3();
  let bucket: string;

  beforeAll(async () => {
    proxy = AwsProxy.start({ target: motoEndpoint() });
    // As a hosted function's client is: endpoint only — no forcePathStyle.
    client = new S3Client({ endpoint: await proxy.endpointFor({ id: 'tester', role: 'client' }), region, credentials });
    bucket = await createBucket(direct, 'proxy-s3');
  });
  afterAll(async () => {
    client.destroy();
    direct.destroy();
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.healAll();
    proxy.resetCounts();
  });

  test('an endpoint at 127.0.0.1 is addressed by path without forcePathStyle; each operation is counted against its bucket; moto answers the conditional write', async () => {
    const body = randomBytes(5 * 1024 * 1024); // over 1 MB: the SDK sends Expect: 100-continue
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/a/b', Body: body, IfNoneMatch: '*' }));
    const again = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/a/b', Body: 'other', IfNoneMatch: '*' })).catch((error: unknown) => error);
    expect(again).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'payloads/a/b' }));
    expect(Buffer.from(await read.Body?.transformToByteArray() ?? []).equals(body)).toBe(true);
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payloads/a/b' }))).ContentLength).toBe(body.length);
    expect((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'payloads/' }))).Contents?.map((object) => object.Key)).toEqual(['payloads/a/b']);
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'payloads/a/b' }));

    expect(proxy.counts()).toEqual({ 's3.PutObject': 2, 's3.GetObject': 1, 's3.HeadObject': 1, 's3.ListObjectsV2': 1, 's3.DeleteObject': 1 });
    expect(proxy.calls.map((call) => [call.operation, call.resource, call.status])).toEqual([
      ['PutObject', bucket, 200], ['PutObject', bucket, 412], ['GetObject', bucket, 200], ['HeadObject', bucket, 200], ['ListObjectsV2', bucket, 200], ['DeleteObject', bucket, 204],
    ]);
  });

  test('a fault is an S3 XML error the SDK parses and retries; its predicate sees Bucket, Key and IfNoneMatch, never the object\'s bytes', async () => {
    const fault = proxy.inject({ service: 's3', operation: 'PutObject', when: (call) => call.input.Key === 'payloads/x' && call.input.IfNoneMatch === '*', action: { type: 'error' } });
    // A body that names a queue, table and key of its own, as a sender may write one: it is not the call's input.
    const hostile = JSON.stringify({ QueueUrl: 'https://sqs.example/evil', TableName: 'evil', SecretId: 'evil', Bucket: 'evil', Key: 'payloads/x' });
    const failed = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/x', Body: hostile, ContentType: 'application/json', IfNoneMatch: '*' })).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500, attempts: 3 } });
    expect(fault.hits).toBe(3);
    expect(await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'payloads/x' })).catch((error: { name: string }) => error.name)).toBe('NotFound');
    // The same write under another key, or without the condition, is not matched.
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/y', Body: hostile, ContentType: 'application/json', IfNoneMatch: '*' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/x', Body: hostile, ContentType: 'application/json' }));
    expect(fault.hits).toBe(3);
    expect(proxy.calls.every((call) => call.resource === bucket)).toBe(true);
  });

  test('a fault on a HEAD request answers without a body; the SDK names the error from the status', async () => {
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: 'head', Body: 'x' }));
    proxy.inject({ operation: 'HeadObject', action: { type: 'error', status: 404, code: 'NotFound' }, times: 1 });
    const missing = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'head' })).catch((error: unknown) => error);
    expect(missing).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'head' }))).ContentLength).toBe(1);
  });

  test('names S3 operations from the request line when the SDK adds no x-id', () => {
    const line = (method: string, url: string, headers: Record<string, string> = {}) => s3Operation({ method, url, headers });
    expect(line('GET', '/')).toBe('ListBuckets');
    expect(line('PUT', '/b')).toBe('CreateBucket');
    expect(line('POST', '/b?delete')).toBe('DeleteObjects');
    expect(line('GET', '/b?versions&max-keys=1000')).toBe('ListObjectVersions');
    expect(line('GET', '/b?list-type=2&prefix=archive%2F')).toBe('ListObjectsV2');
    expect(line('GET', '/b/archive/by-id/x.json')).toBe('GetObject');
    expect(line('PUT', '/b/k', { 'x-amz-copy-source': '/b/j' })).toBe('CopyObject');
    expect(line('PUT', '/b/k?partNumber=1&uploadId=u')).toBe('UploadPart');
    expect(line('DELETE', '/b/k')).toBe('DeleteObject');
    expect(line('DELETE', '/b')).toBe('DeleteBucket');
    expect(line('GET', '/b/k?x-id=GetObject')).toBe('GetObject');
  });
});

describe('AWS::S3::Bucket resources of a template', () => {
  const clients: EmulatorClients = {
    dynamoDb: new DynamoDBClient({ endpoint: motoEndpoint(), region, credentials }),
    sqs: new SQSClient({ endpoint: motoEndpoint(), region, credentials }),
    secretsManager: new SecretsManagerClient({ endpoint: motoEndpoint(), region, credentials }),
    s3: s3(),
  };
  afterAll(() => Object.values(clients).forEach((client: { destroy(): void }) => client.destroy()));

  const template: CfnTemplate = {
    Resources: {
      EventBucket1A2B3C4D: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          LifecycleConfiguration: { Rules: [{ Id: 'Payloads', Prefix: 'payloads/', Status: 'Enabled', ExpirationInDays: 19 }] },
        },
      },
      Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'My_Explicit.Name' } },
      AVeryLongLogicalIdOfABucketThatNeverFitsInSixtyThreeCharactersAtAll0123: { Type: 'AWS::S3::Bucket' },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Environment: {
            Variables: {
              HW_VERIFIER_CONFIG: { 'Fn::Join': ['', ['{"eventBucket":"', { Ref: 'EventBucket1A2B3C4D' }, '"}']] },
              ARN: { 'Fn::GetAtt': ['EventBucket1A2B3C4D', 'Arn'] },
              DOMAIN: { 'Fn::GetAtt': ['EventBucket1A2B3C4D', 'RegionalDomainName'] },
              OBJECTS: { 'Fn::Sub': '${EventBucket1A2B3C4D.Arn}/payloads/*' },
            },
          },
        },
      },
    },
  };

  test('creates each bucket under a name S3 accepts, applies versioning, S3-managed encryption and the public access block, resolves Ref and Fn::GetAtt to it, and empties and deletes it on destroy', async () => {
    const resolver = new TemplateResolver(template, { region, accountId: '123456789012', stackName: 'Buckets' });
    const prefix = `HW-${uniqueName('b').slice(-10)}`; // upper case: bucket names may not have it
    const resources = await createTemplateResources(resolver, clients, prefix);
    const names = [...resources.buckets.values()].map((bucket) => bucket.name);
    let destroyed = false;
    try {
      expect(names).toHaveLength(3);
      for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      const events = resources.buckets.get('EventBucket1A2B3C4D');
      expect(events).toMatchObject({ name: `${prefix.toLowerCase()}-eventbucket1a2b3c4d`, arn: `arn:aws:s3:::${prefix.toLowerCase()}-eventbucket1a2b3c4d`, versioned: true });
      expect(resources.buckets.get('Named')?.name).toBe(`${prefix.toLowerCase()}-my-explicit-name`);
      const name = events?.name as string;

      expect(resolver.resolve(template.Resources.Fn.Properties?.Environment)).toEqual({
        Variables: {
          HW_VERIFIER_CONFIG: `{"eventBucket":"${name}"}`,
          ARN: `arn:aws:s3:::${name}`,
          DOMAIN: `${name}.s3.us-east-1.amazonaws.com`,
          OBJECTS: `arn:aws:s3:::${name}/payloads/*`,
        },
      });
      expect((await clients.s3.send(new GetBucketVersioningCommand({ Bucket: name }))).Status).toBe('Enabled');
      const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: name }));
      expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
      expect((await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
      // Not applied: moto would store the rules but never expire an object.
      await expect(clients.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: name }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });

      // Two versions and a delete marker: destroy must remove every one before S3 deletes the bucket.
      await clients.s3.send(new PutObjectCommand({ Bucket: name, Key: 'archive/by-id/a.json', Body: '1' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: name, Key: 'archive/by-id/a.json', Body: '2' }));
      await clients.s3.send(new DeleteObjectCommand({ Bucket: name, Key: 'archive/by-id/a.json' }));
      await clients.s3.send(new PutObjectCommand({ Bucket: resources.buckets.get('Named')?.name, Key: 'k', Body: 'x' }));
      await resources.destroy();
      destroyed = true;
      for (const bucketName of names) expect(await notFound(clients.s3, bucketName)).toBe('NotFound');
    } finally {
      if (!destroyed) await resources.destroy();
    }
  });
});

describe('a processor bundled with its own S3 client, run by the harness', () => {
  let harness: Harness;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'hw-s3-probe-'));
    const source = path.join(__dirname, 'support', 's3-probe');
    await Promise.all([
      build({ ...bundling.handlerBuildOptions({ lazyModules: { [path.join(source, 'store.ts')]: 'store.js' } }), entryPoints: [path.join(source, 'index.ts')], outfile: path.join(work, 'index.js'), logLevel: 'error' }),
      build({ ...bundling.handlerBuildOptions(), entryPoints: [path.join(source, 'store.ts')], outfile: path.join(work, 'store.js'), logLevel: 'error' }),
    ]);
    // The largest body the construct takes: an endpoint with it always has an event bucket.
    const { stack } = endpointStack({ maxBodySize: Size.kibibytes(4560) });
    harness = await startHarness({ stack, processors: { fulfilment: { bundle: path.join(work, 'index.js') } } });
  });
  afterAll(async () => {
    await harness?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('the template\'s event bucket exists, the processor is told its name, and its writes and reads reach it through the proxy, counted as the processor\'s', async () => {
    const bucket = harness.eventBucket?.name as string;
    expect(bucket).toMatch(/^hw-[a-z0-9-]+$/);
    expect(harness.config.eventBucket).toBe(bucket);
    expect(await notFound(harness.aws.s3, bucket)).toBe('exists');
    expect(harness.processors.fulfilment.function?.definition.environment[ENV.EVENT_BUCKET]).toBe(bucket);

    const body = JSON.stringify({ probe: randomBytes(8).toString('hex') });
    const sent = await harness.aws.sqs.send(new SendMessageCommand({ QueueUrl: harness.processors.fulfilment.queue.url, MessageBody: body, MessageGroupId: 'g', MessageDeduplicationId: 'probe-1' }));
    const stored = await eventually(() => harness.aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `seen/${sent.MessageId}` }))
      .then((object) => object.Body?.transformToString(), () => undefined));
    expect(stored).toBe(body);
    await harness.waitForIdle();
    expect(harness.proxy.counts({ role: 'processor', owner: 'fulfilment', service: 's3' })).toEqual({ 's3.PutObject': 1, 's3.GetObject': 1 });
    expect(harness.proxy.calls.filter((call) => call.service === 's3').every((call) => call.resource === bucket && call.status === 200)).toBe(true);
  });
});
