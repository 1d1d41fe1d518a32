import { createHash, randomBytes } from 'node:crypto';
import {
  CreateTableCommand, DeleteTableCommand, UpdateTimeToLiveCommand, type CreateTableCommandInput, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, DeleteSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, PutBucketEncryptionCommand, PutBucketVersioningCommand,
  PutPublicAccessBlockCommand, type BucketLocationConstraint, type S3Client, type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  UnresolvedReferenceError, UnsupportedTemplateError, type CfnResource, type TemplateResolver,
} from './template';

/** A DynamoDB table created from the template. */
export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** An SQS queue created from the template, with the attributes it was created with. */
export interface LocalQueue {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  /** The queue attributes as created (strings, as SQS stores them). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The dead-letter queue named by the RedrivePolicy, if any. */
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

/** A Secrets Manager secret created from the template. */
export interface LocalSecret {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** An S3 bucket created from the template. */
export interface LocalBucket {
  readonly logicalId: string;
  /** The bucket's name in the emulator (what `Ref` resolves to). */
  readonly name: string;
  readonly arn: string;
  /** Whether the template turns versioning on (then deleting an object keeps its earlier versions). */
  readonly versioned: boolean;
}

/** Every emulated resource created from one template. */
export interface LocalResources {
  readonly tables: ReadonlyMap<string, LocalTable>;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  readonly secrets: ReadonlyMap<string, LocalSecret>;
  readonly buckets: ReadonlyMap<string, LocalBucket>;
  /** Deletes everything created (best effort). */
  destroy(): Promise<void>;
}

/** SDK clients pointed straight at the emulator (the "CloudFormation" side: not counted, never faulted). */
export interface EmulatorClients {
  readonly dynamoDb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly secretsManager: SecretsManagerClient;
  /** Path-style (`forcePathStyle`): the emulator on loopback has no DNS for `<bucket>.<host>` names. */
  readonly s3: S3Client;
}

const TABLE = 'AWS::DynamoDB::Table';
const QUEUE = 'AWS::SQS::Queue';
const SECRET = 'AWS::SecretsManager::Secret';
const BUCKET = 'AWS::S3::Bucket';

/** Resource types the harness creates in the emulator. */
export const CREATED_TYPES: readonly string[] = [TABLE, QUEUE, SECRET, BUCKET];

/** Queue properties of AWS::SQS::Queue that are queue attributes of the same name. */
const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication', 'DeduplicationScope', 'DelaySeconds', 'FifoQueue', 'FifoThroughputLimit', 'KmsDataKeyReusePeriodSeconds',
  'KmsMasterKeyId', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'RedriveAllowPolicy', 'RedrivePolicy',
  'SqsManagedSseEnabled', 'VisibilityTimeout',
] as const;

/**
 * Creates the template's DynamoDB tables, SQS queues and Secrets Manager secrets in the emulator,
 * in dependency order (a queue's RedrivePolicy needs its dead-letter queue's ARN), with names
 * prefixed by `prefix` so that concurrent harnesses sharing one emulator never collide. Registers
 * every created resource with the resolver, so later `Ref`s resolve to the emulated resources.
 */
export async function createTemplateResources(
  resolver: TemplateResolver, clients: EmulatorClients, prefix: string, include: (logicalId: string) => boolean = () => true,
): Promise<LocalResources> {
  const tables = new Map<string, LocalTable>();
  const queues = new Map<string, LocalQueue>();
  const secrets = new Map<string, LocalSecret>();
  const buckets = new Map<string, LocalBucket>();
  const template = resolver.template;
  const pending = new Map<string, CfnResource>(
    Object.entries(template.Resources).filter(([logicalId, resource]) => CREATED_TYPES.includes(resource.Type) && !resource.Condition && include(logicalId)),
  );

  const created: Array<() => Promise<unknown>> = [];
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(created.reverse().map((undo) => undo()));
  };

  try {
    while (pending.size > 0) {
      let progress = false;
      let lastBlocker: UnresolvedReferenceError | undefined;
      for (const [logicalId, resource] of [...pending]) {
        let properties: Record<string, unknown>;
        try {
          properties = resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
        } catch (error) {
          if (error instanceof UnresolvedReferenceError && pending.has(error.logicalId)) {
            lastBlocker = error;
            continue;
          }
          throw error;
        }
        pending.delete(logicalId);
        progress = true;
        if (resource.Type === TABLE) {
          const table = await createTable(clients.dynamoDb, logicalId, properties, prefix, resolver.pseudo);
          created.push(() => clients.dynamoDb.send(new DeleteTableCommand({ TableName: table.name })));
          tables.set(logicalId, table);
          resolver.register(logicalId, { ref: table.name, attributes: { Arn: table.arn } });
        } else if (resource.Type === QUEUE) {
          const queue = await createQueue(clients.sqs, logicalId, properties, prefix);
          created.push(() => clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url })));
          queues.set(logicalId, queue);
          resolver.register(logicalId, { ref: queue.url, attributes: { Arn: queue.arn, QueueName: queue.name, QueueUrl: queue.url } });
        } else if (resource.Type === BUCKET) {
          const bucket = await createBucket(clients.s3, logicalId, properties, prefix, resolver.pseudo);
          created.push(() => deleteBucket(clients.s3, bucket.name));
          buckets.set(logicalId, bucket);
          resolver.register(logicalId, { ref: bucket.name, attributes: bucketAttributes(bucket, resolver.pseudo) });
        } else {
          const secret = await createSecret(clients.secretsManager, logicalId, properties, prefix);
          created.push(() => clients.secretsManager.send(new DeleteSecretCommand({ SecretId: secret.arn, ForceDeleteWithoutRecovery: true })));
          secrets.set(logicalId, secret);
          resolver.register(logicalId, { ref: secret.arn, attributes: { Id: secret.arn } });
        }
      }
      if (!progress) {
        throw new UnsupportedTemplateError(`circular references between emulated resources (${[...pending.keys()].join(', ')}): ${lastBlocker?.message ?? ''}`);
      }
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { tables, queues, secrets, buckets, destroy };
}

/**
 * A physical name for a created resource: `<prefix>-<logicalId>`, within the service's length limit
 * (a hash keeps it unique when it must be shortened). Explicit names in the template are prefixed too.
 */
export function physicalName(prefix: string, logicalId: string, maxLength: number, suffix = ''): string {
  const base = `${prefix}-${logicalId}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const room = maxLength - suffix.length;
  if (base.length <= room) return base + suffix;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, room - 9)}-${hash}${suffix}`;
}

async function createTable(
  client: DynamoDBClient, logicalId: string, properties: Record<string, unknown>, prefix: string, pseudo: { region: string; accountId: string },
): Promise<LocalTable> {
  const explicit = properties.TableName as string | undefined;
  const name = physicalName(prefix, explicit ?? logicalId, 255);
  const billingMode = (properties.BillingMode as string | undefined) ?? 'PROVISIONED';
  const input: CreateTableCommandInput = {
    TableName: name,
    AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    BillingMode: billingMode as CreateTableCommandInput['BillingMode'],
    ...(billingMode === 'PROVISIONED' ? { ProvisionedThroughput: (properties.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput']) ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } } : {}),
    ...(properties.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'] } : {}),
    ...(properties.LocalSecondaryIndexes ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'] } : {}),
    ...(properties.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, ...(properties.StreamSpecification as object) } } : {}),
  };
  const result = await client.send(new CreateTableCommand(input));
  const ttl = properties.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  return { logicalId, name, arn: result.TableDescription?.TableArn ?? `arn:aws:dynamodb:${pseudo.region}:${pseudo.accountId}:table/${name}` };
}

async function createQueue(client: SQSClient, logicalId: string, properties: Record<string, unknown>, prefix: string): Promise<LocalQueue> {
  const fifo = properties.FifoQueue === true || properties.FifoQueue === 'true';
  const explicit = (properties.QueueName as string | undefined)?.replace(/\.fifo$/, '');
  const name = physicalName(prefix, explicit ?? logicalId, 80, fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  for (const key of QUEUE_ATTRIBUTES) {
    const value = properties[key];
    if (value === undefined || value === null) continue;
    attributes[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  if (!fifo) delete attributes.FifoQueue;
  // Moto needs a KMS key to exist for KmsMasterKeyId; queue encryption is not what the harness tests.
  delete attributes.KmsMasterKeyId;
  delete attributes.KmsDataKeyReusePeriodSeconds;
  const { QueueUrl: url } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!url) throw new Error(`the emulator returned no URL for queue ${name}`);
  const described = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`the emulator returned no ARN for queue ${name}`);
  const redrive = properties.RedrivePolicy as { deadLetterTargetArn?: string; maxReceiveCount?: number | string } | undefined;
  return {
    logicalId, name, url, arn, fifo, attributes,
    redrive: redrive?.deadLetterTargetArn ? { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
  };
}

async function createSecret(client: SecretsManagerClient, logicalId: string, properties: Record<string, unknown>, prefix: string): Promise<LocalSecret> {
  const explicit = properties.Name as string | undefined;
  const name = physicalName(prefix, explicit ?? logicalId, 512);
  let secretString = properties.SecretString as string | undefined;
  const generate = properties.GenerateSecretString as { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: number } | undefined;
  if (secretString === undefined && generate) {
    const value = randomBytes(Math.ceil((generate.PasswordLength ?? 32) * 0.75)).toString('base64url').slice(0, generate.PasswordLength ?? 32);
    secretString = generate.SecretStringTemplate && generate.GenerateStringKey
      ? JSON.stringify({ ...JSON.parse(generate.SecretStringTemplate) as object, [generate.GenerateStringKey]: value })
      : value;
  }
  const result = await client.send(new CreateSecretCommand({
    Name: name,
    Description: properties.Description as string | undefined,
    ...(secretString !== undefined ? { SecretString: secretString } : {}),
  }));
  if (!result.ARN) throw new Error(`the emulator returned no ARN for secret ${name}`);
  return { logicalId, name, arn: result.ARN };
}

/**
 * A bucket name S3 accepts for a created bucket: `<prefix>-<logicalId>` (or the template's
 * BucketName, prefixed), lower case, letters, digits and hyphens only, at most 63 characters, and
 * starting and ending with a letter or digit. A hash keeps it unique when it must be shortened.
 */
export function bucketName(prefix: string, logicalId: string): string {
  const base = physicalName(prefix, logicalId, 63).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return base.replace(/^-+|-+$/g, '').padEnd(3, '0');
}

/** What `Fn::GetAtt` reads from a bucket, as CloudFormation documents the attributes. */
function bucketAttributes(bucket: LocalBucket, pseudo: { region: string; partition?: string; urlSuffix?: string }): Record<string, string> {
  const suffix = pseudo.urlSuffix ?? 'amazonaws.com';
  return {
    Arn: bucket.arn,
    DomainName: `${bucket.name}.s3.${suffix}`,
    RegionalDomainName: `${bucket.name}.s3.${pseudo.region}.${suffix}`,
    DualStackDomainName: `${bucket.name}.s3.dualstack.${pseudo.region}.${suffix}`,
    WebsiteURL: `http://${bucket.name}.s3-website-${pseudo.region}.${suffix}`,
  };
}

/**
 * Creates an AWS::S3::Bucket with what of it changes how the handlers' calls behave: versioning
 * (an overwrite or a delete keeps the earlier versions — what an erasure must remove), S3-managed
 * encryption and the public access block (moto stores both; neither changes an answer). Not
 * applied: KMS encryption (moto would need the key; queues skip theirs for the same reason),
 * lifecycle rules (moto stores them but never expires an object, as it never expires TTL items),
 * and the bucket policy, a resource of its own (IAM is not emulated: moto without IAM
 * authentication evaluates no policy, so a Deny on `aws:SecureTransport` would change nothing
 * either way). Logging, notifications, CORS, ownership controls, object lock and tags are
 * ignored.
 */
async function createBucket(
  client: S3Client, logicalId: string, properties: Record<string, unknown>, prefix: string, pseudo: { region: string; partition?: string },
): Promise<LocalBucket> {
  const explicit = properties.BucketName as string | undefined;
  const name = bucketName(prefix, explicit ?? logicalId);
  // us-east-1 is the one region S3 refuses a LocationConstraint for.
  await client.send(new CreateBucketCommand({
    Bucket: name,
    ...(pseudo.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: pseudo.region as BucketLocationConstraint } }),
  }));
  const versioning = properties.VersioningConfiguration as { Status?: string } | undefined;
  const versioned = versioning?.Status === 'Enabled';
  if (versioning?.Status === 'Enabled' || versioning?.Status === 'Suspended') {
    await client.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: versioning.Status } }));
  }
  // CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
  type CfnRule = { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string }; BucketKeyEnabled?: boolean };
  const encryption = properties.BucketEncryption as { ServerSideEncryptionConfiguration?: CfnRule[] } | undefined;
  const s3Managed: ServerSideEncryptionRule[] = (encryption?.ServerSideEncryptionConfiguration ?? [])
    .filter((rule) => rule.ServerSideEncryptionByDefault?.SSEAlgorithm === 'AES256')
    .map((rule) => ({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, ...(rule.BucketKeyEnabled !== undefined ? { BucketKeyEnabled: rule.BucketKeyEnabled } : {}) }));
  if (s3Managed.length > 0) {
    await client.send(new PutBucketEncryptionCommand({ Bucket: name, ServerSideEncryptionConfiguration: { Rules: s3Managed } }));
  }
  const publicAccessBlock = properties.PublicAccessBlockConfiguration as Record<string, boolean> | undefined;
  if (publicAccessBlock) {
    await client.send(new PutPublicAccessBlockCommand({ Bucket: name, PublicAccessBlockConfiguration: publicAccessBlock }));
  }
  return { logicalId, name, arn: `arn:${pseudo.partition ?? 'aws'}:s3:::${name}`, versioned };
}

/** Deletes every object version and delete marker of a bucket, then the bucket (S3 deletes only empty buckets). */
async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  // Each pass lists what is left from the start; deleted entries are gone, so this ends.
  for (let pass = 0; pass < 1000; pass++) {
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const entries = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]
      .filter((entry) => entry.Key !== undefined)
      .map((entry) => ({ Key: entry.Key as string, ...(entry.VersionId ? { VersionId: entry.VersionId } : {}) }));
    if (entries.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: entries, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
