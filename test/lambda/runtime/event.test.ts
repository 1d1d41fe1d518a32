import type { SQSRecord } from 'aws-lambda';
import { toEnvelope } from '../../../lambda/verifier/dispatch';
import { readEnvelope, toWebhookEvent, UnknownEnvelopeError } from '../../../lambda/runtime/event';

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

describe('a body kept in S3 and a replay marker', () => {
  /** The record of a message with `changes` applied to the verifier's envelope for `{}`. */
  const changed = (changes: Record<string, unknown>) => ({ ...record('{}'), body: JSON.stringify({ ...JSON.parse(record('{}').body) as object, ...changes }) }) as SQSRecord;
  const ref = { bucket: 'events', key: 'payloads/p/e/b', bytes: 9, sha256: 'a'.repeat(64) };

  test('an envelope whose body is kept in S3 becomes an event only with the fetched bytes: rawBody and json() are theirs', () => {
    const message = changed({ body: '', bodyRef: ref });
    const event = toWebhookEvent(message, readEnvelope(message), Buffer.from('{"big":1}'));
    expect(event.rawBody.toString('utf8')).toBe('{"big":1}');
    expect(event.json()).toEqual({ big: 1 });
  });

  test('without the fetched bytes it is refused, never handed over with an empty body', () => {
    expect(() => toWebhookEvent(changed({ body: '', bodyRef: ref }))).toThrow(new TypeError('message m1 keeps its body in S3: fetch and check it before building the event'));
  });

  test('a replay says which replay it is and when it was requested; an original has no replay at all', () => {
    const replayed = toWebhookEvent(changed({ replay: { id: 'fix-1', at: '2026-05-01T12:00:00.000Z' } }));
    expect(replayed.replay).toEqual({ id: 'fix-1', at: new Date('2026-05-01T12:00:00.000Z') });
    expect(replayed.id).toBe('e1');
    expect('replay' in toWebhookEvent(record('{}'))).toBe(false);
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

  // The fields a body kept in S3 and a replay add: a message that has one but not usable is not
  // read as if it had none, and the error names the field and what it holds.
  const ref = { bucket: 'events', key: 'payloads/p/e/b', bytes: 9, sha256: 'a'.repeat(64) };
  const replay = { id: 'fix-1', at: '2026-05-01T12:00:00.000Z' };
  test.each([
    ['an empty ID', { id: '' }, 'id is empty'],
    ['a bodyRef that is not an object', { body: '', bodyRef: 'payloads/p/e/b' }, 'bodyRef is "payloads/p/e/b", not an object'],
    ['a null bodyRef', { body: '', bodyRef: null }, 'bodyRef is null, not an object'],
    ['a bodyRef without a bucket', { body: '', bodyRef: { ...ref, bucket: undefined } }, 'bodyRef.bucket is missing, not a bucket name'],
    ['a bodyRef with an empty bucket', { body: '', bodyRef: { ...ref, bucket: '' } }, 'bodyRef.bucket is "", not a bucket name'],
    ['a bodyRef with an empty key', { body: '', bodyRef: { ...ref, key: '' } }, 'bodyRef.key is "", not an object key'],
    ['a bodyRef with a key that is not a string', { body: '', bodyRef: { ...ref, key: ['a'] } }, 'bodyRef.key is ["a"], not an object key'],
    ['a bodyRef with a fractional length', { body: '', bodyRef: { ...ref, bytes: 1.5 } }, 'bodyRef.bytes is 1.5, not a whole number of bytes'],
    ['a bodyRef with a negative length', { body: '', bodyRef: { ...ref, bytes: -1 } }, 'bodyRef.bytes is -1, not a whole number of bytes'],
    ['a bodyRef with a length in a string', { body: '', bodyRef: { ...ref, bytes: '9' } }, 'bodyRef.bytes is "9", not a whole number of bytes'],
    ['a bodyRef with an upper-case digest', { body: '', bodyRef: { ...ref, sha256: 'A'.repeat(64) } }, `bodyRef.sha256 is "${'A'.repeat(64)}", not a lowercase hex SHA-256`],
    ['a bodyRef with a short digest', { body: '', bodyRef: { ...ref, sha256: 'a'.repeat(63) } }, `bodyRef.sha256 is "${'a'.repeat(63)}", not a lowercase hex SHA-256`],
    ['a bodyRef beside a body', { body: '{}', bodyRef: ref }, 'body is 2 characters long beside bodyRef; it must be empty'],
    ['a replay that is not an object', { replay: ['fix-1'] }, 'replay is ["fix-1"], not an object'],
    ['a replay without an ID', { replay: { at: replay.at } }, 'replay.id is missing, not a replay ID'],
    ['a replay with an empty ID', { replay: { ...replay, id: '' } }, 'replay.id is "", not a replay ID'],
    ['a replay with an ID that is not a string', { replay: { ...replay, id: 1 } }, 'replay.id is 1, not a replay ID'],
    ['a replay without a time', { replay: { id: 'fix-1' } }, 'replay.at is missing, not an ISO 8601 time'],
    ['a replay with a time that is not one', { replay: { ...replay, at: 'soon' } }, 'replay.at is "soon", not an ISO 8601 time'],
  ])('%s is refused, naming the field and its value', (_, changes, problem) => {
    const error = refusal(envelopeWith(changes));
    expect(error).toBeInstanceOf(UnknownEnvelopeError);
    expect(error).toMatchObject({ name: 'UnknownEnvelopeError', message: `message m-9 is not a hardened-webhooks envelope of version 1: ${problem}` });
  });

  test('the first problem found is named, and a long value is shown cut short', () => {
    const first = refusal(envelopeWith({ replay: { ...replay, id: 7, at: 'x' } })) as Error;
    expect(first.message).toMatch(/: replay\.id is 7, not a replay ID$/);
    const long = refusal(envelopeWith({ body: '', bodyRef: { ...ref, key: ['k'.repeat(500)] } })) as Error;
    expect(long.message).toBe(`message m-9 is not a hardened-webhooks envelope of version 1: bodyRef.key is ["${'k'.repeat(75)}..., not an object key`);
  });

  test('a well-formed bodyRef and replay are accepted', () => {
    const envelope = readEnvelope(message(envelopeWith({ body: '', bodyRef: ref, replay })));
    expect(envelope).toMatchObject({ id: 'e1', bodyRef: ref, replay });
  });

  test('the envelope the verifier sends is accepted as it is (the cases above differ from it in one field only)', () => {
    expect(toWebhookEvent(message(envelopeWith({}))).id).toBe('e1');
  });
});
