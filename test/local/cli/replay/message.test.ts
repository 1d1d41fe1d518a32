import { createHash } from 'node:crypto';
import type { WebhookEnvelope } from '../../../../lambda/shared/contract';
import { safeId } from '../../../../lambda/verifier/claims';
import { encodeMessage, toEnvelope, type Delivery } from '../../../../lambda/verifier/dispatch';
import { ArchiveInputError } from '../../../../local/cli/archive';
import {
  bodyReference, checkReplayId, deliveryOf, replayDedupId, replayGroupId, replayMessage,
} from '../../../../local/cli/replay';
import { record } from '../archive/support';

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');
const marker = { id: 'fix-1234', at: '2025-02-01T00:00:00.000Z' };

function delivery(body: Buffer, overrides: Partial<Delivery> = {}): Delivery {
  return { eventId: 'evt_1', eventType: 'invoice.paid', provider: 'stripe', groupId: 'cus_a', body, contentType: 'application/json', receivedAtMs: Date.UTC(2025, 0, 31), ...overrides };
}

/** What SQS counts: the body and each attribute's name, type and value. */
function sqsBytes(message: ReturnType<typeof replayMessage>): number {
  return Buffer.byteLength(message.body) + Object.entries(message.attributes)
    .reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + value.DataType.length + Buffer.byteLength(value.StringValue), 0);
}

describe('replayMessage', () => {
  test('is the verifier\'s envelope with the replay marker, the verifier\'s attributes, and counts its bytes as SQS does', () => {
    const d = delivery(Buffer.from('{"id":"evt_1","amount":1}'));

    const message = replayMessage(d, marker);

    expect(JSON.parse(message.body)).toEqual({ ...JSON.parse(JSON.stringify(toEnvelope(d))), replay: marker });
    expect(message.body.startsWith(encodeMessage(d).body.slice(0, -1))).toBe(true);
    expect(message.attributes).toEqual(encodeMessage(d).attributes);
    expect(message.bytes).toBe(sqsBytes(message));
  });

  test('characters SQS refuses stay escaped as the verifier escapes them, and decode to the exact signed bytes', () => {
    const body = Buffer.from('{"note":"\uFFFE\uFFFF\u0000 é 😀"}', 'utf8');

    const message = replayMessage(delivery(body), marker);

    expect(message.body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(message.body).toContain('\\ufffe\\uffff');
    const envelope = JSON.parse(message.body) as WebhookEnvelope;
    expect(Buffer.from(envelope.body, 'utf8').equals(body)).toBe(true);
    expect(message.bytes).toBe(sqsBytes(message));
  });

  test('with a body reference: an empty body, the reference and the marker, in a message that fits', () => {
    const body = Buffer.alloc(2_000_000, 0x01);
    const d = delivery(body);
    const ref = bodyReference('events-bucket', 'orders', d);

    const message = replayMessage(d, marker, ref);

    expect(ref).toEqual({ bucket: 'events-bucket', key: `payloads/orders/${sha256('evt_1')}/${sha256(body)}`, bytes: 2_000_000, sha256: sha256(body) });
    expect(JSON.parse(message.body)).toEqual({ ...JSON.parse(JSON.stringify(toEnvelope(d, ref))), replay: marker });
    expect(JSON.parse(message.body)).toMatchObject({ id: 'evt_1', body: '', bodyEncoding: 'utf8', bodyRef: ref, receivedAt: '2025-01-31T00:00:00.000Z' });
    expect(message.attributes).toEqual(encodeMessage(d).attributes);
    expect(message.bytes).toBe(sqsBytes(message));
    expect(message.bytes).toBeLessThan(1024);
  });

  test('a marker SQS would refuse as it is (U+FFFE) travels escaped, as the verifier escapes a body, and comes back intact', () => {
    const odd = { id: 'fix-\ufffe', at: marker.at };
    const message = replayMessage(delivery(Buffer.from('{}')), odd);
    expect(message.body).not.toContain('\ufffe');
    expect((JSON.parse(message.body) as WebhookEnvelope).replay).toEqual(odd);
  });
});

describe('identifiers', () => {
  test('the deduplication ID is a digest of both IDs: SQS-safe, one per (event, replay ID), and no original event ID can take it', () => {
    expect(replayDedupId('evt_1', 'fix-1')).toBe(`replay-${sha256(JSON.stringify(['evt_1', 'fix-1']))}`);
    expect(replayDedupId('evt_1', 'fix-1')).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(replayDedupId('e'.repeat(120), 'fix-1')).toMatch(/^replay-[0-9a-f]{64}$/);
    expect(replayDedupId('evt_1', 'fix-1')).not.toBe(replayDedupId('evt_1', 'fix-2'));
    expect(replayDedupId('evt_1', 'fix-1')).not.toBe(replayDedupId('evt_2', 'fix-1'));
    // Unambiguous: moving text between the two IDs gives another digest.
    expect(replayDedupId('evt_1#', 'fix')).not.toBe(replayDedupId('evt_1', '#fix'));
    // An original named like the old form of a replay's ID is the original's ID, not the replay's.
    expect(safeId('evt_1#replay-fix-1')).not.toBe(replayDedupId('evt_1', 'fix-1'));
  });

  test('the group is the record\'s, made safe; an already-safe group (a digest) stays as it is', () => {
    expect(replayGroupId(record('evt_1', 0, { groupId: 'cus_a' }))).toBe('cus_a');
    const hashed = safeId('customer with spaces');
    expect(replayGroupId(record('evt_1', 0, { groupId: 'customer with spaces' }))).toBe(hashed);
    expect(replayGroupId(record('evt_1', 0, { groupId: hashed }))).toBe(hashed);
  });

  test('a record\'s delivery carries its exact bytes and receipt time', () => {
    const binary = record('evt_b', Date.UTC(2025, 0, 31, 10), { body: Buffer.from([0xff, 0x00]).toString('base64'), bodyEncoding: 'base64', jsonField: 'payload' });

    const d = deliveryOf(binary);

    expect(d).toMatchObject({ eventId: 'evt_b', groupId: 'cus_a', jsonField: 'payload', receivedAtMs: Date.UTC(2025, 0, 31, 10) });
    expect(d.body.equals(Buffer.from([0xff, 0x00]))).toBe(true);
    expect(toEnvelope(d)).toMatchObject({ body: '/wA=', bodyEncoding: 'base64', receivedAt: binary.receivedAt, jsonField: 'payload' });
  });

  test.each([
    ['fix-1234', true], ['2025-01-31.backfill', true], ['a', true], ['A_b.c-9', true], ['x'.repeat(64), true],
    ['', false], ['x'.repeat(65), false], ['-fix', false], ['.fix', false], ['fix 1', false], ['fix/1', false], ['fix#1', false], ['fïx', false], ['fix\n', false],
  ])('replay ID %j accepted: %s', (value, ok) => {
    if (ok) expect(checkReplayId(value)).toBe(value);
    else expect(() => checkReplayId(value)).toThrow(ArchiveInputError);
  });
});
