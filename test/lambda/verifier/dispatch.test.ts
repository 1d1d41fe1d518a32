import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { toWebhookEvent } from '../../../lambda/runtime/event';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { BodyReference, WebhookEnvelope } from '../../../lambda/shared/contract';
import { Dispatcher, encodeMessage, mayExceedMessageLimit, referencedMessagesFit, SQS_MESSAGE_LIMIT_BYTES, type Delivery } from '../../../lambda/verifier/dispatch';
import { DownstreamError } from '../../../lambda/verifier/errors';

/** Characters SQS accepts in a message body and in attribute values. */
const SQS_TEXT = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const delivery = (body: Buffer, extra: Partial<Delivery> = {}): Delivery => ({
  eventId: 'evt_1', eventType: 'x', provider: 'stripe', groupId: 'g', body, receivedAtMs: 0, ...extra,
});

/** What a processor receives for a message body the queue delivered unchanged. */
const received = (body: string): SQSRecord => ({ messageId: 'm', body, attributes: { ApproximateReceiveCount: '1' } } as unknown as SQSRecord);

describe('the SQS message of a delivery', () => {
  test('U+FFFE and U+FFFF, which SQS refuses, travel escaped; the processor still gets the exact signed bytes', () => {
    // GIVEN a signed body (valid UTF-8) holding the two noncharacters, and an event ID and type holding them too
    const body = Buffer.from('{"title":"a\uFFFEb\uFFFFc","ok":"☕ 😀"}', 'utf8');
    const message = encodeMessage(delivery(body, { eventId: 'id\uFFFF', eventType: 'type\uFFFE' }));
    // THEN nothing SQS refuses is sent, in the body or the attributes
    expect(message.body).toMatch(SQS_TEXT);
    for (const value of Object.values(message.attributes)) expect(value.StringValue).toMatch(SQS_TEXT);
    // AND the processor reads back the exact bytes and the exact ID
    const event = toWebhookEvent(received(message.body));
    expect(event.rawBody.equals(body)).toBe(true);
    expect(event.id).toBe('id\uFFFF');
  });

  test('any body round-trips byte for byte, and every message is SQS text (property)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1'))), fc.boolean(), (text, binary) => {
      const body = binary ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
      const message = encodeMessage(delivery(body));
      expect(message.body).toMatch(SQS_TEXT);
      expect(toWebhookEvent(received(message.body)).rawBody.equals(body)).toBe(true);
    }), { numRuns: 2000 });
  });

  test('the size SQS counts includes escaping and the attributes', () => {
    const body = Buffer.from('\u0001'.repeat(1000), 'utf8');
    const message = encodeMessage(delivery(body));
    // Each control character becomes a six-character escape
    expect(message.bytes).toBeGreaterThan(6000);
    expect(message.bytes).toBe(Buffer.byteLength(message.body) + Object.entries(message.attributes).reduce((sum, [name, value]) => sum + name.length + 'String'.length + Buffer.byteLength(value.StringValue), 0));
  });

  test('an escape-heavy body under maxBodySize can exceed SQS\'s limit; a plain one of the same size does not', () => {
    const size = 200 * 1024;
    expect(mayExceedMessageLimit(delivery(Buffer.alloc(size, 0x01)))).toBe(true);
    expect(encodeMessage(delivery(Buffer.alloc(size, 0x01))).bytes).toBeGreaterThan(SQS_MESSAGE_LIMIT_BYTES);
    expect(mayExceedMessageLimit(delivery(Buffer.alloc(size, 0x61)))).toBe(false);
    expect(mayExceedMessageLimit(delivery(Buffer.alloc(700 * 1024, 0x61)))).toBe(false);
  });
});

describe('a message whose body travels by reference', () => {
  const reference = (processor: string): BodyReference => ({ bucket: 'events', key: `payloads/${processor}/e/b`, bytes: 3_000_000, sha256: 'ab'.repeat(32) });

  test('carries an empty body and the reference, and says what the bytes are (text or not) as it would inline', () => {
    const text = encodeMessage(delivery(Buffer.alloc(2_000_000, 0x01)), reference('audit'));
    expect(JSON.parse(text.body)).toEqual({
      v: 1, id: 'evt_1', type: 'x', provider: 'stripe', receivedAt: '1970-01-01T00:00:00.000Z', body: '', bodyEncoding: 'utf8', bodyRef: reference('audit'),
    });
    expect(text.bytes).toBeLessThan(1024);
    const binary = JSON.parse(encodeMessage(delivery(Buffer.from([0xff, 0xfe])), reference('audit')).body) as WebhookEnvelope;
    expect([binary.body, binary.bodyEncoding]).toEqual(['', 'base64']);
    // and inline, no reference at all
    expect(JSON.parse(encodeMessage(delivery(Buffer.from('{}'))).body)).not.toHaveProperty('bodyRef');
  });

  test('fits unless the event ID or type alone fill the message', () => {
    const references = new Map([['a', reference('a')], ['b', reference('b')]]);
    expect(referencedMessagesFit(delivery(Buffer.alloc(4_000_000, 0x01)), references)).toBe(true);
    expect(referencedMessagesFit(delivery(Buffer.alloc(10), { eventId: 'i'.repeat(SQS_MESSAGE_LIMIT_BYTES / 2) }), references)).toBe(false);
    expect(referencedMessagesFit(delivery(Buffer.alloc(10), { eventType: 't'.repeat(SQS_MESSAGE_LIMIT_BYTES / 2) }), references)).toBe(false);
  });

  test('each processor is sent its own reference; a processor without one is a bug (a plain Error, never a 503), and nothing is sent', async () => {
    const send = jest.fn(async (_command: { input: { QueueUrl: string; MessageBody: string } }) => ({}));
    const dispatcher = new Dispatcher({ send } as unknown as SQSClient);
    const routes = [{ name: 'a', queueUrl: 'qa', eventTypes: [] }, { name: 'b', queueUrl: 'qb', eventTypes: [] }];
    await dispatcher.enqueue(routes, delivery(Buffer.alloc(10)), new Map([['a', reference('a')], ['b', reference('b')]]));
    expect(send.mock.calls.map(([command]) => [command.input.QueueUrl, (JSON.parse(command.input.MessageBody) as WebhookEnvelope).bodyRef?.key])).toEqual([
      ['qa', 'payloads/a/e/b'], ['qb', 'payloads/b/e/b'],
    ]);
    send.mockClear();
    const error = await dispatcher.enqueue(routes, delivery(Buffer.alloc(10)), new Map([['a', reference('a')]])).then(() => undefined, (e: unknown) => e);
    expect(error).toEqual(new Error('internal error: no stored body for processor b'));
    expect(error).not.toBeInstanceOf(DownstreamError);
    expect(send).not.toHaveBeenCalled();
  });
});
