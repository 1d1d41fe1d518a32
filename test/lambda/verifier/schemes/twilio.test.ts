import { createHash, createHmac } from 'node:crypto';
import { getExpectedBodyHash, getExpectedTwilioSignature, validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks';
import { twilioScheme, type TwilioOptions } from '../../../../lambda/verifier/schemes/twilio';
import { context, inbound, contentKeyed } from '../../../support/requests';

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
  test('requires only the signature header: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns it into `method.request.header.X-Twilio-Signature`, enforced by the request validator: an
    // unsigned request is refused at the gateway (400) and never invokes the verifier. The settings and idempotency
    // headers are optional (the Auth Token signature carries neither), so they must not be listed.
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
      return { id: verdict.event.id, signedContent: verdict.event.signedContent?.key };
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
      expect(verdict).toMatchObject({ ok: true, event: { id: genuine.event.id, signedContent: contentKeyed(genuine.event.signedContent?.key) } });
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
    expect(byToken.event.signedContent?.key).toBe(byContent.event.signedContent?.key);
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

  const sha1 = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS);
  const sha256 = getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, STATUS, 'HMAC_SHA256');
  const SHA256_SETTINGS = 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256';
  const resized = (signature: string, bytes: number) => {
    const digest = Buffer.from(signature, 'base64');
    return (bytes < digest.length ? digest.subarray(0, bytes) : Buffer.concat([digest, Buffer.alloc(bytes - digest.length)])).toString('base64');
  };
  const jsonBody = '{"MessageSid":"SM9","MessageStatus":"sent"}';
  /** A JSON-body request whose URL (with this bodySHA256) is correctly signed. */
  const jsonCall = (bodySHA256: string, body = jsonBody): Call => ({
    body,
    headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, `${URL_WITH_QUERY}&bodySHA256=${bodySHA256}`, {}) },
    query: { ...QUERY, bodySHA256 },
  });
  test.each<[string, Call, string, string]>([
    ['no signature header', { body: form(STATUS), headers: {} }, 'missing_signature', 'missing X-Twilio-Signature header'],
    ['a settings header naming HMAC_SHA512', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'X-Twilio-Webhooks-Signature-Settings': 'key=k,algorithm=HMAC_SHA512' } }, 'malformed_signature', 'X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm'],
    ['a settings header naming an algorithm without its HMAC_ prefix', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha256, 'X-Twilio-Webhooks-Signature-Settings': 'algorithm=SHA256' } }, 'malformed_signature', 'X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm'],
    ['an empty signature', { body: form(STATUS), headers: { 'X-Twilio-Signature': '' } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    ['a signature that is not base64', { body: form(STATUS), headers: { 'X-Twilio-Signature': 'not base64!' } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    ['a SHA-1 signature without its base64 padding', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha1.replace(/=+$/, '') } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    // Base64 of the wrong size is malformed, not a mismatch: only a 20-byte digest is an HMAC-SHA1.
    ['a SHA-1 signature one byte short', { body: form(STATUS), headers: { 'X-Twilio-Signature': resized(sha1, 19) } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    ['a SHA-1 signature one byte long', { body: form(STATUS), headers: { 'X-Twilio-Signature': resized(sha1, 21) } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    ['a SHA-256 signature with no settings header (SHA-1 expected)', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha256 } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha1 digest'],
    ['a SHA-1 signature under settings naming HMAC_SHA256', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'X-Twilio-Webhooks-Signature-Settings': SHA256_SETTINGS } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha256 digest'],
    ['a SHA-256 signature one byte short', { body: form(STATUS), headers: { 'X-Twilio-Signature': resized(sha256, 31), 'X-Twilio-Webhooks-Signature-Settings': SHA256_SETTINGS } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha256 digest'],
    ['a SHA-256 signature one byte long', { body: form(STATUS), headers: { 'X-Twilio-Signature': resized(sha256, 33), 'X-Twilio-Webhooks-Signature-Settings': SHA256_SETTINGS } }, 'malformed_signature', 'X-Twilio-Signature is not a base64 sha256 digest'],
    ['a signature made with another token', { body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature('54321', URL_WITH_QUERY, STATUS) } }, 'bad_signature', 'signature does not match'],
    ['a tampered parameter', { body: form({ ...STATUS, MessageStatus: 'failed' }), headers: { 'X-Twilio-Signature': sha1 } }, 'bad_signature', 'signature does not match'],
    // The URL signature covers bodySHA256; the body must then hash to it.
    ['a JSON body that does not hash to the signed bodySHA256', { ...jsonCall(getExpectedBodyHash(jsonBody)), body: '{"MessageSid":"SM0"}' }, 'bad_signature', 'body does not match the signed bodySHA256'],
    ['a signed bodySHA256 that is not hex', jsonCall('zz'), 'bad_signature', 'body does not match the signed bodySHA256'],
    ['a signed bodySHA256 that is empty', jsonCall(''), 'bad_signature', 'body does not match the signed bodySHA256'],
    ['a signed bodySHA256 one byte short', jsonCall(getExpectedBodyHash(jsonBody).slice(0, -2)), 'bad_signature', 'body does not match the signed bodySHA256'],
  ])('%s is a 401 whose detail names the problem', (_case, call, code, detail) => {
    expect(verify(call)).toEqual({ ok: false, status: 401, code, detail });
  });

  test.each<[string, Call, string, string]>([
    // The URL is the public URL configured for the endpoint; one that does not parse is the deployment's fault.
    ['a request URL that cannot be parsed', { body: form(STATUS), headers: { 'X-Twilio-Signature': sha1 }, publicUrl: 'not a url' }, 'malformed_request', 'the request URL cannot be parsed'],
    ['a form body that is not UTF-8', { body: Buffer.from([0x41, 0x3d, 0xff]) as unknown as string, headers: { 'X-Twilio-Signature': sha1 } }, 'malformed_body', 'body is not a UTF-8 form'],
    ['a correctly signed JSON body that is not JSON', jsonCall(getExpectedBodyHash('not json'), 'not json'), 'malformed_body', 'body is not valid JSON'],
    ['a correctly signed JSON body that is not UTF-8', jsonCall(createHash('sha256').update(Buffer.from([0x7b, 0xff, 0x7d])).digest('hex'), Buffer.from([0x7b, 0xff, 0x7d]) as unknown as string), 'malformed_body', 'body is not valid UTF-8'],
  ])('%s is a 400 whose detail names the problem', (_case, call, code, detail) => {
    expect(verify(call)).toEqual({ ok: false, status: 400, code, detail });
  });

  test.each<[string, string, string]>([
    // Spaces around the separators are Twilio's to add: the part name and the value are read trimmed.
    ['a space after the comma', 'key=k, algorithm=HMAC_SHA256', sha256],
    ['spaces around the algorithm name', 'key=k,algorithm= HMAC_SHA256 ', sha256],
    ['the algorithm name in lower case', 'algorithm=hmac_sha256', sha256],
    ['HMAC_SHA1 named explicitly', 'key=k,algorithm=HMAC_SHA1', sha1],
    // An empty value or a part without `=` names no algorithm: the Auth Token's SHA-1 applies.
    ['an empty algorithm value', 'key=k,algorithm=', sha1],
    ['an algorithm value of spaces', 'key=k,algorithm= ', sha1],
    ['a part without "="', 'key=k,algorithms', sha1],
    ['an empty settings header', '', sha1],
    // The first algorithm= decides; a later one cannot downgrade it.
    ['two algorithm parts', 'algorithm=HMAC_SHA256,algorithm=HMAC_SHA1', sha256],
  ])('a settings header with %s selects the expected algorithm', (_case, settings, signature) => {
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': signature, 'X-Twilio-Webhooks-Signature-Settings': settings } })).toMatchObject({ ok: true });
  });

  test('header names are matched case-insensitively', () => {
    expect(verify({ body: form(STATUS), headers: { 'x-twilio-signature': sha256, 'x-twilio-webhooks-signature-settings': SHA256_SETTINGS } })).toMatchObject({ ok: true });
  });

  test('the signed content is the URL variant that verified, followed by the parameters', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, withPort, STATUS) } });
    const suffix = Object.keys(STATUS).sort().map((name) => name + STATUS[name as keyof typeof STATUS]).join('');
    expect(verdict).toMatchObject({ ok: true, event: { signedContent: contentKeyed(createHash('sha256').update(withPort + suffix).digest('hex')) } });
  });

  test('an http URL is also tried with :80, never with :443', () => {
    const publicUrl = 'http://mycompany.com/myapp.php';
    const signedWith = (url: string) => verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, STATUS) }, publicUrl });
    expect(signedWith('http://mycompany.com:80/myapp.php?foo=1&bar=2')).toMatchObject({ ok: true });
    expect(signedWith('http://mycompany.com:443/myapp.php?foo=1&bar=2')).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('a URL without a path is tried with the default port before its query', () => {
    const signature = getExpectedTwilioSignature(TOKEN, 'https://mycompany.com:443?foo=1&bar=2', STATUS);
    expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': signature }, publicUrl: 'https://mycompany.com' })).toMatchObject({ ok: true });
  });

  test('a query of several parameters is re-encoded with %20 and joined with &, with and without the port', () => {
    const query = { note: 'a b', foo: '1' };
    for (const url of ['https://mycompany.com/myapp.php?note=a%20b&foo=1', 'https://mycompany.com:443/myapp.php?note=a%20b&foo=1']) {
      expect(verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, STATUS) }, query })).toMatchObject({ ok: true });
    }
  });

  test('a URL without a query has no re-encoded variant: only the URL itself and its port variant are tried', () => {
    const call = (url: string): Call => ({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, STATUS) }, query: {} });
    expect(verify(call(BASE))).toMatchObject({ ok: true });
    // Reading the whole URL as a query would make a nonsense variant; a signature over it must not verify.
    expect(verify(call(`${encodeURIComponent(BASE)}=`))).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('a URL the port pattern does not recognise is tried only as received, and an http URL later in its path lends it no port variant', () => {
    // Empty userinfo before the host: the host pattern cannot start at '@', so no port variant is derived.
    const publicUrl = 'https://@mycompany.com/relay/https://mycompany.com/myapp.php';
    const signedWith = (url: string) => verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, url, STATUS) }, publicUrl });
    expect(signedWith(`${publicUrl}?foo=1&bar=2`)).toMatchObject({ ok: true });
    expect(signedWith('https://mycompany.com:443/myapp.php?foo=1&bar=2')).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('repeated parameters reach processors de-duplicated and sorted, as they were signed; single values stay strings', () => {
    const repeated = { Sid: 'CA123', Digits: ['5678', '1234', '1234'], Same: ['x', 'x'], Empty: '' };
    const verdict = verify({ body: form(repeated), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, repeated) } });
    expect(verdict).toMatchObject({ ok: true, event: { payload: { Sid: 'CA123', Digits: ['1234', '5678'], Same: 'x', Empty: '' } } });
  });

  test.each<[string, Params, string | undefined, string | undefined]>([
    // A Conversations webhook names the conversation and a message in it: the conversation is the group.
    ['a Conversations event', { EventType: 'onMessageAdded', ConversationSid: 'CH1', MessageSid: 'IM1' }, 'onMessageAdded', 'CH1'],
    ['a conference event', { StatusCallbackEvent: 'participant-join', CallSid: 'CA1', ConferenceSid: 'CF1' }, 'participant-join', 'CA1'],
    ['a payload with its own "type"', { type: 'custom.event', AccountSid: 'AC1' }, 'custom.event', undefined],
    ['a call status callback', { CallSid: 'CA1', CallStatus: 'ringing' }, 'call.ringing', 'CA1'],
    ['an inbound SMS', { MessageSid: 'SM2', SmsStatus: 'received' }, 'message.received', 'SM2'],
    ['a message without status', { MessageSid: 'SM3', Body: 'hi' }, 'message', 'SM3'],
    // A status with no resource SID names nothing: no "undefined.sent".
    ['a status without a message or call SID', { AccountSid: 'AC1', MessageStatus: 'sent' }, undefined, undefined],
    ['no SID and no type at all', { AccountSid: 'AC1', Body: 'hi' }, undefined, undefined],
  ])('%s is typed and grouped from its parameters', (_case, params, type, groupKey) => {
    const verdict = verify({ body: form(params), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, params) } });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect({ type: verdict.event.type, groupKey: verdict.event.groupKey }).toEqual({ type, groupKey });
  });

  test('a JSON body is typed, grouped and named from the JSON; its signed content is the URL alone', () => {
    const hash = getExpectedBodyHash(jsonBody);
    const url = `${URL_WITH_QUERY}&bodySHA256=${hash}`;
    const verdict = verify(jsonCall(hash));
    const signedContent = createHash('sha256').update(url).digest('hex');
    expect(verdict).toEqual({
      ok: true,
      event: {
        id: `twilio:${signedContent}`,
        signedContent: contentKeyed(signedContent),
        legacyIds: [`SM9:${createHash('sha256').update(JSON.stringify([url, []])).digest('hex')}`],
        type: 'message.sent',
        payload: JSON.parse(jsonBody),
        groupKey: 'SM9',
        acknowledgement: { statusCode: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', contentType: 'text/xml' },
      },
    });
  });

  test.each<[string, Params, string]>([
    ['a call', { CallSid: 'CA1', CallStatus: 'completed' }, 'CA1'],
    ['neither a message nor a call', { AccountSid: 'AC1' }, 'twilio'],
  ])('the version 0.1 legacy ID of %s is prefixed with its SID, else "twilio"', (_case, params, prefix) => {
    const verdict = verify({ body: form(params), headers: { 'X-Twilio-Signature': getExpectedTwilioSignature(TOKEN, URL_WITH_QUERY, params) } });
    const sorted = Object.keys(params).sort().map((name) => [name, [params[name]]]);
    expect(verdict).toMatchObject({ ok: true, event: { legacyIds: [`${prefix}:${createHash('sha256').update(JSON.stringify([URL_WITH_QUERY, sorted])).digest('hex')}`] } });
  });

  test('an event named by its idempotency token has no legacy IDs: version 0.1 never named events by the token', () => {
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'I-Twilio-Idempotency-Token': 'tok-1' } }, { eventIdSource: 'idempotency-token' });
    expect(verdict).toMatchObject({ ok: true, event: { id: 'tok-1' } });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.event.legacyIds).toBeUndefined();
  });

  test('an empty idempotency token is no token: the event is named by its signed content', () => {
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1, 'I-Twilio-Idempotency-Token': '' } }, { eventIdSource: 'idempotency-token' });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.event.id).toBe(`twilio:${verdict.event.signedContent?.key}`);
    expect(verdict.event.legacyIds).toHaveLength(1);
  });

  test('the acknowledgement is exactly an empty TwiML document, as XML', () => {
    const verdict = verify({ body: form(STATUS), headers: { 'X-Twilio-Signature': sha1 } });
    expect(verdict).toMatchObject({ ok: true });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.event.acknowledgement).toEqual({ statusCode: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', contentType: 'text/xml' });
  });
});
