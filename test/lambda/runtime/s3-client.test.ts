import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { webhookProcessor } from '../../../lambda/runtime';
import { payloadKey } from '../../../lambda/shared/contract';
import { createBucket, createIdempotencyTable, dynamoDb, motoEndpoint, s3 } from '../../support/aws';
import { batch, envelopeOf, failedIds, lambdaContext, sha256Hex, sqsRecord } from './messages';

/**
 * The runtime's own S3 client (no `s3Client` option): built once per execution environment, and
 * only when a message keeps its body in S3. Every S3Client this test file constructs is counted;
 * the runtime's is pointed at moto (in Lambda it takes its Region and credentials from the environment).
 */
// `mock` prefix: jest hoists the factory above this line, and lets it refer to such names only.
const mockBuilt: unknown[] = [];
jest.mock('@aws-sdk/client-s3', () => {
  const actual = jest.requireActual<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3');
  class CountedS3Client extends actual.S3Client {
    public constructor(config: ConstructorParameters<typeof actual.S3Client>[0]) {
      mockBuilt.push(config);
      super({ ...config, endpoint: process.env.HW_MOTO_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true });
    }
  }
  return { ...actual, S3Client: CountedS3Client };
});

let dynamo: DynamoDBClient;
let objects: S3Client;
let tableName: string;
let eventBucket: string;

beforeAll(async () => {
  motoEndpoint();
  dynamo = dynamoDb();
  objects = s3();
  [tableName, eventBucket] = await Promise.all([createIdempotencyTable(dynamo, 'runtime-s3-client'), createBucket(objects, 'lazy')]);
  mockBuilt.length = 0; // the test's own client is not the runtime's
});

test('no S3 client is built for inline bodies; one is built on the first body kept in S3 and shared by every later one', async () => {
  const seen: string[] = [];
  const processor = () => webhookProcessor((event) => void seen.push(event.id), { tableName, processorName: 'lazy', dynamoDbClient: dynamo, eventBucket });
  const run = processor();

  // GIVEN only inline bodies: no client
  expect(failedIds(await run(batch(sqsRecord(envelopeOf('evt_inline_1')), sqsRecord(envelopeOf('evt_inline_2'), 'g2')), lambdaContext()))).toEqual([]);
  expect(mockBuilt).toHaveLength(0);

  // WHEN bodies kept in S3 arrive, in two invocations and at two processors built in one environment
  const refer = async (eventId: string) => {
    const body = Buffer.from(JSON.stringify({ id: eventId }));
    const key = payloadKey('lazy', sha256Hex(eventId), sha256Hex(body));
    await objects.send(new PutObjectCommand({ Bucket: eventBucket, Key: key, Body: body }));
    return sqsRecord(envelopeOf(eventId, { body: '', bodyRef: { bucket: eventBucket, key, bytes: body.length, sha256: sha256Hex(body) } }));
  };
  const first = await refer('evt_ref_1');
  expect(failedIds(await run(batch(first), lambdaContext()))).toEqual([]);
  expect(mockBuilt).toHaveLength(1);
  const second = await refer('evt_ref_2');
  const third = await refer('evt_ref_3');
  expect(failedIds(await run(batch(second), lambdaContext()))).toEqual([]);
  expect(failedIds(await processor()(batch(third), lambdaContext()))).toEqual([]);

  // THEN each was read with the one client built on the first, from the environment's settings
  expect(mockBuilt).toEqual([{}]);
  expect(seen).toEqual(['evt_inline_1', 'evt_inline_2', 'evt_ref_1', 'evt_ref_2', 'evt_ref_3']);
});
