import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { BodyReferenceError, fetchBody, type BodyStore } from '../../../lambda/runtime/body';
import { payloadKey, type BodyReference } from '../../../lambda/shared/contract';
import { createBucket, s3 } from '../../support/aws';
import { sha256Hex } from './messages';

/** fetchBody, the check of a body kept in S3, against moto: each refusal is a BodyReferenceError with its reason. */
let objects: S3Client;
let bucket: string;
let otherBucket: string;

beforeAll(async () => {
  objects = s3();
  [bucket, otherBucket] = await Promise.all([createBucket(objects, 'body-events'), createBucket(objects, 'body-other')]);
});

const BODY = Buffer.from('{"id":"evt_1","text":"naïve ☕"}', 'utf8');
const keyOf = (body: Buffer, processor = 'orders', eventId = 'evt_1') => payloadKey(processor, sha256Hex(eventId), sha256Hex(body));
const referenceTo = (body: Buffer): BodyReference => ({ bucket, key: keyOf(body), bytes: body.length, sha256: sha256Hex(body) });
const store = (client: S3Client = objects): BodyStore => ({ processorName: 'orders', bucket, client: () => client });

async function put(key: string, body: Buffer, into = bucket): Promise<void> {
  await objects.send(new PutObjectCommand({ Bucket: into, Key: key, Body: body }));
}

/** The BodyReferenceError fetchBody throws (fails the test if it returns). */
async function refusal(ref: BodyReference, bodies: BodyStore = store(), eventId = 'evt_1'): Promise<BodyReferenceError> {
  try {
    await fetchBody('m-1', eventId, ref, bodies);
  } catch (error) {
    expect(error).toBeInstanceOf(BodyReferenceError);
    expect(error).toMatchObject({ name: 'BodyReferenceError', messageId: 'm-1' });
    return error as BodyReferenceError;
  }
  throw new Error('fetchBody accepted the reference');
}

describe('fetchBody', () => {
  test('returns the exact bytes of the object the reference describes', async () => {
    await put(keyOf(BODY), BODY);
    expect((await fetchBody('m-1', 'evt_1', referenceTo(BODY), store())).equals(BODY)).toBe(true);
  });

  test('an empty body is a body too', async () => {
    const empty = Buffer.alloc(0);
    await put(keyOf(empty), empty);
    expect((await fetchBody('m-1', 'evt_1', referenceTo(empty), store())).length).toBe(0);
  });

  test('a processor without an event bucket reads nothing (no_event_bucket), naming the variable to set', async () => {
    const error = await refusal(referenceTo(BODY), { ...store(), bucket: undefined });
    expect(error.reason).toBe('no_event_bucket');
    expect(error.message).toMatch(/HW_EVENT_BUCKET or options\.eventBucket/);
  });

  test('another bucket is refused before any read (foreign_bucket), naming both buckets', async () => {
    await put(keyOf(BODY), BODY, otherBucket);
    const client = new S3Client({});
    const send = jest.spyOn(client, 'send');
    const error = await refusal({ ...referenceTo(BODY), bucket: otherBucket }, store(client));
    expect(error.reason).toBe('foreign_bucket');
    expect(error.message).toContain(`"${otherBucket}"`);
    expect(error.message).toContain(`"${bucket}"`);
    expect(send).not.toHaveBeenCalled();
  });

  test.each([
    ['another processor', keyOf(BODY, 'refunds')],
    ['another event', keyOf(BODY, 'orders', 'evt_2')],
    ['another prefix of the bucket', `archive/by-id/${sha256Hex('evt_1')}.json`],
  ])('the object of %s is refused (foreign_key), naming the key expected', async (_, key) => {
    await put(key, BODY);
    const error = await refusal({ ...referenceTo(BODY), key });
    expect(error.reason).toBe('foreign_key');
    expect(error.message).toContain(`"${keyOf(BODY)}"`);
  });

  test('a missing object is unreadable, with the S3 error as cause', async () => {
    const body = Buffer.from('never stored');
    const error = await refusal(referenceTo(body));
    expect(error.reason).toBe('unreadable');
    expect(error.message).toContain(`s3://${bucket}/${keyOf(body)}`);
    expect((error.cause as Error).name).toBe('NoSuchKey');
  });

  test('an object of another length is refused (length_mismatch) from its Content-Length', async () => {
    const body = Buffer.from('{"id":"evt_1","v":"original"}');
    await put(keyOf(body), Buffer.from('{"id":"evt_1","v":"replaced, longer"}'));
    const error = await refusal(referenceTo(body));
    expect(error.reason).toBe('length_mismatch');
    expect(error.message).toMatch(/is 37 bytes long, not the 29 its message states/);
  });

  test('other bytes of the same length are refused (digest_mismatch), naming both digests', async () => {
    const body = Buffer.from('{"id":"evt_1","amount":100}');
    const forged = Buffer.from('{"id":"evt_1","amount":999}');
    await put(keyOf(body), forged);
    const error = await refusal(referenceTo(body));
    expect(error.reason).toBe('digest_mismatch');
    expect(error.message).toContain(sha256Hex(forged));
    expect(error.message).toContain(sha256Hex(body));
  });

  describe('responses moto does not give (aws-sdk-client-mock)', () => {
    const streamOf = (bytes: Buffer | Error) => ({
      transformToByteArray: () => (bytes instanceof Error ? Promise.reject(bytes) : Promise.resolve(new Uint8Array(bytes))),
    });

    test('without a Content-Length, the length is checked on the bytes read', async () => {
      const client = new S3Client({});
      mockClient(client).on(GetObjectCommand).resolves({ Body: streamOf(BODY.subarray(1)) } as never);
      expect((await refusal(referenceTo(BODY), store(client))).reason).toBe('length_mismatch');
    });

    test('a body that breaks off while read is unreadable, with the stream error as cause', async () => {
      const client = new S3Client({});
      const reset = new Error('socket hang up');
      mockClient(client).on(GetObjectCommand).resolves({ ContentLength: BODY.length, Body: streamOf(reset) } as never);
      const error = await refusal(referenceTo(BODY), store(client));
      expect(error.reason).toBe('unreadable');
      expect(error.cause).toBe(reset);
    });

    test('a response without a body is unreadable', async () => {
      const client = new S3Client({});
      mockClient(client).on(GetObjectCommand).resolves({ ContentLength: BODY.length } as never);
      expect((await refusal(referenceTo(BODY), store(client))).reason).toBe('unreadable');
    });

    test('the request names exactly the referenced bucket and key', async () => {
      const client = new S3Client({});
      const mock = mockClient(client);
      mock.on(GetObjectCommand).resolves({ ContentLength: BODY.length, Body: streamOf(BODY) } as never);
      await fetchBody('m-1', 'evt_1', referenceTo(BODY), store(client));
      expect(mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: bucket, Key: keyOf(BODY) }]);
    });
  });
});
