import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { replayDeduplicationId } from '../../../../lambda/shared/contract';
import { Dispatcher, type Delivery } from '../../../../lambda/verifier/dispatch';
import { ArchiveInputError, type S3Api } from '../../../../local/cli/archive';
import { replay, type ReplayTarget } from '../../../../local/cli/replay';
import { createBucket, s3 } from '../../../support/aws';
import { archive, envelopesIn, record } from '../archive/support';
import { countsOf, createProcessorQueues, failingClient, sqs } from '../redrive/support';

/**
 * The replay core against moto's S3 and SQS, for what the command line cannot show: failures in
 * the middle of a replay (injected before a call reaches moto), and the verifier's routing rules.
 */
const T0 = Date.UTC(2025, 0, 31, 10);

/** An S3 client that fails the calls `fails` picks and passes the rest on. */
function failingS3(real: S3Client, fails: (command: { constructor: { name: string }; input: Record<string, unknown> }) => boolean): S3Api {
  return {
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      if (fails(command)) throw Object.assign(new Error('injected failure'), { name: 'InternalError' });
      return real.send(command as never);
    }) as S3Api['send'],
  };
}

describe('replay', () => {
  const bucketClient = s3();
  const queueClient = sqs();
  let bucket: string;
  let target: ReplayTarget;

  beforeAll(async () => {
    bucket = await createBucket(bucketClient, 'replay');
    const queues = await createProcessorQueues(queueClient, 'replay');
    target = { endpoint: 'Stack/Hooks', processor: 'orders', queueUrl: queues.queueUrl, bucket, eventTypes: ['invoice.*'] };
    await archive(bucketClient, bucket,
      record('a1', T0, { groupId: 'cus_a' }), record('b1', T0 + 1, { groupId: 'cus_b' }), record('a2', T0 + 2, { groupId: 'cus_a' }),
      record('untyped', T0 + 3, { type: undefined }),
      record('huge', T0 + 4, { body: `{"pad":"${'\u0001'.repeat(200_000)}"}` }),
      record('x'.repeat(1_100_000), T0 + 5));
  });

  afterAll(() => {
    bucketClient.destroy();
    queueClient.destroy();
  });

  afterEach(async () => {
    await envelopesIn(queueClient, target.queueUrl);
  });

  test('a failed send holds back the later events of its group only; the replay reports them failed', async () => {
    const flaky = failingClient(queueClient, (c) => c.constructor.name === 'SendMessageCommand' && c.input.MessageDeduplicationId === replayDeduplicationId('a1', 'r1'));

    const result = await replay(bucketClient, flaky, target, { eventIds: ['a2', 'b1', 'a1'] }, { replayId: 'r1' });

    expect(result).toMatchObject({ sent: 1, failed: 2, skipped: 0 });
    expect(result.events.map((e) => [e.id, e.outcome, e.reason])).toEqual([
      ['a1', 'failed', 'InternalError: injected failure'],
      ['b1', 'sent', undefined],
      ['a2', 'failed', 'held back: an earlier event of its message group failed'],
    ]);
    expect((await envelopesIn(queueClient, target.queueUrl)).map((m) => m.envelope.id)).toEqual(['b1']);
  });

  test('a body that cannot be put in the bucket is not sent: the message would point at nothing', async () => {
    const s3Failing = failingS3(bucketClient, (c) => c.constructor.name === 'PutObjectCommand');

    const result = await replay(s3Failing, queueClient, target, { eventIds: ['huge'] }, { replayId: 'r2' });

    expect(result.events).toEqual([expect.objectContaining({ id: 'huge', outcome: 'failed', reason: expect.stringMatching(/^PutObject s3:\/\/.*payloads\/orders\/.* failed: InternalError/) })]);
    expect(await countsOf(queueClient, target.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('an event whose message does not fit even with its body in the bucket fails before anything is put', async () => {
    const result = await replay(bucketClient, queueClient, target, { eventIds: ['x'.repeat(1_100_000)] }, { replayId: 'r3' });

    expect(result.failed).toBe(1);
    expect(result.events[0].reason).toMatch(/even with the body in the event bucket \(SQS takes 1048576\)/);
    expect((await bucketClient.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'payloads/' }))).Contents ?? []).toEqual([]);
    expect(await countsOf(queueClient, target.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('routing is the verifier\'s: an untyped event reaches only a processor that takes every event, not even "*"', async () => {
    const outcome = async (eventTypes: string[]) => (await replay(bucketClient, queueClient, { ...target, eventTypes }, { eventIds: ['untyped'] }, { replayId: 'r4', dryRun: true })).events[0].outcome;

    expect(await outcome(['invoice.*'])).toBe('skipped');
    expect(await outcome(['*'])).toBe('skipped');
    expect(await outcome([])).toBe('would-send');
  });

  test('a bad replay ID is refused before any call', async () => {
    const nothing = { send: async () => { throw new Error('no call expected'); } } as unknown as S3Api;

    await expect(replay(nothing, failingClient(queueClient, () => true), target, { eventIds: ['a1'] }, { replayId: 'fix 1' })).rejects.toThrow(ArchiveInputError);
  });
});

describe('replay and originals share a queue', () => {
  const bucketClient = s3();
  const queueClient = sqs();
  afterAll(() => {
    bucketClient.destroy();
    queueClient.destroy();
  });

  test('a replay is never dropped as a duplicate of an original whose event ID looks like "<id>#replay-<replay ID>", sent minutes before (nor the original of it)', async () => {
    const bucket = await createBucket(bucketClient, 'replay-dedup');
    const queues = await createProcessorQueues(queueClient, 'replay-dedup');
    await archive(bucketClient, bucket, record('evt_1', T0));
    const target: ReplayTarget = { endpoint: 'Stack/Hooks', processor: 'orders', queueUrl: queues.queueUrl, bucket, eventTypes: [] };
    // A genuine provider event whose ID a provider (or an attacker who may name IDs) chose to contain "#replay-fix-1".
    const original: Delivery = {
      eventId: 'evt_1#replay-fix-1', eventType: 'invoice.paid', provider: 'stripe', groupId: 'cus_z', body: Buffer.from('{"id":"evt_1#replay-fix-1"}'), contentType: 'application/json', receivedAtMs: T0,
    };
    await new Dispatcher(queueClient).enqueue([{ name: 'orders', queueUrl: queues.queueUrl, eventTypes: [] }], original);

    const result = await replay(bucketClient, queueClient, target, { eventIds: ['evt_1'] }, { replayId: 'fix-1' });

    expect(result.sent).toBe(1);
    const messages = (await envelopesIn(queueClient, queues.queueUrl)).map((m) => `${m.envelope.id}${m.envelope.replay ? ` (replay ${m.envelope.replay.id})` : ''}`);
    expect(messages.sort()).toEqual(['evt_1 (replay fix-1)', 'evt_1#replay-fix-1']);
  });
});
