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
});
