import { getSignatureAlgorithm, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks';
import { buildSignedRequest, type SendInput } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

const TOKEN = 'twilio-auth-token';

function send(overrides: Partial<SendInput> = {}) {
  return buildSignedRequest('twilio', { url: URL, secret: TOKEN, now: NOW_MS, ...overrides });
}

/** The form as an Express body parser hands it to twilio.validateRequest: one value per name, or an array. */
function params(body: Buffer): Record<string, string | string[]> {
  const form = new URLSearchParams(body.toString('utf8'));
  return Object.fromEntries([...new Set(form.keys())].map((name) => [name, form.getAll(name).length === 1 ? form.getAll(name)[0] : form.getAll(name)]));
}

describe('send twilio', () => {
  test('twilio.validateRequest accepts a status callback, and refuses another token', () => {
    const request = send();
    expect(validateRequest(TOKEN, request.headers['X-Twilio-Signature'], URL, params(request.body))).toBe(true);
    expect(validateRequest('other', request.headers['X-Twilio-Signature'], URL, params(request.body))).toBe(false);
  });

  test('the status callback carries Twilio\'s SID fields and headers', () => {
    const request = send();
    expect(params(request.body)).toMatchObject({
      MessageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/), SmsSid: expect.stringMatching(/^SM/), AccountSid: expect.stringMatching(/^AC[0-9a-f]{32}$/),
      MessageStatus: 'delivered', SmsStatus: 'delivered', ApiVersion: '2010-04-01', From: '+15005550006',
    });
    expect(request.headers).toMatchObject({ 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'TwilioProxy/1.1', 'I-Twilio-Idempotency-Token': expect.any(String) });
    expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [TOKEN] }))).toMatchObject({ type: 'message.delivered', groupKey: params(request.body).MessageSid });
  });

  test('a voice status callback and a Conversations event verify with the SDK and route as call.<status> and the EventType', () => {
    for (const eventType of ['call.completed', 'onMessageAdded']) {
      const request = send({ eventType });
      expect(validateRequest(TOKEN, request.headers['X-Twilio-Signature'], URL, params(request.body))).toBe(true);
      expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [TOKEN] })).type).toBe(eventType);
    }
  });

  test('SharedKey (HMAC_SHA256): the settings header names the algorithm, and the SDK verifies with it', () => {
    const request = send({ options: { signatureAlgorithm: 'HMAC_SHA256' } });
    const algorithm = getSignatureAlgorithm(request.headers['X-Twilio-Webhooks-Signature-Settings']);
    expect(algorithm).toBe('HMAC_SHA256');
    expect(validateRequest(TOKEN, request.headers['X-Twilio-Signature'], URL, params(request.body), algorithm)).toBe(true);
    expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [TOKEN] })).id).toBe(request.eventId);
  });

  test('signedUrl: Twilio signs the public URL while the request goes elsewhere (a tunnel)', () => {
    const publicUrl = 'https://hooks.example.com/prod/twilio?tenant=acme';
    const request = send({ url: 'http://localhost:3000/twilio?tenant=acme', signedUrl: publicUrl });
    expect(request.url).toBe('http://localhost:3000/twilio?tenant=acme');
    expect(validateRequest(TOKEN, request.headers['X-Twilio-Signature'], publicUrl, params(request.body))).toBe(true);
    expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [TOKEN], publicUrl: 'https://hooks.example.com/prod/twilio' })).id).toBe(request.eventId);
    expect(verifyRequest('twilio', request, { secrets: [TOKEN] })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('with eventIdSource idempotency-token the announced ID is the token header', () => {
    const request = send({ eventId: 'idem-1', options: { eventIdSource: 'idempotency-token' } });
    expect(request.headers['I-Twilio-Idempotency-Token']).toBe('idem-1');
    expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [TOKEN], schemeOptions: { eventIdSource: 'idempotency-token' } })).id).toBe('idem-1');
  });

  describe('reproduces the Twilio SDK test vectors', () => {
    const kat = { url: 'https://mycompany.com/myapp.php?foo=1&bar=2', secret: '12345' };

    test('form parameters', () => {
      const body = Buffer.from('CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212', 'utf8');
      expect(send({ ...kat, body }).headers['X-Twilio-Signature']).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    });

    test('a repeated parameter: values de-duplicated and sorted', () => {
      const body = Buffer.from('Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234', 'utf8');
      expect(send({ ...kat, body }).headers['X-Twilio-Signature']).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
    });

    test('a JSON body: bodySHA256 joins the URL, which alone is signed; validateRequestWithBody agrees', () => {
      const body = Buffer.from('{"property": "value", "boolean": true}', 'utf8');
      const request = send({ ...kat, body });
      expect(request.url).toBe(`${kat.url}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`);
      expect(request.headers['X-Twilio-Signature']).toBe('a9nBmqA0ju/hNViExpshrM61xv4=');
      expect(request.body.equals(body)).toBe(true);
      expect(validateRequestWithBody(kat.secret, request.headers['X-Twilio-Signature'], request.url, body.toString('utf8'))).toBe(true);
      expect(acceptedEvent(verifyRequest('twilio', request, { secrets: [kat.secret] })).id).toBe(request.eventId);
    });
  });
});
