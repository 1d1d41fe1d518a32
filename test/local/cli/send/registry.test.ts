import { SCHEMES } from '../../../../lambda/verifier/schemes';
import {
  PROVIDERS, SendInputError, buildSignedRequest, generateKeyPair, handshake, handshakeEventType, providerIds, type SendInput, type SendOptions,
} from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, schemeOptionsFor, verifyRequest } from './support';

interface Keys {
  /** What signs (`SendInput.secret`). */
  readonly secret: string;
  /** What the endpoint holds. */
  readonly stored: string;
  /** Another provider account's signing secret (a wrong secret). */
  readonly wrong: string;
}

function sharedSecret(secret: string, wrong: string): Keys {
  return { secret, stored: secret, wrong };
}

function keyPair(provider: string): Keys {
  const ours = generateKeyPair(provider);
  return { secret: ours.privateKey, stored: ours.publicKey, wrong: generateKeyPair(provider).privateKey };
}

const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** One endpoint configuration per provider; the provider test files cover the others. */
const CASES: Readonly<Record<string, { keys: Keys; options?: SendOptions }>> = {
  stripe: { keys: sharedSecret('whsec_test_secret', 'whsec_other') },
  github: { keys: sharedSecret('gh-webhook-secret', 'gh-other') },
  hmac: { keys: sharedSecret('hmac-secret', 'hmac-other'), options: { signatureHeader: 'X-Signature', prefix: 'v1=', timestampHeader: 'X-Timestamp', eventTypeField: { jsonPath: 'type' } } },
  mailgun: { keys: sharedSecret('key-mailgun-signing', 'key-other') },
  sendgrid: { keys: keyPair('sendgrid') },
  pagerduty: { keys: sharedSecret('lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK', 'pd-other') },
  discord: { keys: keyPair('discord') },
  'standard-webhooks': { keys: sharedSecret(WHSEC, OTHER_WHSEC) },
  svix: { keys: sharedSecret(WHSEC, OTHER_WHSEC) },
  paddle: { keys: sharedSecret('pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI', 'pdl_ntfset_other') },
  intercom: { keys: sharedSecret('intercom-client-secret', 'intercom-other') },
  linear: { keys: sharedSecret('lin_wh_0123456789abcdef', 'lin_wh_other') },
  slack: { keys: sharedSecret('8f742231b10e8888abcd99yyyzzz85a5', 'slack-other') },
  shopify: { keys: sharedSecret('shopify_client_secret', 'shopify-other') },
  twilio: { keys: sharedSecret('twilio-auth-token', 'twilio-other') },
  square: { keys: sharedSecret('square-signature-key', 'square-other') },
  zoom: { keys: sharedSecret('zoom_webhook_secret_token', 'zoom-other') },
};

function send(provider: string, overrides: Partial<SendInput> = {}) {
  const { keys, options } = CASES[provider];
  return buildSignedRequest(provider, { url: URL, secret: keys.secret, now: NOW_MS, options, ...overrides });
}

function verify(provider: string, request: ReturnType<typeof send>, nowMs = NOW_MS) {
  return verifyRequest(provider, request, { secrets: [CASES[provider].keys.stored], nowMs, schemeOptions: schemeOptionsFor(provider, CASES[provider].options) });
}

/** The same event written differently: indented JSON with non-ASCII text, or one more form field. */
function reshaped(body: Buffer): Buffer {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) return Buffer.from(`${JSON.stringify(parsed, null, 4)}\r\n`, 'utf8');
    return Buffer.from(`${JSON.stringify({ ...(parsed as object), note: 'café ☕ "quoted"' }, null, 4)}\n`, 'utf8');
  } catch {
    return Buffer.from(`${text}&Note=caf%C3%A9+%E2%98%95`, 'utf8');
  }
}

const ALL = providerIds();

describe('the registry', () => {
  test('has one sender per verifier scheme, under the scheme ID', () => {
    expect([...ALL].sort()).toEqual(Object.keys(SCHEMES).sort());
    for (const id of ALL) expect(PROVIDERS[id].id).toBe(id);
  });

  test('an unknown provider is an input error naming the known ones', () => {
    expect(() => buildSignedRequest('bitbucket', { url: URL, secret: 's' })).toThrow(SendInputError);
    expect(() => buildSignedRequest('bitbucket', { url: URL, secret: 's' })).toThrow(/known: stripe, github/);
  });

  test('a URL that is not absolute http(s) is an input error', () => {
    expect(() => send('stripe', { url: '/webhook?token=t0k3n' })).toThrow(/^url is not an absolute URL$/);
    expect(() => send('square', { signedUrl: 'ftp://example.com/x' })).toThrow('signedUrl must be an http(s) URL, got the scheme "ftp:"');
    // The URL is never echoed: its user info or query may hold credentials.
    expect(() => send('stripe', { url: 'http://admin:hunter2@127.0.0.1/x' })).toThrow(/^url must not contain credentials \(user:password@\): providers never send them$/);
  });
});

describe.each(ALL)('%s', (provider) => {
  const sender = PROVIDERS[provider];

  test('the default event verifies with our verifier, which reads the event ID and type the request announces', () => {
    const request = send(provider);
    expect(request).toMatchObject({ method: 'POST', url: URL });
    const event = acceptedEvent(verify(provider, request));
    expect(request.eventId).toBeDefined();
    expect({ id: event.id, type: event.type }).toEqual({ id: request.eventId, type: request.eventType });
    expect(request.description).toContain(sender.name);
  });

  test.each(sender.exampleEventTypes)('event type %s verifies, under the ID and type announced', (eventType) => {
    const request = send(provider, { eventType });
    const event = acceptedEvent(verify(provider, request));
    expect({ id: event.id, type: event.type }).toEqual({ id: request.eventId, type: request.eventType });
  });

  test('a request signed with another secret (or key) is refused as a bad signature', () => {
    const request = send(provider, { secret: CASES[provider].keys.wrong });
    expect(verify(provider, request)).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
  });

  const signsTimestamp = sender.signsTimestamp(CASES[provider].options ?? {});
  test(signsTimestamp ? 'a stale timestamp (an hour old) is refused, and the same offset into the future too' : 'nothing time-bound is signed: an "hour-old" request still verifies', () => {
    const stale = send(provider, { timestampOffsetSeconds: -3600 });
    const future = send(provider, { timestampOffsetSeconds: 3600 });
    if (signsTimestamp) {
      expect(verify(provider, stale)).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
      expect(verify(provider, future)).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
      expect(stale.description).toContain('(timestamp -3600 s from now)');
    } else {
      expect(verify(provider, stale)).toMatchObject({ ok: true });
    }
    // Within the window, an offset is accepted: the verifier allows 300 s either way.
    expect(verify(provider, send(provider, { timestampOffsetSeconds: -60 }))).toMatchObject({ ok: true });
  });

  if (provider === 'mailgun') {
    test('a given body keeps every byte after the signature block Mailgun carries inside the body', () => {
      const given = reshaped(send(provider).body);
      const withoutSignature = Buffer.from(JSON.stringify({ ...JSON.parse(given.toString('utf8')), signature: undefined }, null, 4), 'utf8');
      const request = send(provider, { body: withoutSignature });
      expect(request.body.subarray(request.body.length - (withoutSignature.length - 1)).equals(withoutSignature.subarray(1))).toBe(true);
      const event = acceptedEvent(verify(provider, request));
      expect(event.id).toBe(request.eventId);
    });
  } else {
    test('a given body is sent byte for byte, signed as given, and its own event ID is announced', () => {
      const given = reshaped(send(provider).body);
      const request = send(provider, { body: given });
      expect(request.body.equals(given)).toBe(true);
      const event = acceptedEvent(verify(provider, request));
      expect({ id: event.id, type: event.type }).toEqual({ id: request.eventId, type: request.eventType });
    });
  }

  test('every call makes a fresh event; a given event ID makes the request reproducible', () => {
    const [first, second] = [send(provider), send(provider)];
    expect(first.eventId).not.toBe(second.eventId);
    expect(first.body.equals(second.body)).toBe(false);

    const [one, again] = [send(provider, { eventId: 'evt_fixed_0001' }), send(provider, { eventId: 'evt_fixed_0001' })];
    expect(one.body.equals(again.body)).toBe(true);
    // ECDSA signatures are randomised by design (a fresh nonce each time): everything else repeats.
    const comparable = (headers: Record<string, string>) => (provider === 'sendgrid' ? { ...headers, 'X-Twilio-Email-Event-Webhook-Signature': '' } : headers);
    expect(comparable(one.headers)).toEqual(comparable(again.headers));
    expect(acceptedEvent(verify(provider, one)).id).toBe(one.eventId);
  });
});

/** Providers whose endpoint reads the event ID exactly where `eventId` puts it (the others derive theirs from the content). */
test.each(ALL.filter((id) => !['zoom', 'twilio', 'linear'].includes(id)))('%s: a given event ID is the ID the endpoint reads', (provider) => {
  const request = send(provider, { eventId: 'evt_fixed_0002' });
  expect(request.eventId).toBe('evt_fixed_0002');
  expect(acceptedEvent(verify(provider, request)).id).toBe('evt_fixed_0002');
});

describe('handshakes', () => {
  test.each([
    ['slack', 'url_verification'],
    ['zoom', 'endpoint.url_validation'],
    ['discord', 'PING'],
  ])('%s: %s is signed as the provider signs it, and the verifier answers with the expected reply', (provider, eventType) => {
    expect(handshakeEventType(provider)).toBe(eventType);
    const request = handshake(provider, { url: URL, secret: CASES[provider].keys.secret, now: NOW_MS });
    expect(request.eventType).toBe(eventType);
    const verdict = verify(provider, request);
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.event.id).toBe(request.eventId);
    expect(verdict.handshake).toEqual({ statusCode: request.expectedReply?.statusCode, body: request.expectedReply?.body, contentType: 'application/json' });
    // The same handshake is selectable with the event type, as `--event` would.
    expect(send(provider, { eventType, eventId: 'h-1' }).body.equals(handshake(provider, { url: URL, secret: CASES[provider].keys.secret, now: NOW_MS, eventId: 'h-1' }).body)).toBe(true);
  });

  test('a provider without a handshake says which providers have one', () => {
    expect(handshakeEventType('stripe')).toBeUndefined();
    expect(() => handshake('stripe', { url: URL, secret: 's' })).toThrow('stripe has no handshake; providers with one: discord, slack, zoom');
  });
});

describe('generateKeyPair', () => {
  test('Discord: the public key is the 64 hex characters the endpoint stores; SendGrid: base64 DER SPKI', () => {
    expect(generateKeyPair('discord').publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(generateKeyPair('discord').privateKey).toContain('-----BEGIN PRIVATE KEY-----');
    expect(Buffer.from(generateKeyPair('sendgrid').publicKey, 'base64').subarray(0, 2).toString('hex')).toBe('3059');
  });

  test('providers with a shared secret have no key pair', () => {
    expect(() => generateKeyPair('stripe')).toThrow('stripe signs with a shared secret, not a key pair');
  });
});
