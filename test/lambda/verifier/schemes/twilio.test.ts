import { createHash, createHmac } from 'node:crypto';
import { getExpectedBodyHash, getExpectedTwilioSignature, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks';
import { twilioScheme, type TwilioOptions } from '../../../../lambda/verifier/schemes/twilio';
import { context, inbound } from '../../../support/requests';

const TOKEN = '12345';
const NOW_MS = 1_700_000_000_000;
const BASE = 'https://mycompany.com/myapp.php';
const URL_WITH_QUERY = `${BASE}?foo=1&bar=2`;
const QUERY = { foo: '1', bar: '2' };
const KAT_PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
const STATUS = { MessageSid: 'SM1', MessageStatus: 'delivered', AccountSid: 'AC1', To: '+15550001111' };

type Params = Record<string, string | string[]>;

function form(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const item of [value].flat()) search.append(name, item);
  return search.toString();
}

/** Signs by hand from Twilio's description: URL, then each sorted name + value, values de-duplicated and sorted. */
function handSign(secret: string, url: string, params: Params, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  const data = Object.keys(params).sort()
    .map((name) => [...new Set([params[name]].flat())].sort().map((value) => name + value).join('')).join('');
  return createHmac(algorithm, secret).update(url + data).digest('base64');
}

interface Call {
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly publicUrl?: string;
  readonly secrets?: string[];
}

function verify({ body, headers, query = QUERY, publicUrl = BASE, secrets = [TOKEN] }: Call, options: TwilioOptions = {}) {
  return twilioScheme.verify(inbound({ body, headers, query }, publicUrl), context(secrets, NOW_MS), options);
}

describe('twilio scheme', () => {
  test('requires only the signature header', () => {
    expect(twilioScheme.requiredHeaders({})).toEqual(['X-Twilio-Signature']);
  });

  test('reproduces the form-parameter vectors from the Twilio SDK tests', () => {
    expect(verify({ body: form(KAT_PARAMS), headers: { 'X-Twilio-Signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' } }))
      .toMatchObject({ ok: true, event: { type: 'call', groupKey: 'CA1234567890ABCDE' } });
    const repeated = { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] };
    expect(verify({ body: form(repeated), headers: { 'X-Twilio-Signature': 'IK+Dwps556ElfBT0I3Rgjkr1wJU=' } })).toMatchObject({ ok: true });
    expect(handSign(TOKEN, URL_WITH_QUERY, KAT_PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(handSign(TOKEN, URL_WITH_QUERY, repeated)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  test('reproduces the JSON-body vectors: bodySHA256 in the signed URL, then the body hash', () => {
    const body = '{"property": "value", "boolean": true}';
    const hash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
    expect(getExpectedBodyHash(body)).toBe(hash);
    const call = { body, headers: { 'X-Twilio-Signature': 'a9nBmqA0ju/hNViExpshrM61xv4=' }, query: { ...QUERY, bodySHA256: hash } };
    expect(verify(call)).toMatchObject({ ok: true, event: { payload: { property: 'value', boolean: true } } });
    // The URL signature alone is not enough: a different body under the same URL is refused.
    expect(verify({ ...call, body: '{"property": "other", "boolean": true}' })).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
  });

  test('accepts requests signed by twilio-node, SHA-1 and SharedKey SHA-256', () => {
    const url = `${URL_WITH_QUERY}`;
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, STATUS) } }))
      .toMatchObject({ ok: true, event: { type: 'message.delivered', groupKey: 'SM1', payload: STATUS } });
    const sharedKey = 'shared_key_secret';
    expect(verify({
      body: form(STATUS),
      headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(sharedKey, url, STATUS, 'HMAC_SHA256'), 'X-Twilio-Webhooks-Signature-Settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256' },
      secrets: [TOKEN, sharedKey],
    })).toMatchObject({ ok: true });
  });

  test('what our tests sign by hand is accepted by twilio-node', () => {
    expect(validateRequest(TOKEN, handSign(TOKEN, URL_WITH_QUERY, STATUS), URL_WITH_QUERY, STATUS)).toBe(true);
    expect(validateRequest(TOKEN, handSign(TOKEN, URL_WITH_QUERY, STATUS, 'sha256'), URL_WITH_QUERY, STATUS, 'HMAC_SHA256')).toBe(true);
    const body = '{"a":1}';
    const url = `${URL_WITH_QUERY}&bodySHA256=${getExpectedBodyHash(body)}`;
    expect(validateRequestWithBody(TOKEN, handSign(TOKEN, url, {}), url, body)).toBe(true);
  });

  test('tries the URL with and without the default port, and the query encoded with %20', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, withPort, STATUS) } })).toMatchObject({ ok: true });
    const publicUrl = 'https://mycompany.com:443/myapp.php';
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS) }, publicUrl })).toMatchObject({ ok: true });
    // Twilio called `?note=a%20b`; API Gateway hands over `a b`, which we re-encode as `a+b`.
    const spaced = `${BASE}?note=a%20b`;
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, spaced, STATUS) }, query: { note: 'a b' } })).toMatchObject({ ok: true });
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, 'https://other.example/myapp.php?foo=1&bar=2', STATUS) } }))
      .toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('rejects a tampered parameter, a wrong token and a missing header', () => {
    const signature = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS);
    expect(verify({ body: form({ ...STATUS, MessageStatus: 'failed' }), headers: { 'X-Twilio-Signature': signature } })).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify({ body: form({ ...STATUS, Extra: 'x' }), headers: { 'X-Twilio-Signature': signature } })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature('54321', URL_WITH_QUERY, STATUS) } })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify({ body: form(STATUS), headers: {} })).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('refuses malformed signatures and unsupported algorithms', () => {
    const sha1 = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS);
    for (const bad of ['', 'not base64!', sha1.slice(0, -4), `${sha1} `, Buffer.alloc(32).toString('base64')]) {
      expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': bad } })).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
    // A SHA-1 signature under a header announcing SHA-256 has the wrong length.
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'X-Twilio-Webhooks-Signature-Settings': 'key=k,algorithm=HMAC_SHA256' } }))
      .toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'X-Twilio-Webhooks-Signature-Settings': 'key=k,algorithm=HMAC_SHA512' } }))
      .toMatchObject({ ok: false, code: 'malformed_signature' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(validateRequest(TOKEN, sha1, URL_WITH_QUERY, STATUS, 'HMAC_SHA512')).toBe(false);
    warn.mockRestore();
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'X-Twilio-Webhooks-Signature-Settings': 'key=k' } })).toMatchObject({ ok: true });
  });

  test('accepts a request signed with any of several active secrets', () => {
    const headers = { 'X-Twilio-Signature': getExpectedTwilioSignature('old_token', URL_WITH_QUERY, STATUS) };
    expect(verify({ body: form(STATUS), headers, secrets: [TOKEN, 'old_token'] })).toMatchObject({ ok: true });
    expect(verify({ body: form(STATUS), headers })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('the event ID is the digest of the signed string: kept on retries and reorderings, changed by a new callback, not by an unsigned header', () => {
    const signature = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS);
    const identity = (body: string, headers: Record<string, string>) => {
      const verdict = verify({ body, headers });
      if (!verdict.ok) throw new Error(verdict.detail);
      return { id: verdict.event.id, signedContent: verdict.event.signedContent };
    };
    const first = identity(form(STATUS), { 'X-Twilio-Signature': signature, 'I-Twilio-Idempotency-Token': 'retry-token-1' });
    // The signed string is the URL followed by the sorted name+value pairs, exactly as Twilio signs it.
    const signedString = URL_WITH_QUERY + Object.keys(STATUS).sort().map((name) => name + STATUS[name as keyof typeof STATUS]).join('');
    expect(first.signedContent).toBe(createHash('sha256').update(signedString).digest('hex'));
    expect(first.id).toBe(`twilio:${first.signedContent}`);
    // A replay with a fresh idempotency token (unsigned) or reordered parameters is the same event.
    expect(identity(form(STATUS), { 'X-Twilio-Signature': signature, 'I-Twilio-Idempotency-Token': 'forged-token' })).toEqual(first);
    const reordered = Object.fromEntries(Object.entries(STATUS).reverse());
    expect(identity(form(reordered), { 'X-Twilio-Signature': signature })).toEqual(first);
    const sent = { ...STATUS, MessageStatus: 'sent' };
    expect(identity(form(sent), { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, sent) }).id).not.toBe(first.id);
  });

  test('every re-split of one signed string verifies as the same event ID and signed content (the replay the claim must catch)', () => {
    // GIVEN a genuine callback, and re-splits an attacker makes of its body without the token
    const signature = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS);
    const genuine = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': signature } });
    if (!genuine.ok) throw new Error(genuine.detail);
    const resplits = [
      `${form(STATUS)}&=`, // an empty parameter adds nothing to the concatenation
      form({ ...STATUS, MessageStatus: undefined as unknown as string }).replace(/&?MessageStatus=[^&]*/, '') + '&MessageStatu=sdelivered', // moved a character
      'AccountSid=AC1MessageSidSM1&MessageStatus=delivered&To=%2B15550001111', // two parameters merged into one
      'A=ccountSidAC1&MessageSidSM1MessageStatus=delivered&To=%2B15550001111',
    ];
    for (const body of resplits) {
      const verdict = verify({ body, headers: { 'X-Twilio-Signature': signature } });
      // THEN each verifies (the signature cannot tell them apart) but as the very same event
      expect(verdict).toMatchObject({ ok: true, event: { id: genuine.event.id, signedContent: genuine.event.signedContent } });
    }
  });

  test('version 0.1 event IDs are offered as legacy IDs so claims made before an upgrade are honoured', () => {
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS) } });
    const params = Object.keys(STATUS).sort().map((name) => [name, [STATUS[name as keyof typeof STATUS]]]);
    const v01 = `SM1:${createHash('sha256').update(JSON.stringify([URL_WITH_QUERY, params])).digest('hex')}`;
    expect(verdict).toMatchObject({ ok: true, event: { legacyIds: [v01] } });
  });

  test('eventIdSource idempotency-token names the event by the unsigned header, but the claim stays on the signed content', () => {
    const headers = { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS) };
    const options: TwilioOptions = { eventIdSource: 'idempotency-token' };
    const byToken = verify({ body: form(STATUS), headers: { ...headers, 'I-Twilio-Idempotency-Token': 'tok-1' } }, options);
    const byContent = verify({ body: form(STATUS), headers }, options);
    expect(byToken).toMatchObject({ ok: true, event: { id: 'tok-1' } });
    expect(byContent).toMatchObject({ ok: true, event: { id: expect.stringMatching(/^twilio:[0-9a-f]{64}$/) } });
    if (!byToken.ok || !byContent.ok) throw new Error('refused');
    expect(byToken.event.signedContent).toBe(byContent.event.signedContent);
    expect(verify({ body: form(STATUS), headers: { ...headers, 'I-Twilio-Idempotency-Token': 'tok-1' } })).toMatchObject({ ok: true, event: { id: byContent.event.id } });
  });

  test('acknowledges with empty TwiML, so an inbound message gets no reply', () => {
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS) } });
    expect(verdict).toMatchObject({ ok: true, event: { acknowledgement: { statusCode: 200, contentType: 'text/xml', body: expect.stringContaining('<Response></Response>') } } });
  });

  test('names the event type from Conversations, conference and call parameters', () => {
    const cases: [Params, string][] = [
      [{ EventType: 'onMessageAdded', ConversationSid: 'CH1' }, 'onMessageAdded'],
      [{ StatusCallbackEvent: 'participant-join', CallSid: 'CA1' }, 'participant-join'],
      [{ CallSid: 'CA1', CallStatus: 'completed' }, 'call.completed'],
      [{ MessageSid: 'SM2', SmsStatus: 'received' }, 'message.received'],
    ];
    for (const [params, type] of cases) {
      expect(verify({ body: form(params), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, params) } }))
        .toMatchObject({ ok: true, event: { type } });
    }
  });

  test('a correctly signed JSON body that is not JSON is a 400', () => {
    const body = 'not json';
    const url = `${URL_WITH_QUERY}&bodySHA256=${getExpectedBodyHash(body)}`;
    const call = { body, headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, {}) }, query: { ...QUERY, bodySHA256: getExpectedBodyHash(body) } };
    expect(verify(call)).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
  });
});
