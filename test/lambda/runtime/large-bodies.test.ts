import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { webhookProcessor, type WebhookEvent, type WebhookProcessorOptions } from '../../../lambda/runtime';
import { ENV, payloadKey, type BodyReference } from '../../../lambda/shared/contract';
import { createBucket, createIdempotencyTable, dynamoDb, s3, uniqueName } from '../../support/aws';
import { batch, envelopeOf, failedIds, lambdaContext, recordsOf, sha256Hex, sqsRecord } from './messages';

/**
 * Bodies too large for their SQS message (the claim check), against moto's S3 and DynamoDB: the
 * runtime reads the object the message refers to, checks it, and hands the handler the same event;
 * an object that cannot be read or does not match fails the record, never reaches the handler.
 */
let dynamo: DynamoDBClient;
let objects: S3Client;
let tableName: string;
let eventBucket: string;
let otherBucket: string;

beforeAll(async () => {
  dynamo = dynamoDb();
  objects = s3();
  [tableName, eventBucket, otherBucket] = await Promise.all([
    createIdempotencyTable(dynamo, 'runtime-large'),
    createBucket(objects, 'events'),
    createBucket(objects, 'other'),
  ]);
});

/** A JSON body over SQS's 1 MiB message limit, with multi-byte characters. */
function largeJsonBody(eventId: string): Buffer {
  return Buffer.from(JSON.stringify({ id: eventId, note: 'café ☕ '.repeat(120_000) }), 'utf8');
}

/** Stores `body` where the verifier keeps it for (processor, event) and returns the message's reference to it. */
async function storeBody(processorName: string, eventId: string, body: Buffer, bucket = eventBucket): Promise<BodyReference> {
  const key = payloadKey(processorName, sha256Hex(eventId), sha256Hex(body));
  await objects.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { bucket, key, bytes: body.length, sha256: sha256Hex(body) };
}

/** The record of a message that keeps its body in S3. */
const referring = (eventId: string, ref: BodyReference, group = 'g1') => sqsRecord(envelopeOf(eventId, { body: '', bodyRef: ref }), group);

function processor(processorName: string, handler: (event: WebhookEvent) => void, options: WebhookProcessorOptions = {}) {
  return webhookProcessor(handler, { tableName, processorName, dynamoDbClient: dynamo, s3Client: objects, eventBucket, ...options });
}

describe('a body kept in S3', () => {
  test('is handed to the handler exactly (rawBody, json()), and a redelivery of the completed event is skipped without reading it', async () => {
    // GIVEN a 1.2 MB JSON body stored by the verifier, and the message that refers to it
    const seen: WebhookEvent[] = [];
    const run = processor('large', (event) => void seen.push(event));
    const body = largeJsonBody('evt_large');
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const ref = await storeBody('large', 'evt_large', body);

    // WHEN it is delivered
    expect(await run(batch(referring('evt_large', ref)), lambdaContext())).toEqual({ batchItemFailures: [] });

    // THEN the handler saw the exact bytes and the parsed JSON, as for an inline body
    expect(seen).toHaveLength(1);
    expect(seen[0].rawBody.equals(body)).toBe(true);
    expect(seen[0].json<{ id: string; note: string }>()).toEqual(JSON.parse(body.toString('utf8')));
    expect(seen[0]).toMatchObject({ id: 'evt_large', type: 'test.event', provider: 'stripe' });
    // AND once the object is gone (its lifecycle rule), a redelivery is still skipped, not failed
    await objects.send(new DeleteObjectCommand({ Bucket: eventBucket, Key: ref.key }));
    expect(await run(batch(referring('evt_large', ref)), lambdaContext())).toEqual({ batchItemFailures: [] });
    expect(seen).toHaveLength(1);
  });

  test('binary bytes come back byte for byte', async () => {
    const seen: Buffer[] = [];
    const run = processor('large-binary', (event) => void seen.push(event.rawBody));
    const body = randomBytes(1_100_000);
    const ref = await storeBody('large-binary', 'evt_binary', body);
    expect(failedIds(await run(batch(referring('evt_binary', ref)), lambdaContext()))).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0].equals(body)).toBe(true);
  });

  test('a missing object fails the record without running the handler; later messages of its group wait, other groups go on; the retry runs once it is there', async () => {
    // GIVEN a message whose object is not (yet, or any more) in the bucket, followed by another message of its group and one of another group
    const seen: string[] = [];
    const counts: string[] = [];
    const run = processor('missing', (event) => void seen.push(event.id), { metrics: { count: (name) => void counts.push(name) } });
    const body = largeJsonBody('evt_missing');
    const ref: BodyReference = { bucket: eventBucket, key: payloadKey('missing', sha256Hex('evt_missing'), sha256Hex(body)), bytes: body.length, sha256: sha256Hex(body) };
    const missing = referring('evt_missing', ref, 'A');
    const next = sqsRecord(envelopeOf('evt_next'), 'A');
    const other = sqsRecord(envelopeOf('evt_other'), 'B');

    // WHEN the batch is processed
    const response = await run(batch(missing, next, other), lambdaContext());

    // THEN the missing body's record fails, so does the next of its group (unprocessed), the other group is done
    expect(failedIds(response)).toEqual([missing.messageId, next.messageId]);
    expect(seen).toEqual(['evt_other']);
    expect(counts).toEqual(['ProcessorFailures', 'Processed']);
    // AND no claim is left behind: once the object is there, the redelivery runs the handler
    expect((await recordsOf(dynamo, tableName, 'missing')).map((item) => item.status?.S)).toEqual(['COMPLETED']);
    await storeBody('missing', 'evt_missing', body);
    expect(failedIds(await run(batch(missing, next), lambdaContext()))).toEqual([]);
    expect(seen).toEqual(['evt_other', 'evt_missing', 'evt_next']);
  });

  test.each([
    ['other bytes of the same length', (body: Buffer) => Buffer.concat([body.subarray(0, body.length - 3), Buffer.from('}}}')])],
    ['a longer object', (body: Buffer) => Buffer.concat([body, Buffer.from(' ')])],
    ['a shorter object', (body: Buffer) => body.subarray(0, body.length - 1)],
  ])('an object replaced by %s fails the record; the handler never sees it', async (_, tamper) => {
    // GIVEN the object the message refers to was overwritten after the verifier stored it
    const seen: string[] = [];
    const run = processor('tampered', (event) => void seen.push(event.id));
    const eventId = uniqueName('evt_tampered');
    const body = largeJsonBody(eventId);
    const ref = await storeBody('tampered', eventId, body);
    await objects.send(new PutObjectCommand({ Bucket: eventBucket, Key: ref.key, Body: tamper(body) }));
    // WHEN it is delivered, THEN it fails, every time
    const message = referring(eventId, ref);
    expect(failedIds(await run(batch(message), lambdaContext()))).toEqual([message.messageId]);
    expect(failedIds(await run(batch(message), lambdaContext()))).toEqual([message.messageId]);
    expect(seen).toEqual([]);
  });

  test('a message naming another bucket fails, even where that bucket holds the right bytes at the right key', async () => {
    const seen: string[] = [];
    const run = processor('foreign', (event) => void seen.push(event.id));
    const body = largeJsonBody('evt_foreign');
    const ref = await storeBody('foreign', 'evt_foreign', body, otherBucket);
    const message = referring('evt_foreign', ref);
    expect(failedIds(await run(batch(message), lambdaContext()))).toEqual([message.messageId]);
    expect(seen).toEqual([]);
    // The same reference in the processor's own bucket is read: only the bucket made the difference.
    await storeBody('foreign', 'evt_foreign', body);
    expect(failedIds(await run(batch(referring('evt_foreign', { ...ref, bucket: eventBucket })), lambdaContext()))).toEqual([]);
    expect(seen).toEqual(['evt_foreign']);
  });

  test('a message naming another processor\'s object (or another event\'s) fails, though the bytes match', async () => {
    const seen: string[] = [];
    const run = processor('mine', (event) => void seen.push(event.id));
    const body = largeJsonBody('evt_theirs');
    const theirs = await storeBody('theirs', 'evt_theirs', body);
    const otherEvent = await storeBody('mine', 'evt_other_event', body);
    const messages = [referring('evt_theirs', theirs, 'A'), referring('evt_theirs', otherEvent, 'B')];
    expect(failedIds(await run(batch(...messages), lambdaContext()))).toEqual(messages.map((message) => message.messageId));
    expect(seen).toEqual([]);
  });

  test('the event bucket defaults to HW_EVENT_BUCKET; without any, a message keeping its body in S3 fails', async () => {
    const seen: string[] = [];
    const body = largeJsonBody('evt_env');
    const ref = await storeBody('env-bucket', 'evt_env', body);
    const saved = process.env[ENV.EVENT_BUCKET];
    try {
      delete process.env[ENV.EVENT_BUCKET];
      const unconfigured = processor('env-bucket', (event) => void seen.push(event.id), { eventBucket: undefined });
      const message = referring('evt_env', ref);
      expect(failedIds(await unconfigured(batch(message), lambdaContext()))).toEqual([message.messageId]);
      expect(seen).toEqual([]);

      process.env[ENV.EVENT_BUCKET] = eventBucket;
      const configured = processor('env-bucket', (event) => void seen.push(event.id), { eventBucket: undefined });
      expect(failedIds(await configured(batch(referring('evt_env', ref)), lambdaContext()))).toEqual([]);
      expect(seen).toEqual(['evt_env']);
    } finally {
      if (saved === undefined) delete process.env[ENV.EVENT_BUCKET];
      else process.env[ENV.EVENT_BUCKET] = saved;
    }
  });

  test('a message whose body travels inside it is handled as before, without any S3 call', async () => {
    const send = jest.spyOn(objects, 'send');
    try {
      const seen: Buffer[] = [];
      const run = processor('inline', (event) => void seen.push(event.rawBody));
      expect(failedIds(await run(batch(sqsRecord(envelopeOf('evt_inline', { body: '{"id":"evt_inline","a":1}' }))), lambdaContext()))).toEqual([]);
      expect(seen.map((raw) => raw.toString('utf8'))).toEqual(['{"id":"evt_inline","a":1}']);
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });
});
