/**
 * Shared set-up of the archive and replay tests: archived events written into a bucket the way the
 * verifier writes them (the contract's key functions; the time-index entry first, then the record,
 * first receipt wins), and an endpoint's stack deployed into moto's CloudFormation.
 */
import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import {
  ARCHIVE_RECORD_VERSION, archiveRecordKey, archiveTimeKey, ENV, type ArchiveRecord, type WebhookEnvelope,
} from '../../../../lambda/shared/contract';
import { motoEndpoint, uniqueName } from '../../../support/aws';
import { drainAll } from '../redrive/support';

export const sha256Hex = (value: string | Buffer): string => createHash('sha256').update(value).digest('hex');

/** An archive record for `id`, received at `receivedAtMs`, with a body nobody may see printed. */
export function record(id: string, receivedAtMs: number, overrides: Partial<ArchiveRecord> = {}): ArchiveRecord {
  return {
    v: ARCHIVE_RECORD_VERSION,
    id,
    type: 'invoice.paid',
    provider: 'stripe',
    receivedAt: new Date(receivedAtMs).toISOString(),
    groupId: 'cus_a',
    contentType: 'application/json',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=1,v1=SIGNATURE-${id}` },
    body: JSON.stringify({ id, data: { card_secret: `SECRET-${id}` } }),
    bodyEncoding: 'utf8',
    ...overrides,
  };
}

/** Archives as the verifier does: the time-index entry, then the record (IfNoneMatch: the first receipt stands). */
export async function archive(s3: S3Client, bucket: string, ...records: readonly ArchiveRecord[]): Promise<void> {
  for (const r of records) {
    const digest = sha256Hex(r.id);
    await timeEntry(s3, bucket, r.id, Date.parse(r.receivedAt));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: archiveRecordKey(digest), Body: JSON.stringify(r), IfNoneMatch: '*', ContentType: 'application/json' }));
  }
}

/** An entry of the time index alone: what a retry leaves when its record was already archived. */
export async function timeEntry(s3: S3Client, bucket: string, id: string, atMs: number): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: archiveTimeKey(atMs, sha256Hex(id)), Body: new Uint8Array(0) }));
}

/** The envelopes of every message in a queue (received and deleted), with their SQS attributes. */
export async function envelopesIn(client: SQSClient, queueUrl: string): Promise<Array<{ envelope: WebhookEnvelope; groupId: string; dedupId: string; body: string }>> {
  return (await drainAll(client, queueUrl)).map((m) => ({
    envelope: JSON.parse(m.Body!) as WebhookEnvelope,
    groupId: m.Attributes!.MessageGroupId!,
    dedupId: m.Attributes!.MessageDeduplicationId!,
    body: m.Body!,
  }));
}

/** The exact bytes an inline envelope carries. */
export function inlineBytes(envelope: WebhookEnvelope): Buffer {
  return Buffer.from(envelope.body, envelope.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

export interface DeployedEndpoint {
  readonly stackName: string;
  readonly bucket: string;
  /** Queue URL per processor name. */
  readonly queues: Record<string, string>;
}

export interface EndpointShape {
  /** Processor name → event type patterns. */
  readonly processors: Record<string, readonly string[]>;
  /**
   * How the bucket can be found: the verifier's configuration (and the bucket's path), or the
   * bucket's `aws:cdk:path` only (a verifier configuration without `eventBucket`).
   * @default 'verifier-config'
   */
  readonly bucketFoundBy?: 'verifier-config' | 'cdk-path';
}

/**
 * Deploys, into moto's CloudFormation, the part of an endpoint the archive commands read: the
 * verifier function with its configuration (a `Fn::Join` of JSON and `Ref`s, as the construct writes
 * it), the event bucket and each processor's FIFO queue and dead-letter queue, with cdk paths.
 */
export async function deployEndpoint(shape: EndpointShape): Promise<DeployedEndpoint> {
  const stackName = uniqueName('Archive').replace(/[^A-Za-z0-9-]/g, '-');
  const path = (suffix: string) => ({ 'aws:cdk:path': `${stackName}/Hooks/${suffix}` });
  const resources: Record<string, unknown> = {
    HooksEventBucket1A2B3C4D: { Type: 'AWS::S3::Bucket', Metadata: path('EventBucket/Resource') },
    HooksVerifierRoleABCD: {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    },
  };
  const routes: unknown[] = [];
  for (const [name, eventTypes] of Object.entries(shape.processors)) {
    const id = `Hooks${name.replace(/[^A-Za-z0-9]/g, '')}`;
    // Named here only because moto, unlike CloudFormation, does not add .fifo to a generated FIFO queue name.
    resources[`${id}DeadLetterQueue`] = { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, QueueName: `${stackName}-${name}-dlq.fifo` }, Metadata: path(`${name}/DeadLetterQueue/Resource`) };
    resources[`${id}Queue`] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        FifoQueue: true,
        QueueName: `${stackName}-${name}.fifo`,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [`${id}DeadLetterQueue`, 'Arn'] }, maxReceiveCount: 5 },
      },
      Metadata: path(`${name}/Queue/Resource`),
    };
    routes.push({ name, eventTypes, queueUrl: `@@${id}Queue@@` });
  }
  const config = {
    endpointName: `${stackName}/Hooks`,
    provider: { scheme: 'stripe', options: {} },
    tableName: '@@table@@',
    processors: routes,
    ...(shape.bucketFoundBy === 'cdk-path' ? {} : { eventBucket: '@@HooksEventBucket1A2B3C4D@@', archive: { headers: ['content-type', 'stripe-signature'] } }),
  };
  // The JSON text around each token, as the construct's Fn::Join has it.
  const parts = JSON.stringify(config).split(/@@([A-Za-z0-9]+)@@/).map((part, i) => (i % 2 === 0 ? part : part === 'table' ? 'hw-table' : { Ref: part }));
  resources.HooksVerifier1234ABCD = {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'exports.handler = async () => ({})' },
      Role: { 'Fn::GetAtt': ['HooksVerifierRoleABCD', 'Arn'] },
      Environment: { Variables: { [ENV.VERIFIER_CONFIG]: { 'Fn::Join': ['', parts] } } },
    },
    Metadata: path('Verifier/Resource'),
  };
  const cloudFormation = new CloudFormation({ endpoint: motoEndpoint(), region: 'us-east-1' });
  try {
    await cloudFormation.createStack({ StackName: stackName, TemplateBody: JSON.stringify({ Resources: resources }) });
    const { StackResources = [] } = await cloudFormation.describeStackResources({ StackName: stackName });
    const physical = (logicalId: string) => StackResources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId as string;
    const queues = Object.fromEntries(Object.keys(shape.processors).map((name) => [name, physical(`Hooks${name.replace(/[^A-Za-z0-9]/g, '')}Queue`)]));
    return { stackName, bucket: physical('HooksEventBucket1A2B3C4D'), queues };
  } finally {
    cloudFormation.destroy();
  }
}
