import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeMessage } from '../../../../lambda/verifier/dispatch';
import {
  NotDeadLetterQueueError, NotFifoQueueError, QueueNotFoundError, redrive, redriveDeduplicationId, type RedriveProgress,
} from '../../../../local/cli/redrive';
import { uniqueName } from '../../../support/aws';
import {
  countsOf, createProcessorQueues, delivery, drainAll, eventIdsByGroup, failIntoDlq, failingClient, receiveAll, sendToDlq, sqs, type QueuePair,
} from './support';

const client = sqs();
afterAll(() => client.destroy());

/** Short polls: moto answers at once, and these tests know what the queue holds. */
const LOOP = { mode: 'loop' as const, loop: { waitTimeSeconds: 0 } };

/** Two groups, interleaved as they arrived: A gets evt_1, evt_3, evt_5; B gets evt_2, evt_4. */
const EVENTS = [
  delivery('evt_1', 'cus_A', 'payment_intent.created'),
  delivery('evt_2', 'cus_B', 'charge.failed'),
  delivery('evt_3', 'cus_A', 'payment_intent.succeeded'),
  delivery('evt_4', 'cus_B', 'charge.refunded'),
  delivery('evt_5', 'cus_A'),
];

async function deadLettered(): Promise<QueuePair> {
  const pair = await createProcessorQueues(client);
  await failIntoDlq(client, pair, EVENTS);
  return pair;
}

const isSendOf = (eventId: string) => (command: { constructor: { name: string }; input: Record<string, unknown> }) =>
  command.constructor.name === 'SendMessageCommand' && String(command.input.MessageDeduplicationId).startsWith(`${eventId}#`);

describe('redrive, receive-send-delete loop, against moto', () => {
  test('moves every message back: DLQ empty, each group in order, same bodies, attributes and groups, new deduplication IDs', async () => {
    const pair = await deadLettered();
    const events: RedriveProgress[] = [];

    const result = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP, onProgress: (e) => events.push(e) });

    expect(result).toMatchObject({ mode: 'loop', moved: 5, failed: 0, complete: true, sourceArn: pair.dlqArn, destinationArn: pair.queueArn });
    expect(result.before.visible).toBe(5);
    expect(result.after).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(events[0]).toMatchObject({ kind: 'checked', counts: { visible: 5 } });
    expect(events.filter((e) => e.kind === 'moved')).toHaveLength(5);

    const arrived = await receiveAll(client, pair.queueUrl);
    expect(eventIdsByGroup(arrived)).toEqual({ cus_A: ['evt_1', 'evt_3', 'evt_5'], cus_B: ['evt_2', 'evt_4'] });
    for (const m of arrived) {
      const original = encodeMessage(EVENTS.find((e) => e.eventId === m.MessageAttributes!['hw-event-id'].StringValue)!);
      expect(m.Body).toBe(original.body);
      expect(m.MessageAttributes).toEqual(original.attributes);
      // The same for every run that sends this dead-lettered message: a resend within 5 minutes is dropped by SQS.
      expect(m.Attributes!.MessageDeduplicationId).toMatch(/^evt_\d#redrive-[0-9a-f-]{36}$/);
    }
    expect(await receiveAll(client, pair.dlqUrl)).toEqual([]);
  });

  test('"auto" falls back to the loop when the endpoint has no move tasks (moto answers an HTML 500) and says why', async () => {
    const pair = await createProcessorQueues(client);
    await sendToDlq(client, pair, EVENTS.slice(0, 2));

    const result = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, mode: 'auto', loop: { waitTimeSeconds: 0 } });

    expect(result).toMatchObject({ mode: 'loop', moved: 2, complete: true });
    expect(result.fallbackReason).toMatch(/Deserialization error|SyntaxError/);
  });

  test('a message whose original send is still in the 5-minute deduplication window is delivered, not swallowed', async () => {
    const pair = await createProcessorQueues(client);
    // moto deduplicates against the messages still in the queue; SQS against every send of the last
    // 5 minutes. A message the verifier sent under the event ID, still there, stands for both.
    const original = encodeMessage(EVENTS[0]);
    await client.send(new SendMessageCommand({
      QueueUrl: pair.queueUrl, MessageBody: original.body, MessageAttributes: original.attributes, MessageGroupId: 'cus_A', MessageDeduplicationId: 'evt_1',
    }));
    await sendToDlq(client, pair, [EVENTS[0]]);

    const result = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(result.moved).toBe(1);
    expect((await receiveAll(client, pair.queueUrl)).map((m) => m.MessageAttributes!['hw-event-id'].StringValue)).toEqual(['evt_1', 'evt_1']);
  });

  test('a send failing mid-way leaves it and the rest of its group in the DLQ (visible again), other groups move, nothing is duplicated; a second run finishes in order', async () => {
    const pair = await deadLettered();
    const flaky = failingClient(client, isSendOf('evt_3'));

    const first = await redrive(flaky, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(first).toMatchObject({ mode: 'loop', moved: 3, failed: 1, heldBack: 1, notDeleted: 0, remaining: 2, complete: false });
    expect(first.loop).toMatchObject({ failed: 1, held: 1, notDeleted: 0, unreleased: 0 });
    expect(first.loop!.failures).toEqual([expect.objectContaining({ stage: 'send', error: 'InternalError: injected failure', message: expect.objectContaining({ eventId: 'evt_3', groupId: 'cus_A' }) })]);
    // evt_3 and evt_5 wait in the DLQ, receivable at once; evt_1, evt_2, evt_4 are in the queue, once each.
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
    expect(await countsOf(client, pair.queueUrl)).toEqual({ visible: 3, inFlight: 0 });

    const second = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(second).toMatchObject({ moved: 2, failed: 0, complete: true });
    const arrived = await receiveAll(client, pair.queueUrl);
    expect(eventIdsByGroup(arrived)).toEqual({ cus_A: ['evt_1', 'evt_3', 'evt_5'], cus_B: ['evt_2', 'evt_4'] });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('a failed delete after a successful send is reported: the event is in the queue once and its DLQ copy is visible again for a rerun', async () => {
    const pair = await deadLettered();
    let deletes = 0;
    const flaky = failingClient(client, (command) => command.constructor.name === 'DeleteMessageCommand' && ++deletes === 2);

    const result = await redrive(flaky, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP, loop: { ...LOOP.loop, visibilityTimeoutSeconds: 600 } });

    expect(result.loop).toMatchObject({ moved: 4, failed: 0, notDeleted: 1, unreleased: 0 });
    expect(result).toMatchObject({ moved: 4, failed: 0, notDeleted: 1, heldBack: 0, remaining: 1, complete: false });
    const [failure] = result.loop!.failures;
    expect(failure.stage).toBe('delete');
    const arrived = await receiveAll(client, pair.queueUrl);
    expect(arrived.map((m) => m.MessageAttributes!['hw-event-id'].StringValue).sort()).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_5']);
    // Released at the end of the run rather than left invisible for 30 s: a rerun can follow at once.
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  test('a rerun after failed deletes resends the same deduplication IDs, which SQS drops: 2 groups x 5 events arrive once each, in order', async () => {
    const pair = await createProcessorQueues(client);
    const deliveries = [0, 1, 2, 3, 4].flatMap((i) => [delivery(`g1_${i}`, 'g1'), delivery(`g2_${i}`, 'g2')]);
    await failIntoDlq(client, pair, deliveries);
    let deletes = 0;
    const flaky = failingClient(client, (command) => command.constructor.name === 'DeleteMessageCommand' && ++deletes % 4 === 0);

    const first = await redrive(flaky, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(first).toMatchObject({ moved: 8, failed: 0, notDeleted: 2, heldBack: 0, remaining: 2, complete: false });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });

    const second = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(second).toMatchObject({ moved: 2, failed: 0, notDeleted: 0, heldBack: 0, remaining: 0, complete: true });
    expect(eventIdsByGroup(await drainAll(client, pair.queueUrl))).toEqual({ g1: ['g1_0', 'g1_1', 'g1_2', 'g1_3', 'g1_4'], g2: ['g2_0', 'g2_1', 'g2_2', 'g2_3', 'g2_4'] });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('messages another run left in flight lock their groups: nothing moves, and the run says the DLQ is not empty', async () => {
    const pair = await deadLettered();
    // A run killed mid-batch: its messages stay invisible until their timeout, and their groups (cus_A, cus_B) locked.
    for (let i = 0; i < 2; i++) await client.send(new ReceiveMessageCommand({ QueueUrl: pair.dlqUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 43200, WaitTimeSeconds: 0 }));
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 3, inFlight: 2 });

    const result = await redrive(client, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    expect(result).toMatchObject({ moved: 0, failed: 0, notDeleted: 0, heldBack: 5, remaining: 5, complete: false });
    expect(result.after).toEqual({ visible: 3, inFlight: 2, delayed: 0 });
  });

  test('a failed send holds back its whole group, counted also where the loop never received it (a group longer than one receive)', async () => {
    const pair = await createProcessorQueues(client);
    await sendToDlq(client, pair, Array.from({ length: 12 }, (_, i) => delivery(`a_${i}`, 'cus_A')));
    const flaky = failingClient(client, isSendOf('a_0'));

    const result = await redrive(flaky, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP });

    // a_1 … a_9 came in the same receive and were held; a_10 and a_11 stayed behind the locked group.
    expect(result.loop).toMatchObject({ failed: 1, held: 9 });
    expect(result).toMatchObject({ moved: 0, failed: 1, heldBack: 11, remaining: 12, complete: false });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 12, inFlight: 0 });
  });

  test('when every send fails the run stops after maxConsecutiveFailures and releases what it held', async () => {
    const pair = await deadLettered();
    const down = failingClient(client, (command) => command.constructor.name === 'SendMessageCommand');

    const result = await redrive(down, { source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP, loop: { ...LOOP.loop, maxConsecutiveFailures: 2 } });

    expect(result.loop!.stopped).toBe('too-many-failures');
    // evt_1 and evt_2 failed; evt_3, evt_4 and evt_5 were in hand, unsent.
    expect(result).toMatchObject({ moved: 0, failed: 2, heldBack: 3, remaining: 5, complete: false });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 5, inFlight: 0 });
    expect(await countsOf(client, pair.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('an abort stops between messages; the unsent messages are visible in the DLQ again', async () => {
    const pair = await deadLettered();
    const abort = new AbortController();

    const result = await redrive(client, {
      source: pair.dlqUrl, destination: pair.queueUrl, ...LOOP, signal: abort.signal,
      onProgress: (e) => e.kind === 'moved' && abort.abort(),
    });

    expect(result).toMatchObject({ moved: 1, failed: 0, heldBack: 4, remaining: 4, complete: false });
    expect(result.loop!.stopped).toBe('aborted');
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 4, inFlight: 0 });
  });
});

describe('redriveDeduplicationId', () => {
  test('is the same for the same dead-lettered message in every run, and differs between two of one event', () => {
    const message = { eventId: 'evt_1', messageId: '0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001' };
    expect(redriveDeduplicationId(message)).toBe('evt_1#redrive-0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001');
    expect(redriveDeduplicationId(message)).toBe(redriveDeduplicationId({ ...message }));
    expect(redriveDeduplicationId({ ...message, messageId: '5d0c7f2e-0000-4000-8000-000000000002' })).not.toBe(redriveDeduplicationId(message));
  });

  test('fits SQS: at most 128 printable ASCII characters, the message part kept whole', () => {
    const id = redriveDeduplicationId({ eventId: `évt ${'x'.repeat(200)}`, messageId: '0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001' });
    expect(id).toHaveLength(128);
    expect(id).toMatch(/^_vt_x+#redrive-0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001$/);
  });
});

describe('redrive checks the pair first (moto)', () => {
  test('the source must be the destination\'s own dead-letter queue', async () => {
    const a = await createProcessorQueues(client);
    const b = await createProcessorQueues(client);
    await sendToDlq(client, a, [EVENTS[0]]);

    const attempt = redrive(client, { source: a.dlqUrl, destination: b.queueUrl, mode: 'loop' });

    await expect(attempt).rejects.toBeInstanceOf(NotDeadLetterQueueError);
    await expect(attempt).rejects.toThrow(`${a.dlqArn} is not the dead-letter queue of ${b.queueArn} (whose dead-letter queue is ${b.dlqArn})`);
    expect(await countsOf(client, a.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  test('both queues must be FIFO, and must exist', async () => {
    const pair = await createProcessorQueues(client);
    const standard = (await client.send(new CreateQueueCommand({ QueueName: uniqueName('standard') }))).QueueUrl!;

    await expect(redrive(client, { source: standard, destination: pair.queueUrl })).rejects.toBeInstanceOf(NotFifoQueueError);
    await expect(redrive(client, { source: pair.dlqUrl, destination: standard })).rejects.toThrow(/destination queue .* is not a FIFO queue/);
    await expect(redrive(client, { source: `${pair.dlqUrl}-gone`, destination: pair.queueUrl })).rejects.toBeInstanceOf(QueueNotFoundError);
  });
});
