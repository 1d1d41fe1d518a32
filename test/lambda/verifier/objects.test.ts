import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { payloadKey, type ProcessorRoute } from '../../../lambda/shared/contract';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { bodyReferences, lazyEventBucket, PAYLOAD_CONTENT_TYPE, sha256Hex, storeBodies, type BucketObject, type EventBucket } from '../../../lambda/verifier/objects';
import { createEventBucket, S3EventBucket } from '../../../lambda/verifier/s3';
import { createBucket, motoEndpoint, s3, uniqueName } from '../../support/aws';

/**
 * The verifier's event bucket: the S3 implementation (the lazily loaded lambda/verifier/s3.ts)
 * against moto, and the helpers that store a large body once per processor.
 */
let client: S3Client;
let bucket: string;
beforeAll(async () => {
  client = s3();
  bucket = await createBucket(client, 'hw-objects');
});

const object = (key: string, body: Buffer, extra: Partial<BucketObject> = {}): BucketObject => ({
  bucket, key, body, contentType: 'application/octet-stream', sha256: sha256Hex(body), ...extra,
});

async function read(key: string): Promise<{ body: Buffer; contentType?: string }> {
  const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Buffer.from(await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()), contentType: result.ContentType };
}

describe('S3EventBucket (moto)', () => {
  test('stores the exact bytes with the content type given, and sends their SHA-256 for S3 to check', async () => {
    // GIVEN bytes that are not UTF-8, and a client that records the request it sends
    const body = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x22]);
    const sent: Record<string, unknown>[] = [];
    const recording = s3();
    recording.middlewareStack.add((next) => async (args) => {
      sent.push((args.request as { headers: Record<string, unknown> }).headers);
      return next(args);
    }, { step: 'finalizeRequest' });
    const key = uniqueName('stored');
    // WHEN it is put
    expect(await new S3EventBucket(recording).put(object(key, body, { contentType: 'application/json' }))).toBe('stored');
    // THEN moto holds it byte for byte, with that content type
    const stored = await read(key);
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.contentType).toBe('application/json');
    // AND the checksum header is the digest the caller gave (S3 refuses the upload if the bytes differ), with no If-None-Match
    expect(sent).toHaveLength(1);
    expect(sent[0]['x-amz-checksum-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
    expect(sent[0]['if-none-match']).toBeUndefined();
  });

  test('ifAbsent: the first write wins; a second is answered "exists" (S3\'s 412) and changes nothing', async () => {
    const store = new S3EventBucket(s3());
    const key = uniqueName('first-wins');
    expect(await store.put(object(key, Buffer.from('first'), { ifAbsent: true }))).toBe('stored');
    expect(await store.put(object(key, Buffer.from('second'), { ifAbsent: true }))).toBe('exists');
    expect((await read(key)).body.toString()).toBe('first');
  });

  test('without ifAbsent a write replaces the object (a large body\'s retry writes the same bytes again)', async () => {
    const store = new S3EventBucket(s3());
    const key = uniqueName('overwrite');
    await store.put(object(key, Buffer.from('one')));
    expect(await store.put(object(key, Buffer.from('two')))).toBe('stored');
    expect((await read(key)).body.toString()).toBe('two');
  });

  test('any other failure rejects with the service\'s own error, unwrapped (the verifier wraps it: an error class of another bundle fails instanceof)', async () => {
    const store = new S3EventBucket(s3());
    const error = await store.put({ ...object('k', Buffer.from('x')), bucket: uniqueName('no-such-bucket').toLowerCase() }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    expect(error).toMatchObject({ name: 'NoSuchBucket' });
    expect(error).not.toBeInstanceOf(DownstreamError);
  });

  test('a 409 ConditionalRequestConflict (another conditional write of the key in progress) is a failure, not "exists": whether that write lands is unknown', async () => {
    // moto cannot produce this answer; S3 gives it when two conditional writes race
    const mocked = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(mocked);
    mock.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'ConditionalRequestConflict', $fault: 'client', $metadata: { httpStatusCode: 409 }, message: 'conflict' }));
    await expect(new S3EventBucket(mocked).put(object('k', Buffer.from('x'), { ifAbsent: true }))).rejects.toMatchObject({ name: 'ConditionalRequestConflict' });
    mock.restore();
  });

  test('a 412 to a write that asked for no condition is a failure: only If-None-Match makes it "exists"', async () => {
    const mocked = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(mocked);
    mock.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'precondition' }));
    await expect(new S3EventBucket(mocked).put(object('k', Buffer.from('x')))).rejects.toMatchObject({ name: 'PreconditionFailed' });
    // and recognised by its status alone when a wrapper renamed it
    mock.on(PutObjectCommand).rejects(Object.assign(new Error('wrapped'), { name: 'Error', $metadata: { httpStatusCode: 412 } }));
    await expect(new S3EventBucket(mocked).put(object('k', Buffer.from('x'), { ifAbsent: true }))).resolves.toBe('exists');
    mock.restore();
  });

  test('createEventBucket builds a client from the options it is given (endpoint, region, credentials)', async () => {
    const store = createEventBucket({ endpoint: motoEndpoint(), region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const key = uniqueName('created');
    expect(await store.put(object(key, Buffer.from('via createEventBucket')))).toBe('stored');
    expect((await read(key)).body.toString()).toBe('via createEventBucket');
  });
});

describe('lazyEventBucket', () => {
  const stored: EventBucket = { put: async () => 'stored' };

  test('loads nothing until the first put, then loads once', async () => {
    const load = jest.fn(() => stored);
    const lazy = lazyEventBucket(load);
    expect(load).not.toHaveBeenCalled();
    await lazy.put(object('a', Buffer.from('a')));
    await lazy.put(object('b', Buffer.from('b')));
    expect(load).toHaveBeenCalledTimes(1);
  });

  test('a load that throws (the file missing) rejects that put, and the next put tries again', async () => {
    const load = jest.fn<EventBucket, []>().mockImplementationOnce(() => { throw new Error("Cannot find module './s3.js'"); }).mockImplementation(() => stored);
    const lazy = lazyEventBucket(load);
    await expect(lazy.put(object('a', Buffer.from('a')))).rejects.toThrow("Cannot find module './s3.js'");
    await expect(lazy.put(object('a', Buffer.from('a')))).resolves.toBe('stored');
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe('a large body, once per processor', () => {
  const routes: ProcessorRoute[] = [{ name: 'fulfilment', queueUrl: 'q1', eventTypes: [] }, { name: 'audit', queueUrl: 'q2', eventTypes: [] }];
  const body = Buffer.from('{"id":"evt_big"}');

  test('each processor gets its own key: payloads/<processor>/<sha256(event ID)>/<sha256(body)>, with the body\'s length and digest', () => {
    const digest = createHash('sha256').update(body).digest('hex');
    const references = bodyReferences('events', routes, 'evt_big', body, digest);
    const eventDigest = createHash('sha256').update('evt_big', 'utf8').digest('hex');
    expect([...references]).toEqual([
      ['fulfilment', { bucket: 'events', key: payloadKey('fulfilment', eventDigest, digest), bytes: body.length, sha256: digest }],
      ['audit', { bucket: 'events', key: payloadKey('audit', eventDigest, digest), bytes: body.length, sha256: digest }],
    ]);
    expect(references.get('audit')?.key).toBe(`payloads/audit/${eventDigest}/${digest}`);
  });

  test('storeBodies writes every object as opaque bytes (never the request\'s content type) and resolves only when all are stored', async () => {
    const references = bodyReferences(bucket, routes, uniqueName('evt'), body, sha256Hex(body));
    await storeBodies(new S3EventBucket(s3()), { body }, references);
    for (const reference of references.values()) {
      const stored = await read(reference.key);
      expect(stored.body.equals(body)).toBe(true);
      expect(stored.contentType).toBe(PAYLOAD_CONTENT_TYPE);
    }
  });

  test('one failed write fails the whole step as a DownstreamError (payload) with the service error as its cause; the others were still attempted', async () => {
    const references = bodyReferences(bucket, routes, uniqueName('evt'), body, sha256Hex(body));
    const failing = new Error('SlowDown');
    const attempted: string[] = [];
    const store: EventBucket = {
      put: async (o) => {
        attempted.push(o.key);
        if (o.key.startsWith('payloads/audit/')) throw failing;
        return 'stored';
      },
    };
    const error = await storeBodies(store, { body }, references).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).toMatchObject({ step: 'payload', message: 'payload failed', cause: failing });
    expect(attempted).toHaveLength(2);
  });

  test('the same event and body always make the same keys (a retry overwrites nothing with anything else)', () => {
    const first = bodyReferences(bucket, routes, 'evt_same', body, sha256Hex(body));
    const again = bodyReferences(bucket, routes, 'evt_same', Buffer.from(body), sha256Hex(Buffer.from(body)));
    expect([...again]).toEqual([...first]);
    // another body for the same event (a Mailgun-style unsigned-body replay never gets here, but) never shares a key
    const other = bodyReferences(bucket, routes, 'evt_same', Buffer.from('{"id":"evt_other"}'), sha256Hex(Buffer.from('{"id":"evt_other"}')));
    expect(other.get('audit')?.key).not.toBe(first.get('audit')?.key);
  });
});
