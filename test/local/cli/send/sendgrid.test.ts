import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { buildSignedRequest, generateKeyPair } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const PAIR = generateKeyPair('sendgrid');
const OTHER = generateKeyPair('sendgrid');

function sdkAccepts(request: ReturnType<typeof buildSignedRequest>, publicKey = PAIR.publicKey): boolean {
  const webhook = new EventWebhook();
  return webhook.verifySignature(webhook.convertPublicKeyToECDSA(publicKey), request.body, request.headers['X-Twilio-Email-Event-Webhook-Signature'], request.headers['X-Twilio-Email-Event-Webhook-Timestamp']);
}

describe('send sendgrid', () => {
  test('@sendgrid/eventwebhook verifySignature accepts it with the public key from generateKeyPair, and refuses another', () => {
    const request = buildSignedRequest('sendgrid', { url: URL, secret: PAIR.privateKey, now: NOW_MS });
    expect(sdkAccepts(request)).toBe(true);
    expect(sdkAccepts(request, OTHER.publicKey)).toBe(false);
  });

  test('the body is SendGrid\'s: an array of events ending in CRLF, with sg_event_id and sg_message_id', () => {
    const request = buildSignedRequest('sendgrid', { url: URL, secret: PAIR.privateKey, now: NOW_MS, eventType: 'open' });
    expect(request.body.toString('utf8')).toMatch(/^\[\{.*\}\]\r\n$/s);
    expect(JSON.parse(request.body.toString('utf8'))).toEqual([expect.objectContaining({ event: 'open', email: expect.any(String), sg_event_id: request.eventId, sg_message_id: expect.any(String), timestamp: expect.any(Number) })]);
    expect(acceptedEvent(verifyRequest('sendgrid', request, { secrets: [PAIR.publicKey] }))).toMatchObject({ id: request.eventId, type: 'open' });
  });

  test('a given batch of several events is signed as given; the endpoint names it from all its IDs', () => {
    const body = Buffer.from('[{"event":"processed","sg_event_id":"a1","sg_message_id":"m"},\r\n{"event":"delivered","sg_event_id":"b2","sg_message_id":"m"}]\r\n', 'utf8');
    const request = buildSignedRequest('sendgrid', { url: URL, secret: PAIR.privateKey, now: NOW_MS, body });
    expect(sdkAccepts(request)).toBe(true);
    expect(request.eventType).toBe('batch');
    expect(acceptedEvent(verifyRequest('sendgrid', request, { secrets: [PAIR.publicKey] })).type).toBe('batch');
  });

  test('the private key may be PEM (PKCS#8 or SEC1) or base64 DER PKCS#8', () => {
    const key = createPrivateKey(PAIR.privateKey);
    for (const secret of [key.export({ format: 'pem', type: 'sec1' }).toString(), key.export({ format: 'der', type: 'pkcs8' }).toString('base64')]) {
      expect(sdkAccepts(buildSignedRequest('sendgrid', { url: URL, secret, now: NOW_MS }))).toBe(true);
    }
  });

  test('the public key, or a key on another curve, is an input error that says what to pass', () => {
    expect(() => buildSignedRequest('sendgrid', { url: URL, secret: PAIR.publicKey })).toThrow(/it is a public key — the endpoint holds that one; sign with the private half/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => buildSignedRequest('sendgrid', { url: URL, secret: p384 })).toThrow('the private key is not an ECDSA P-256 key (ec secp384r1)');
  });
});
