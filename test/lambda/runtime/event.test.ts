import type { SQSRecord } from 'aws-lambda';
import { toEnvelope } from '../../../lambda/verifier/dispatch';
import { toWebhookEvent, UnknownEnvelopeError } from '../../../lambda/runtime/event';

/** An SQS record carrying the envelope the verifier would send for this delivery. */
function record(body: string, jsonField?: string): SQSRecord {
  const envelope = toEnvelope({ eventId: 'e1', eventType: 't', provider: 'github', groupId: 'g', body: Buffer.from(body, 'utf8'), jsonField, receivedAtMs: 0 });
  return { messageId: 'm1', body: JSON.stringify(envelope), attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g' } } as unknown as SQSRecord;
}

describe('the processor event', () => {
  test('rawBody is the exact signed bytes and json() parses a JSON body', () => {
    const event = toWebhookEvent(record('{"a":"café"}'));
    expect(event.rawBody.toString('utf8')).toBe('{"a":"café"}');
    expect(event.json()).toEqual({ a: 'café' });
  });

  test('a form body whose JSON travels in one field (GitHub form hooks, Slack interactivity): rawBody is the form, json() the payload', () => {
    const payload = { action: 'opened', title: 'a & b = c + d ☕' };
    const form = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const event = toWebhookEvent(record(form, 'payload'));
    expect(event.rawBody.toString('utf8')).toBe(form);
    expect(event.json()).toEqual(payload);
  });

  test('a form without exactly one such field makes json() throw, never guess', () => {
    expect(() => toWebhookEvent(record('other=1', 'payload')).json()).toThrow(/0 "payload" fields/);
    expect(() => toWebhookEvent(record('payload=%7B%7D&payload=%7B%7D', 'payload')).json()).toThrow(/2 "payload" fields/);
  });

  test('a message that is not an envelope is refused', () => {
    expect(() => toWebhookEvent({ messageId: 'm', body: 'x', attributes: {} } as unknown as SQSRecord)).toThrow(UnknownEnvelopeError);
  });

  test('the delivery names the SQS message, its group and its receive count', () => {
    const delivered = { ...record('{}'), attributes: { ApproximateReceiveCount: '3', MessageGroupId: 'g' } } as unknown as SQSRecord;
    expect(toWebhookEvent(delivered).delivery).toEqual({ messageId: 'm1', groupId: 'g', receiveCount: 3 });
  });

  test('a record without SQS attributes (a hand-built event) is a first delivery without a group', () => {
    const { attributes: _, ...bare } = record('{}');
    expect(toWebhookEvent(bare as SQSRecord).delivery).toEqual({ messageId: 'm1', groupId: undefined, receiveCount: 1 });
  });
});

describe('UnknownEnvelopeError', () => {
  /** An SQS record whose body is this text (not necessarily an envelope). */
  const message = (body: string) => ({ messageId: 'm-9', body, attributes: {} }) as unknown as SQSRecord;
  /** The verifier's envelope for a small JSON body, with `changes` applied to it. */
  const envelopeWith = (changes: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(record('{}').body) as object, ...changes });
  const refusal = (body: string) => {
    try {
      toWebhookEvent(message(body));
    } catch (error) {
      return error;
    }
    throw new Error(`toWebhookEvent accepted ${body}`);
  };

  test('a body that is not JSON is refused by name, naming the message and the version, with the parse error as cause', () => {
    const error = refusal('x');
    expect(error).toBeInstanceOf(UnknownEnvelopeError);
    expect(error).toMatchObject({ name: 'UnknownEnvelopeError', message: 'message m-9 is not a hardened-webhooks envelope of version 1' });
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  // Each field is checked on its own: a JSON value that is not an envelope, another envelope
  // version, an envelope without a string ID, or without a string body is never turned into an event.
  test.each([
    ['JSON null', 'null'],
    ['a JSON string', '"text"'],
    ['another envelope version', envelopeWith({ v: 2 })],
    ['no envelope version', envelopeWith({ v: undefined })],
    ['an ID that is not a string', envelopeWith({ id: 42 })],
    ['no ID', envelopeWith({ id: undefined })],
    ['no body', envelopeWith({ body: undefined })],
    ['a body that is not a string', envelopeWith({ body: { a: 1 } })],
  ])('%s is refused as an unknown envelope', (_, body) => {
    const error = refusal(body);
    expect(error).toBeInstanceOf(UnknownEnvelopeError);
    expect(error).toMatchObject({ name: 'UnknownEnvelopeError', message: 'message m-9 is not a hardened-webhooks envelope of version 1' });
  });

  test('the envelope the verifier sends is accepted as it is (the cases above differ from it in one field only)', () => {
    expect(toWebhookEvent(message(envelopeWith({}))).id).toBe('e1');
  });
});
