import { createHash, createHmac } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  archiveRecordKey, archiveTimeKey, CLAIM_STATE, ERROR_CODES, payloadKey, TABLE, type ArchiveRecord, type VerifierConfig, type WebhookEnvelope,
} from '../../../lambda/shared/contract';
import { ClaimStore, claimKey } from '../../../lambda/verifier/claims';
import { Dispatcher, encodeMessage, SQS_MESSAGE_LIMIT_BYTES, type Delivery } from '../../../lambda/verifier/dispatch';
import { DownstreamError, VerifierConfigError } from '../../../lambda/verifier/errors';
import { createVerifier, loadConfig, type VerifierDependencies } from '../../../lambda/verifier/handler';
import { lazyEventBucket, type EventBucket } from '../../../lambda/verifier/objects';
import { S3EventBucket } from '../../../lambda/verifier/s3';
import { createBucket, createIdempotencyTable, dynamoDb, s3, sqs, uniqueName } from '../../support/aws';
import { apiGatewayEvent } from '../../support/requests';

/**
 * The verifier with its event bucket, against moto's S3, DynamoDB and SQS: large bodies stored once
 * per processor and sent by reference (the claim check), and the archive. What each path leaves in
 * the bucket, the table and the queues, and what a failure — or the function dying — between the
 * steps leaves for the sender's retry to finish.
 */
const NOW = Date.UTC(2025, 5, 1, 12, 0, 30);
const SECRET = 'handler-event-bucket-secret';
const KIB = 1024;
/** The largest body a REST API can hand Lambda (README, "Limits"): floor((6,291,456 − 65,536) / 4) × 3. */
const CEILING_BYTES = 4560 * KIB;

let dynamo: DynamoDBClient;
let storage: S3Client;
let queues: SQSClient;
beforeAll(() => {
  dynamo = dynamoDb();
  storage = s3();
  queues = sqs();
});

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

interface RigOptions {
  readonly scheme?: 'stripe' | 'hmac' | 'slack';
  readonly processors?: ReadonlyArray<{ readonly name: string; readonly eventTypes?: string[] }>;
  /** Header names the archive keeps; no archive when absent. */
  readonly archive?: string[];
  /** `missing`: the configuration names a bucket nobody created yet; `none`: no event bucket at all. */
  readonly bucket?: 'created' | 'missing' | 'none';
}

/**
 * A verifier over fresh moto resources (table, bucket, one FIFO queue per processor), recording in
 * `steps` the order of its claim, bucket and queue calls. `verifier()` builds another over the same
 * resources — a new container — with the dispatcher given.
 */
async function rig(options: RigOptions = {}) {
  const tableName = await createIdempotencyTable(dynamo, 'hw-event-bucket');
  const bucketName = options.bucket === 'missing' ? uniqueName('hw-missing').toLowerCase() : options.bucket === 'none' ? undefined : await createBucket(storage, 'hw-events');
  const processors = options.processors ?? [{ name: 'fulfilment' }, { name: 'audit' }];
  const queueUrls = new Map<string, string>();
  for (const { name } of processors) {
    const { QueueUrl } = await queues.send(new CreateQueueCommand({ QueueName: `${uniqueName('hw-eb')}-${name}.fifo`, Attributes: { FifoQueue: 'true' } }));
    queueUrls.set(name, QueueUrl as string);
  }
  const scheme = options.scheme ?? 'stripe';
  const config: VerifierConfig = {
    endpointName: 'EventBucket/Test',
    provider: { scheme, options: scheme === 'hmac' ? { header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', eventId: { header: 'X-Event-Id' }, eventType: { header: 'X-Event-Type' } } : {} },
    signingSecretArn: 'arn', secretCacheTtlSeconds: 60, toleranceSeconds: 300, maxBodyBytes: CEILING_BYTES, tableName, retentionSeconds: 86400,
    processors: processors.map(({ name, eventTypes }) => ({ name, queueUrl: queueUrls.get(name) as string, eventTypes: eventTypes ?? [] })),
    ...(bucketName === undefined ? {} : { eventBucket: bucketName }),
    ...(options.archive === undefined ? {} : { archive: { headers: options.archive } }),
  };
  const steps: string[] = [];
  const puts: Array<{ key: string; ifAbsent: boolean; outcome: string }> = [];
  const clock = { now: NOW };
  const s3Bucket = new S3EventBucket(storage);
  const bucket: EventBucket = {
    put: async (object) => {
      steps.push(`put ${object.key.split('/').slice(0, 2).join('/')}`);
      const outcome = await s3Bucket.put(object).catch((error: unknown) => { puts.push({ key: object.key, ifAbsent: object.ifAbsent === true, outcome: 'failed' }); throw error; });
      puts.push({ key: object.key, ifAbsent: object.ifAbsent === true, outcome });
      return outcome;
    },
  };
  const store = new ClaimStore(dynamo, tableName, 86400, () => clock.now);
  const realDispatcher = new Dispatcher(queues);
  const verifier = (dispatcher: VerifierDependencies['dispatcher'] = realDispatcher) => createVerifier(config, {
    clock: () => clock.now,
    log: () => undefined,
    metric: () => undefined,
    secrets: { active: async () => ({ values: [SECRET] }) },
    claims: {
      claim: async (subject, claimOptions) => { steps.push('claim'); return store.claim(subject, claimOptions); },
      markEnqueued: async (subject) => { steps.push('mark'); return store.markEnqueued(subject); },
      legacyClaim: async (ids) => store.legacyClaim(ids),
    },
    dispatcher: { enqueue: async (...args) => { steps.push('enqueue'); return dispatcher.enqueue(...args); } },
    ...(bucketName === undefined ? {} : { bucket }),
  });
  const handler = verifier();

  /** Every key under a prefix of the bucket. */
  const keys = async (prefix: string) => ((await storage.send(new ListObjectsV2Command({ Bucket: bucketName, Prefix: prefix }))).Contents ?? []).map((o) => o.Key as string).sort();
  const read = async (key: string) => {
    const result = await storage.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    return { body: Buffer.from(await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()), contentType: result.ContentType };
  };
  /** Every message a processor's queue holds (none is deleted, so each call sees them all once they are visible). */
  const messages = async (processor: string) => {
    const { Messages = [] } = await queues.send(new ReceiveMessageCommand({ QueueUrl: queueUrls.get(processor), MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ['All'] }));
    return Messages.map((m) => ({ envelope: JSON.parse(m.Body as string) as WebhookEnvelope, body: m.Body as string, attributes: m.MessageAttributes ?? {}, md5: m.MD5OfBody }));
  };
  const claimState = async (id: string) => (await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE.PARTITION_KEY]: { S: id } }, ConsistentRead: true }))).Item?.[TABLE.STATE]?.S;
  return { handler, verifier, config, bucketName: bucketName as string, steps, puts, clock, keys, read, messages, claimState };
}

function stripeEvent(body: Buffer | string, at = NOW) {
  const t = Math.floor(at / 1000);
  const signature = createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex');
  return apiGatewayEvent({ body, headers: { 'Stripe-Signature': `t=${t},v1=${signature}`, 'Content-Type': 'application/json', 'X-Request-Id': 'req-7' } });
}

/** A Stripe event body of exactly `size` bytes (JSON, padded with letters). */
function stripeBody(id: string, size: number, type = 'payment_intent.succeeded'): Buffer {
  const head = JSON.stringify({ id, type, data: { object: { customer: 'cus_big' } }, pad: '' });
  return Buffer.from(head.replace('"pad":""', `"pad":"${'a'.repeat(size - head.length)}"`), 'utf8');
}

/** An hmac-scheme event: the signature covers the body alone, the ID and type come from headers (a content claim). */
function hmacEvent(body: Buffer, eventId: string, eventType = 'order.created') {
  return apiGatewayEvent({ body, headers: { 'X-Signature': createHmac('sha256', SECRET).update(body).digest('hex'), 'X-Event-Id': eventId, 'X-Event-Type': eventType } });
}

const status = (response: APIGatewayProxyResult) => [response.statusCode, JSON.parse(response.body) as Record<string, unknown>] as const;

/** Asserts each processor's queue holds exactly one message, pointing at its own object holding exactly `body`; returns the envelopes. */
async function expectStoredAndReferenced(r: Awaited<ReturnType<typeof rig>>, eventId: string, body: Buffer): Promise<WebhookEnvelope[]> {
  const envelopes: WebhookEnvelope[] = [];
  for (const route of r.config.processors) {
    const key = payloadKey(route.name, sha256(eventId), sha256(body));
    const stored = await r.read(key);
    expect({ processor: route.name, exact: stored.body.equals(body), contentType: stored.contentType }).toEqual({ processor: route.name, exact: true, contentType: 'application/octet-stream' });
    const received = await r.messages(route.name);
    expect(received).toHaveLength(1);
    const [{ envelope, body: messageBody, md5 }] = received;
    expect(envelope).toMatchObject({ id: eventId, body: '', bodyRef: { bucket: r.bucketName, key, bytes: body.length, sha256: sha256(body) } });
    // the pointer is all the message carries: a few hundred bytes, whatever the body's size
    expect(Buffer.byteLength(messageBody)).toBeLessThan(2 * KIB);
    expect(md5).toBe(createHash('md5').update(messageBody).digest('hex'));
    envelopes.push(envelope);
  }
  // one object per processor, nothing else under payloads/
  expect(await r.keys('payloads/')).toEqual(r.config.processors.map((route) => payloadKey(route.name, sha256(eventId), sha256(body))).sort());
  return envelopes;
}

describe('a body too large for its message is stored in the event bucket and sent by reference', () => {
  test('256 KiB of text that escapes six-fold: inline it would exceed SQS\'s limit; each processor gets its own object and a pointer', async () => {
    // GIVEN a content-claimed (hmac) event whose body is control characters: JSON writes each as \u00XX
    const r = await rig({ scheme: 'hmac' });
    const body = Buffer.alloc(256 * KIB, 0x01);
    const inline: Delivery = { eventId: 'ord-256k', eventType: 'order.created', provider: 'hmac', groupId: 'ord-256k', body, receivedAtMs: NOW };
    expect(encodeMessage(inline).bytes).toBeGreaterThan(SQS_MESSAGE_LIMIT_BYTES);
    // WHEN it is delivered
    const response = await r.handler(hmacEvent(body, 'ord-256k'));
    // THEN it is accepted, every object was stored before the messages were sent, and the claim is finished
    expect(status(response)).toEqual([200, { status: 'accepted', id: 'ord-256k' }]);
    expect(r.steps).toEqual(['claim', 'put payloads/fulfilment', 'put payloads/audit', 'enqueue', 'mark']);
    const envelopes = await expectStoredAndReferenced(r, 'ord-256k', body);
    // the envelope still says what the bytes are, and keeps the event's other fields
    expect(envelopes[0]).toMatchObject({ v: 1, type: 'order.created', provider: 'hmac', bodyEncoding: 'utf8', receivedAt: new Date(NOW).toISOString() });
  });

  test('1 MiB (a Stripe event): stored and referenced, the message\'s attributes as before', async () => {
    const r = await rig();
    const body = stripeBody('evt_1mib', 1024 * KIB);
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'accepted', id: 'evt_1mib' }]);
    await expectStoredAndReferenced(r, 'evt_1mib', body);
    const [message] = await r.messages('audit');
    expect(message.attributes['hw-event-id']).toEqual({ DataType: 'String', StringValue: 'evt_1mib' });
    expect(message.attributes['hw-event-type']).toEqual({ DataType: 'String', StringValue: 'payment_intent.succeeded' });
  });

  test('4560 KiB, the ceiling of a REST API request to Lambda: stored byte for byte', async () => {
    const r = await rig({ processors: [{ name: 'fulfilment' }] });
    const body = stripeBody('evt_ceiling', CEILING_BYTES);
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'accepted', id: 'evt_ceiling' }]);
    await expectStoredAndReferenced(r, 'evt_ceiling', body);
  });

  test('a body that fits stays inline: no S3 call, and the S3 client is never even loaded', async () => {
    // GIVEN an endpoint with an event bucket, whose bucket is loaded lazily as in the deployed verifier
    const r = await rig();
    const load = jest.fn(() => new S3EventBucket(storage));
    const handler = createVerifier(r.config, {
      clock: () => NOW, log: () => undefined, metric: () => undefined,
      secrets: { active: async () => ({ values: [SECRET] }) },
      claims: new ClaimStore(dynamo, r.config.tableName, 86400, () => NOW),
      dispatcher: new Dispatcher(queues),
      bucket: lazyEventBucket(load),
    });
    // WHEN a 200 KiB event arrives (plain text: well under the limit once escaped)
    const body = stripeBody('evt_inline', 200 * KIB);
    expect(status(await handler(stripeEvent(body)))).toEqual([200, { status: 'accepted', id: 'evt_inline' }]);
    // THEN the message carries the body itself and no bucket was touched
    const [{ envelope }] = await r.messages('fulfilment');
    expect(envelope.bodyRef).toBeUndefined();
    expect(Buffer.from(envelope.body, 'utf8').equals(body)).toBe(true);
    expect(load).not.toHaveBeenCalled();
    expect(await r.keys('')).toEqual([]);
  });

  test('without an event bucket the same body is refused 413 message_too_large, before any claim', async () => {
    const r = await rig({ scheme: 'hmac', bucket: 'none' });
    const response = await r.handler(hmacEvent(Buffer.alloc(256 * KIB, 0x01), 'ord-no-bucket'));
    expect(status(response)).toEqual([413, { error: ERROR_CODES.MESSAGE_TOO_LARGE, message: 'the event, escaped into its SQS message, exceeds SQS\'s 1048576 bytes; lower maxBodySize or send smaller events' }]);
    expect(r.steps).toEqual([]);
    expect(await r.messages('audit')).toEqual([]);
  });

  test('an event whose ID alone would overflow the message is refused 413 even with a bucket: a pointer cannot help it', async () => {
    const r = await rig({ processors: [{ name: 'fulfilment' }] });
    const hugeId = `evt_${'x'.repeat(1100 * KIB)}`;
    const body = Buffer.from(JSON.stringify({ id: hugeId, type: 'payment_intent.succeeded' }));
    const [code, answer] = status(await r.handler(stripeEvent(body)));
    expect([code, answer.error]).toEqual([413, ERROR_CODES.MESSAGE_TOO_LARGE]);
    expect(answer.message).toMatch(/even with its body stored apart/);
    expect(r.steps).toEqual([]);
    expect(await r.keys('')).toEqual([]);
  });

  test('S3 failing → 503 with Retry-After; nothing is sent, the claim stays PENDING; the sender\'s retry stores, sends once and finishes', async () => {
    // GIVEN an endpoint whose bucket does not exist yet (S3 answers NoSuchBucket)
    const r = await rig({ bucket: 'missing' });
    const body = stripeBody('evt_s3_down', 1024 * KIB);
    // WHEN the event arrives
    const failed = await r.handler(stripeEvent(body));
    // THEN 503, no message in any queue, and the claim waits for the retry
    expect(failed.statusCode).toBe(503);
    expect(failed.headers?.['retry-after']).toBe('30');
    expect(JSON.parse(failed.body)).toEqual({ error: ERROR_CODES.DOWNSTREAM_UNAVAILABLE, message: 'payload failed; retry later' });
    expect(r.steps).not.toContain('enqueue');
    expect(await r.messages('fulfilment')).toEqual([]);
    expect(await r.messages('audit')).toEqual([]);
    expect(await r.claimState(claimKey('evt_s3_down'))).toBe(CLAIM_STATE.PENDING);
    // WHEN S3 is back and the sender retries
    await storage.send(new CreateBucketCommand({ Bucket: r.bucketName }));
    r.clock.now = NOW + 60_000;
    expect(status(await r.handler(stripeEvent(body, r.clock.now)))).toEqual([200, { status: 'accepted', id: 'evt_s3_down' }]);
    // THEN every processor has its object and exactly one message, and the claim is finished
    await expectStoredAndReferenced(r, 'evt_s3_down', body);
    expect(await r.claimState(claimKey('evt_s3_down'))).toBe(CLAIM_STATE.ENQUEUED);
  });

  test('the function dying between the objects and the send leaves nothing a retry cannot finish: one message per queue, the same objects', async () => {
    // GIVEN a verifier killed once its objects are stored, before any message leaves (a plain Error: no 503, the invocation fails)
    const r = await rig({ scheme: 'hmac' });
    const body = Buffer.alloc(300 * KIB, 0x01);
    const killed = r.verifier({ enqueue: async () => { throw new Error('Runtime exited: signal: killed'); } });
    await expect(killed(hmacEvent(body, 'ord-killed'))).rejects.toThrow('signal: killed');
    const storedBefore = await r.keys('payloads/');
    expect(storedBefore).toHaveLength(2);
    expect(await r.messages('audit')).toEqual([]);
    // WHEN the sender retries, reaching a new container
    r.clock.now = NOW + 90_000;
    r.steps.length = 0;
    const retry = await r.verifier()(hmacEvent(body, 'ord-killed'));
    // THEN the unfinished claim is finished: the same objects rewritten, one message per queue
    expect(status(retry)).toEqual([200, { status: 'accepted', id: 'ord-killed' }]);
    expect(r.steps).toEqual(['claim', 'put payloads/fulfilment', 'put payloads/audit', 'enqueue', 'mark']);
    expect(await r.keys('payloads/')).toEqual(storedBefore);
    await expectStoredAndReferenced(r, 'ord-killed', body);
  });

  test('dying after the send, before the mark: the retry sends again and SQS deduplicates it (one message per queue)', async () => {
    const r = await rig();
    const body = stripeBody('evt_unmarked', 1200 * KIB);
    const sendThenDie = r.verifier({ enqueue: async (routes, delivery, references) => { await new Dispatcher(queues).enqueue(routes, delivery, references); throw new Error('Runtime exited'); } });
    await expect(sendThenDie(stripeEvent(body))).rejects.toThrow('Runtime exited');
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'accepted', id: 'evt_unmarked' }]);
    await expectStoredAndReferenced(r, 'evt_unmarked', body);
  });
});

describe('the archive', () => {
  /** The record stored for an event, parsed. */
  const record = async (r: Awaited<ReturnType<typeof rig>>, eventId: string) => JSON.parse((await r.read(archiveRecordKey(sha256(eventId)))).body.toString('utf8')) as ArchiveRecord;

  test('an accepted event: its time entry, then its record, written after the claim and before anything is sent', async () => {
    // GIVEN an endpoint archiving the Stripe-Signature and X-Request-Id headers (and one the request lacks)
    const r = await rig({ archive: ['stripe-signature', 'x-request-id', 'x-absent'] });
    const body = Buffer.from(JSON.stringify({ id: 'evt_archived', type: 'payment_intent.succeeded', data: { object: { customer: 'cus_9' } } }));
    const event = stripeEvent(body);
    // WHEN it is delivered
    expect(status(await r.handler(event))).toEqual([200, { status: 'accepted', id: 'evt_archived' }]);
    // THEN claim, time entry, record (first write wins), send, mark — in that order
    expect(r.steps).toEqual(['claim', 'put archive/by-time', 'put archive/by-id', 'enqueue', 'mark']);
    const digest = sha256('evt_archived');
    expect(r.puts).toEqual([
      { key: archiveTimeKey(NOW, digest), ifAbsent: false, outcome: 'stored' },
      { key: archiveRecordKey(digest), ifAbsent: true, outcome: 'stored' },
    ]);
    expect(archiveTimeKey(NOW, digest)).toBe(`archive/by-time/2025-06-01T12:00/${digest}`);
    expect((await r.read(archiveTimeKey(NOW, digest))).body.length).toBe(0);
    // AND the record holds what a replay needs to send it again exactly as it was sent
    expect(await record(r, 'evt_archived')).toEqual({
      v: 1, id: 'evt_archived', type: 'payment_intent.succeeded', provider: 'stripe', receivedAt: '2025-06-01T12:00:30.000Z', groupId: 'cus_9',
      contentType: 'application/json', headers: { 'stripe-signature': event.headers['Stripe-Signature'], 'x-request-id': 'req-7' },
      body: body.toString('utf8'), bodyEncoding: 'utf8',
    });
    expect((await r.read(archiveRecordKey(digest))).contentType).toBe('application/json');
  });

  test('a retry minutes later (the first attempt\'s send failed) neither moves receivedAt nor adds a time entry', async () => {
    const r = await rig({ archive: [] });
    const body = Buffer.from(JSON.stringify({ id: 'evt_retried', type: 'payment_intent.succeeded' }));
    const failing = r.verifier({ enqueue: async () => { throw new DownstreamError('enqueue', { cause: new Error('queue down') }); } });
    expect((await failing(stripeEvent(body))).statusCode).toBe(503);
    // WHEN the sender retries three minutes later, freshly signed
    r.clock.now = NOW + 180_000;
    expect(status(await r.handler(stripeEvent(body, r.clock.now)))).toEqual([200, { status: 'accepted', id: 'evt_retried' }]);
    // THEN one time entry, in the first receipt's minute, and the first record: the retry's write found it (412)
    expect(await r.keys('archive/')).toEqual([archiveRecordKey(sha256('evt_retried')), archiveTimeKey(NOW, sha256('evt_retried'))].sort());
    expect((await record(r, 'evt_retried')).receivedAt).toBe(new Date(NOW).toISOString());
    expect(r.puts.filter((p) => p.ifAbsent).map((p) => p.outcome)).toEqual(['stored', 'exists']);
    // AND the message itself was sent once
    expect(await r.messages('fulfilment')).toHaveLength(1);
  });

  test('a record already in the archive is never overwritten (If-None-Match, honoured by moto): the request still succeeds', async () => {
    // GIVEN a record at the event's key, written by an earlier receipt
    const r = await rig({ archive: [] });
    const earlier = JSON.stringify({ v: 1, id: 'evt_kept', receivedAt: '2025-01-01T00:00:00.000Z' });
    await new S3EventBucket(storage).put({ bucket: r.bucketName, key: archiveRecordKey(sha256('evt_kept')), body: Buffer.from(earlier), contentType: 'application/json', sha256: sha256(earlier) });
    // WHEN the event arrives
    const body = Buffer.from(JSON.stringify({ id: 'evt_kept', type: 'payment_intent.succeeded' }));
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'accepted', id: 'evt_kept' }]);
    // THEN the earlier record stands
    expect((await r.read(archiveRecordKey(sha256('evt_kept')))).body.toString('utf8')).toBe(earlier);
  });

  test('an event no processor subscribes to is archived too: claimed IGNORED (so its retries file under the first receipt), then answered "ignored"', async () => {
    const r = await rig({ archive: [], processors: [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }] });
    const body = Buffer.from(JSON.stringify({ id: 'evt_nobody', type: 'customer.created' }));
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'ignored', id: 'evt_nobody' }]);
    r.clock.now = NOW + 120_000;
    expect(status(await r.handler(stripeEvent(body, r.clock.now)))).toEqual([200, { status: 'ignored', id: 'evt_nobody' }]);
    expect(r.steps).toEqual(['claim', 'put archive/by-time', 'put archive/by-id', 'claim', 'put archive/by-time', 'put archive/by-id']);
    expect(await r.keys('archive/')).toEqual([archiveRecordKey(sha256('evt_nobody')), archiveTimeKey(NOW, sha256('evt_nobody'))].sort());
    expect(await record(r, 'evt_nobody')).toMatchObject({ id: 'evt_nobody', type: 'customer.created', receivedAt: new Date(NOW).toISOString(), groupId: 'evt_nobody' });
    expect(await r.claimState(claimKey('evt_nobody'))).toBe(CLAIM_STATE.IGNORED);
    expect(await r.messages('fulfilment')).toEqual([]);
  });

  test('without an archive, an ID-signed event nobody subscribes to still costs no claim and no S3 call', async () => {
    const r = await rig({ processors: [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }] });
    const body = Buffer.from(JSON.stringify({ id: 'evt_unarchived', type: 'customer.created' }));
    expect(status(await r.handler(stripeEvent(body)))).toEqual([200, { status: 'ignored', id: 'evt_unarchived' }]);
    expect(r.steps).toEqual([]);
  });

  test('a body that is not UTF-8 is archived in base64, its exact bytes; a large one is archived and stored by reference', async () => {
    const r = await rig({ scheme: 'hmac', archive: ['x-event-id'] });
    const body = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.alloc(900 * KIB, 0x01)]);
    expect(status(await r.handler(hmacEvent(body, 'ord-binary')))).toEqual([200, { status: 'accepted', id: 'ord-binary' }]);
    expect(r.steps).toEqual(['claim', 'put archive/by-time', 'put archive/by-id', 'put payloads/fulfilment', 'put payloads/audit', 'enqueue', 'mark']);
    const kept = await record(r, 'ord-binary');
    expect(kept).toMatchObject({ bodyEncoding: 'base64', headers: { 'x-event-id': 'ord-binary' }, type: 'order.created', provider: 'hmac' });
    expect(Buffer.from(kept.body, 'base64').equals(body)).toBe(true);
    const [envelope] = await expectStoredAndReferenced(r, 'ord-binary', body);
    expect(envelope.bodyEncoding).toBe('base64');
  });

  test('never archived: a bad signature, a duplicate of an enqueued event, a conflicting replay, a changed ID (duplicate), a handshake', async () => {
    // GIVEN a content-claimed endpoint that has archived one event
    const r = await rig({ scheme: 'hmac', archive: [] });
    const body = Buffer.from('{"order":1}');
    expect(status(await r.handler(hmacEvent(body, 'ord-1')))).toEqual([200, { status: 'accepted', id: 'ord-1' }]);
    const archived = await r.keys('archive/');
    expect(archived).toHaveLength(2);
    r.puts.length = 0;
    // WHEN a forged request, the same event again, the same bytes under another type and under another ID arrive
    const forged = hmacEvent(body, 'ord-forged');
    forged.multiValueHeaders['X-Signature'] = ['00'.repeat(32)];
    expect((await r.handler(forged)).statusCode).toBe(401);
    expect(status(await r.handler(hmacEvent(body, 'ord-1')))).toEqual([200, { status: 'duplicate', id: 'ord-1' }]);
    expect((await r.handler(hmacEvent(body, 'ord-1', 'order.deleted'))).statusCode).toBe(409);
    expect(status(await r.handler(hmacEvent(body, 'ord-2')))).toEqual([200, { status: 'duplicate', id: 'ord-2' }]);
    // THEN nothing more was written
    expect(r.puts).toEqual([]);
    expect(await r.keys('archive/')).toEqual(archived);

    // AND a Slack URL verification is answered without being archived (or claimed)
    const slack = await rig({ scheme: 'slack', archive: [] });
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'abc' });
    const t = Math.floor(NOW / 1000);
    const handshake = await slack.handler(apiGatewayEvent({
      body: challenge,
      headers: { 'X-Slack-Signature': `v0=${createHmac('sha256', SECRET).update(`v0:${t}:${challenge}`).digest('hex')}`, 'X-Slack-Request-Timestamp': String(t) },
    }));
    expect([handshake.statusCode, handshake.body]).toEqual([200, '{"challenge":"abc"}']);
    expect(slack.steps).toEqual([]);
  });

  test('the archive failing → 503 (archive failed); nothing is sent, the claim stays PENDING; the retry archives and sends once', async () => {
    const r = await rig({ archive: [], bucket: 'missing' });
    const body = Buffer.from(JSON.stringify({ id: 'evt_archive_down', type: 'payment_intent.succeeded' }));
    const failed = await r.handler(stripeEvent(body));
    expect([failed.statusCode, failed.headers?.['retry-after'], JSON.parse(failed.body).message]).toEqual([503, '30', 'archive failed; retry later']);
    expect(r.steps).toEqual(['claim', 'put archive/by-time']);
    expect(await r.claimState(claimKey('evt_archive_down'))).toBe(CLAIM_STATE.PENDING);
    await storage.send(new CreateBucketCommand({ Bucket: r.bucketName }));
    r.clock.now = NOW + 240_000;
    expect(status(await r.handler(stripeEvent(body, r.clock.now)))).toEqual([200, { status: 'accepted', id: 'evt_archive_down' }]);
    expect((await record(r, 'evt_archive_down')).receivedAt).toBe(new Date(NOW).toISOString());
    expect(await r.keys('archive/by-time/')).toEqual([archiveTimeKey(NOW, sha256('evt_archive_down'))]);
    expect(await r.messages('fulfilment')).toHaveLength(1);
  });

  test('a header the archive keeps, sent twice with different values, is a 400 conflicting_header: which one identified the event is unknowable', async () => {
    const r = await rig({ archive: ['x-request-id'] });
    const event = stripeEvent(Buffer.from(JSON.stringify({ id: 'evt_two_ids', type: 'payment_intent.succeeded' })));
    event.multiValueHeaders['X-Request-Id'] = ['req-a', 'req-b'];
    const response = await r.handler(event);
    expect([response.statusCode, JSON.parse(response.body).error]).toEqual([400, ERROR_CODES.CONFLICTING_HEADER]);
    expect(r.steps).toEqual([]);
  });
});

describe('the event bucket\'s configuration', () => {
  const base = {
    endpointName: 'E', provider: { scheme: 'stripe', options: {} }, signingSecretArn: 'arn', secretCacheTtlSeconds: 60, toleranceSeconds: 300,
    maxBodyBytes: CEILING_BYTES, tableName: 't', retentionSeconds: 60, processors: [],
  };
  const deps = { secrets: { active: async () => ({ values: [SECRET] }) }, claims: {} as VerifierDependencies['claims'], dispatcher: { enqueue: async () => undefined } };

  test('loadConfig accepts an event bucket, with or without an archive of lower-case header names', () => {
    expect(loadConfig(JSON.stringify({ ...base, eventBucket: 'events' }))).toMatchObject({ eventBucket: 'events' });
    expect(loadConfig(JSON.stringify({ ...base, eventBucket: 'events', archive: { headers: ['stripe-signature'] } }))).toMatchObject({ archive: { headers: ['stripe-signature'] } });
  });

  test.each([
    [{ eventBucket: '' }, /invalid eventBucket ""/],
    [{ eventBucket: 7 }, /invalid eventBucket 7/],
    [{ archive: { headers: [] } }, /archive but no eventBucket/],
    [{ eventBucket: 'events', archive: { headers: ['Stripe-Signature'] } }, /archive.headers must be lower-case header names; got \["Stripe-Signature"\]/],
    [{ eventBucket: 'events', archive: { headers: [''] } }, /archive.headers must be lower-case/],
    [{ eventBucket: 'events', archive: {} }, /archive.headers must be lower-case header names; got undefined/],
  ])('loadConfig refuses %j, naming the field and the value', (extra, message) => {
    expect(() => loadConfig(JSON.stringify({ ...base, ...extra }))).toThrow(message);
    // and a verifier built from it directly refuses it too, before serving anything
    expect(() => createVerifier({ ...base, ...extra } as VerifierConfig, { ...deps, bucket: { put: async () => 'stored' } })).toThrow(VerifierConfigError);
  });

  test('a verifier whose configuration names a bucket refuses to start without one to write to', () => {
    expect(() => createVerifier({ ...base, eventBucket: 'events' }, deps)).toThrow(new VerifierConfigError('the configuration names an eventBucket but the verifier was given no bucket to write to'));
    expect(() => createVerifier(base, deps)).not.toThrow();
  });
});
