import { inspectDlq } from '../../../../local/cli/redrive';
import { countsOf, createProcessorQueues, delivery, eventIdsByGroup, failIntoDlq, receiveAll, sendToDlq, sqs } from './support';

const client = sqs();
afterAll(() => client.destroy());

/** Short polls: moto answers at once, and these tests know what the queue holds. */
const FAST = { waitTimeSeconds: 0 };

describe('inspectDlq (dry run) against moto', () => {
  test('lists counts, event IDs, types and groups, and leaves every message in the DLQ, receivable at once and in order', async () => {
    const pair = await createProcessorQueues(client);
    await failIntoDlq(client, pair, [
      delivery('evt_1', 'cus_A', 'payment_intent.created'),
      delivery('evt_2', 'cus_B', 'charge.failed'),
      delivery('evt_3', 'cus_A', 'payment_intent.succeeded'),
      delivery('evt_4', 'cus_B', 'charge.failed'),
      delivery('evt_5', 'cus_A'),
    ]);

    const progress: number[] = [];
    const inspection = await inspectDlq(client, pair.dlqUrl, { ...FAST, onProgress: (e) => progress.push(e.listed) });

    expect(inspection.counts).toEqual({ visible: 5, inFlight: 0, delayed: 0 });
    expect(inspection.queueArn).toBe(pair.dlqArn);
    expect(inspection.complete).toBe(true);
    expect(inspection.notRestored).toBe(0);
    expect(progress.at(-1)).toBe(5);
    const listed = inspection.messages.map((m) => [m.groupId, m.eventId, m.eventType]);
    expect(listed.filter(([group]) => group === 'cus_A')).toEqual([
      ['cus_A', 'evt_1', 'payment_intent.created'], ['cus_A', 'evt_3', 'payment_intent.succeeded'], ['cus_A', 'evt_5', undefined],
    ]);
    expect(listed.filter(([group]) => group === 'cus_B')).toEqual([['cus_B', 'evt_2', 'charge.failed'], ['cus_B', 'evt_4', 'charge.failed']]);
    expect(inspection.byType).toEqual({ 'payment_intent.created': 1, 'payment_intent.succeeded': 1, 'charge.failed': 2, '(none)': 1 });
    expect(inspection.messages.every((m) => m.provider === 'stripe' && m.receiveCount! >= 2 && typeof m.sentAt === 'string')).toBe(true);
    // The payload never leaves the queue through a listing.
    expect(JSON.stringify(inspection)).not.toMatch(/SECRET|card_secret/);

    // Nothing consumed, nothing still hidden: everything comes back on the next receive, groups in order.
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 5, inFlight: 0 });
    expect(eventIdsByGroup(await receiveAll(client, pair.dlqUrl))).toEqual({ cus_A: ['evt_1', 'evt_3', 'evt_5'], cus_B: ['evt_2', 'evt_4'] });
    expect(await countsOf(client, pair.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('a FIFO group longer than one receive is listed only up to its first 10 messages: the listing says it is incomplete', async () => {
    const pair = await createProcessorQueues(client);
    await sendToDlq(client, pair, Array.from({ length: 12 }, (_, i) => delivery(`evt_${i}`, 'one-group', 'invoice.paid')));

    const inspection = await inspectDlq(client, pair.dlqUrl, FAST);

    expect(inspection.counts.visible).toBe(12);
    expect(inspection.messages.map((m) => m.eventId)).toEqual(Array.from({ length: 10 }, (_, i) => `evt_${i}`));
    expect(inspection.complete).toBe(false);
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 12, inFlight: 0 });
  });

  test('maxMessages cuts the listing; the cut is reported and every message stays', async () => {
    const pair = await createProcessorQueues(client);
    await sendToDlq(client, pair, ['a', 'b', 'c', 'd'].map((g, i) => delivery(`evt_${i}`, g, 'x')));

    const inspection = await inspectDlq(client, pair.dlqUrl, { ...FAST, maxMessages: 3 });

    expect(inspection.messages).toHaveLength(3);
    expect(inspection.complete).toBe(false);
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 4, inFlight: 0 });
  });

  test('an empty DLQ: zero counts, nothing listed, complete', async () => {
    const pair = await createProcessorQueues(client);
    const inspection = await inspectDlq(client, pair.dlqUrl, FAST);
    expect(inspection).toMatchObject({ counts: { visible: 0, inFlight: 0, delayed: 0 }, messages: [], byType: {}, complete: true });
  });
});
