import { createHmac } from 'node:crypto';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

// Mailgun has no official verifier. Its known-answer vector fixes the token, which a sender draws fresh per delivery,
// so it cannot come out of buildSignedRequest; the block's formula is checked against the verifier instead.
const KEY = 'key-mailgun-signing';

type Body = { signature: { timestamp: string; token: string; signature: string }; 'event-data': Record<string, unknown> };

function parsed(request: ReturnType<typeof buildSignedRequest>): Body {
  return JSON.parse(request.body.toString('utf8')) as Body;
}

describe('send mailgun', () => {
  test('the body carries signature {timestamp, token, signature} = HMAC-SHA256(timestamp + token), and event-data', () => {
    const request = buildSignedRequest('mailgun', { url: URL, secret: KEY, now: NOW_MS, eventType: 'failed' });
    const { signature, 'event-data': data } = parsed(request);
    expect(signature).toMatchObject({ timestamp: '1700000000', token: expect.stringMatching(/^[0-9a-z]{50}$/) });
    expect(signature.signature).toBe(createHmac('sha256', KEY).update(signature.timestamp + signature.token).digest('hex'));
    expect(data).toMatchObject({ id: request.eventId, event: 'failed', severity: 'permanent', recipient: expect.any(String), message: { headers: { 'message-id': expect.any(String) } } });
    expect(acceptedEvent(verifyRequest('mailgun', request, { secrets: [KEY] }))).toMatchObject({ type: 'failed', groupKey: (data.message as { headers: Record<string, string> }).headers['message-id'] });
  });

  test('every request gets its own token: the token is what stops one signature being reused', () => {
    const tokens = [1, 2, 3].map(() => parsed(buildSignedRequest('mailgun', { url: URL, secret: KEY, now: NOW_MS })).signature.token);
    expect(new Set(tokens).size).toBe(3);
  });

  test('a given body without a signature keeps its bytes after the inserted block; one with a stale block has it replaced', () => {
    const given = Buffer.from('  {\n  "event-data": {"id": "given-1", "event": "opened"}\n}\n', 'utf8');
    const request = buildSignedRequest('mailgun', { url: URL, secret: KEY, now: NOW_MS, body: given });
    expect(request.body.toString('utf8')).toMatch(/^ {2}\{"signature":\{[^}]*\},\n {2}"event-data": \{"id": "given-1", "event": "opened"\}\n\}\n$/);
    expect(acceptedEvent(verifyRequest('mailgun', request, { secrets: [KEY] }))).toMatchObject({ id: 'given-1', type: 'opened' });

    const stale = Buffer.from(JSON.stringify({ signature: { timestamp: '1', token: 't', signature: '00' }, 'event-data': { id: 'given-2', event: 'clicked' } }), 'utf8');
    const resigned = buildSignedRequest('mailgun', { url: URL, secret: KEY, now: NOW_MS, body: stale });
    expect(parsed(resigned).signature.timestamp).toBe('1700000000');
    expect(acceptedEvent(verifyRequest('mailgun', resigned, { secrets: [KEY] })).id).toBe('given-2');
    expect(() => buildSignedRequest('mailgun', { url: URL, secret: KEY, body: Buffer.from('[1]') })).toThrow('a Mailgun body must be a JSON object');
  });
});
