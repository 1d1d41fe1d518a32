import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TABLE } from '../../lambda/shared/contract';

/** The moto server started by the global set-up; fails loudly if the suite runs without it. */
export function motoEndpoint(): string {
  const endpoint = process.env.HW_MOTO_ENDPOINT;
  if (!endpoint) throw new Error('HW_MOTO_ENDPOINT is not set: run the suite with jest (its global set-up starts moto)');
  return endpoint;
}

const common = () => ({ endpoint: motoEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

export const dynamoDb = () => new DynamoDBClient(common());
export const sqs = () => new SQSClient(common());
export const secretsManager = () => new SecretsManagerClient(common());
/** Path-style: moto on loopback has no DNS for virtual-hosted bucket names. */
export const s3 = () => new S3Client({ ...common(), forcePathStyle: true });

/** Creates a bucket no other test uses and returns its name (lower case, as S3 requires). */
export async function createBucket(client: S3Client, prefix: string): Promise<string> {
  const bucket = uniqueName(prefix).toLowerCase().slice(0, 63);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** A name no other test uses, so suites can share one emulator. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a table with the idempotency table's key schema (as the construct declares it) and returns its name. */
export async function createIdempotencyTable(client: DynamoDBClient, prefix: string): Promise<string> {
  const tableName = uniqueName(prefix);
  await client.send(new CreateTableCommand({
    TableName: tableName,
    KeySchema: [{ AttributeName: TABLE.PARTITION_KEY, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: TABLE.PARTITION_KEY, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  return tableName;
}
