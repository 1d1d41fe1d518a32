import { createHmac } from 'node:crypto';
import { buildSignedRequest, type SendOptions } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, schemeOptionsFor, verifyRequest } from './support';

const SECRET = 'hmac-secret';

function sendAndVerify(options: SendOptions, nowMs = NOW_MS) {
  const request = buildSignedRequest('hmac', { url: URL, secret: SECRET, now: NOW_MS, options });
  return { request, verdict: verifyRequest('hmac', request, { secrets: [SECRET], nowMs, schemeOptions: schemeOptionsFor('hmac', options) }) };
}

describe('send hmac', () => {
  test.each<[string, SendOptions]>([
    ['hex SHA-256 over the body, no prefix', { signatureHeader: 'X-Signature' }],
    ['base64 SHA-512 with a prefix', { signatureHeader: 'X-Hook-Signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=' }],
    ['SHA-1, timestamp in milliseconds in a custom layout', { signatureHeader: 'Webhook-Sig', algorithm: 'sha1', timestampHeader: 'Webhook-Time', timestampInMilliseconds: true, signedContent: 'v1:{timestamp}:{body}' }],
    ['the body before the timestamp', { signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', signedContent: '{body}.{timestamp}' }],
    ['ID and type in headers', { signatureHeader: 'X-Signature', eventIdField: { header: 'X-Event-Id' }, eventTypeField: { header: 'X-Event-Type' } }],
    ['ID and type at nested paths', { signatureHeader: 'X-Signature', eventIdField: { jsonPath: 'meta.id' }, eventTypeField: { jsonPath: 'meta.kind' } }],
  ])('%s: verifies under the announced ID and type', (_case, options) => {
    const { request, verdict } = sendAndVerify(options);
    const event = acceptedEvent(verdict);
    expect({ id: event.id, type: event.type }).toEqual({ id: request.eventId, type: request.eventType });
    expect(request.eventId).toMatch(/^evt_/);
  });

  test('the header and timestamp are written as configured, and the digest is over the configured layout', () => {
    const { request } = sendAndVerify({ signatureHeader: 'X-Sig', prefix: 'v1=', timestampHeader: 'X-Ts', signedContent: 'v1:{timestamp}:{body}' });
    expect(request.headers['X-Ts']).toBe('1700000000');
    expect(request.headers['X-Sig']).toBe(`v1=${createHmac('sha256', SECRET).update(`v1:1700000000:${request.body.toString('utf8')}`).digest('hex')}`);
  });

  test('a millisecond timestamp an hour old is refused', () => {
    const options: SendOptions = { signatureHeader: 'X-Sig', timestampHeader: 'X-Ts', timestampInMilliseconds: true };
    const request = buildSignedRequest('hmac', { url: URL, secret: SECRET, now: NOW_MS, timestampOffsetSeconds: -3600, options });
    expect(request.headers['X-Ts']).toBe(String(NOW_MS - 3600_000));
    expect(verifyRequest('hmac', request, { secrets: [SECRET], schemeOptions: schemeOptionsFor('hmac', options) })).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
  });

  test.each<[SendOptions, string]>([
    [{}, 'hmac needs options.signatureHeader'],
    [{ signatureHeader: 'X-Sig', signedContent: '{timestamp}' }, 'signedContent must contain {body} exactly once, got "{timestamp}"'],
    [{ signatureHeader: 'X-Sig', signedContent: '{timestamp}.{body}' }, 'signedContent contains {timestamp} exactly when timestampHeader is set'],
    [{ signatureHeader: 'X-Sig', timestampHeader: 'X-Ts', signedContent: '{body}' }, 'signedContent contains {timestamp} exactly when timestampHeader is set'],
  ])('options the construct refuses are refused here too: %j', (options, message) => {
    expect(() => buildSignedRequest('hmac', { url: URL, secret: SECRET, options })).toThrow(message);
  });
});
