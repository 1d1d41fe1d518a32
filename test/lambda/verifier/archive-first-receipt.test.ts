import { archiveRecordKey, archiveTimeKey, SQS_MESSAGE_LIMIT_BYTES, type ArchiveRecord } from '../../../lambda/shared/contract';
import { destroyRigs, parse, sha256, slackEvent, stripeEvent, verifierRig } from './support/verifier-rig';

/**
 * The archive keeps an event as first received: a retry in a later minute neither moves the
 * record's time nor files the event under a second minute of the index, and what is archived is
 * what was accepted.
 */
const stripeBody = (id: string, type = 'invoice.paid') => JSON.stringify({ id, type, data: { object: { customer: 'cus_1' } } });
/** The last 100 ms of a minute: a retry 200 ms later lands in the next one. */
const END_OF_MINUTE = Date.UTC(2025, 5, 1, 12, 0, 59, 900);

afterAll(destroyRigs);

describe('the archive files an event under its first receipt', () => {
  test('a retry across a minute boundary (the first attempt\'s send failed) files the event under the first minute only, with the first receipt\'s time', async () => {
    const r = await verifierRig({ scheme: 'stripe', archive: ['stripe-signature', 'content-type'], now: END_OF_MINUTE });
    r.failEnqueue.on = true;
    expect(parse(await r.handler(stripeEvent(stripeBody('evt_b1'), END_OF_MINUTE))).status).toBe(503);

    r.failEnqueue.on = false;
    r.clock.now = END_OF_MINUTE + 200;
    expect(parse(await r.handler(stripeEvent(stripeBody('evt_b1'), END_OF_MINUTE + 200))).status).toBe(200);

    expect(await r.keys('archive/by-time/')).toEqual([archiveTimeKey(END_OF_MINUTE, sha256('evt_b1'))]);
    const record = JSON.parse((await r.read(archiveRecordKey(sha256('evt_b1')))).toString()) as ArchiveRecord;
    expect(record.receivedAt).toBe(new Date(END_OF_MINUTE).toISOString());
  });

  test('an ignored event (no processor subscribed) whose first archiving failed is archived once, under its first minute', async () => {
    const r = await verifierRig({ scheme: 'stripe', archive: ['stripe-signature'], processors: [{ name: 'p', eventTypes: ['charge.*'] }], now: END_OF_MINUTE });
    r.failPut.when = (key) => key.startsWith('archive/by-id/');
    expect(parse(await r.handler(stripeEvent(stripeBody('evt_ign'), END_OF_MINUTE))).status).toBe(503);

    r.failPut.when = undefined;
    r.clock.now = END_OF_MINUTE + 200;
    expect(parse(await r.handler(stripeEvent(stripeBody('evt_ign'), END_OF_MINUTE + 200)))).toMatchObject({ status: 200, body: { status: 'ignored' } });

    expect(await r.keys('archive/')).toEqual([archiveRecordKey(sha256('evt_ign')), archiveTimeKey(END_OF_MINUTE, sha256('evt_ign'))].sort());
    expect(r.sent).toEqual([]);
  });

  test('an event whose escaped message exceeds SQS\'s limit is accepted (its body by reference) as well as archived: never archived and answered 503', async () => {
    const now = Date.now();
    const r = await verifierRig({ scheme: 'slack', archive: ['x-slack-signature'], now });
    // A slash command whose ID and type are raw control characters: each is six bytes escaped, three times over.
    const body = Buffer.from(`command=/c${'\x01'.repeat(30_000)}&trigger_id=t${'\x01'.repeat(30_000)}`, 'latin1');

    const response = parse(await r.handler(slackEvent(body, now)));

    expect(response.status).toBe(200);
    expect(await r.keys('archive/by-id/')).toHaveLength(1);
    expect(r.sent).toHaveLength(1);
    expect(r.sent[0].ref).toMatchObject({ bytes: body.length, sha256: sha256(body) });
    expect(r.sent[0].bytes).toBeLessThanOrEqual(SQS_MESSAGE_LIMIT_BYTES);
  });
});
