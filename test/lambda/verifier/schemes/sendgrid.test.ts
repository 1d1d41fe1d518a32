import { createHash, generateKeyPairSync, sign as signData, type KeyObject } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { sendgridScheme } from '../../../../lambda/verifier/schemes/sendgrid';
import { context, inbound } from '../../../support/requests';

// Known-answer vectors copied from @sendgrid/eventwebhook src/eventwebhook.spec.js.
const KAT_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==';
const KAT_SIGNATURE = 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=';
const KAT_TIMESTAMP = '1600112502';
const KAT_PAYLOAD = JSON.stringify([
  {
    email: 'hello@world.com',
    event: 'dropped',
    reason: 'Bounced Address',
    sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
    sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
    'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
    timestamp: 1600112492,
  },
]) + '\r\n';
const KAT_MULTI_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==';
const KAT_MULTI_SIGNATURE = 'MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5';
const KAT_MULTI_TIMESTAMP = '1619651159';
const KAT_MULTI_PAYLOAD = JSON.stringify([
  {
    email: 'invalid@gmail.com',
    event: 'processed',
    send_at: 0,
    sg_event_id: 'cHJvY2Vzc2VkLTE5OTQyMTEyLXFOd0JMZ1BRUWpXNkRKdktRd1NBYnctMA',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    timestamp: 1619651146,
  },
  {
    email: 'invalid@gmail.com',
    event: 'bounce',
    ip: '167.89.101.76',
    reason: '552 5.2.2 The email account that you tried to reach is over quota and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm c17si1130468pgv.34 - gsmtp',
    sg_event_id: 'Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w',
    sg_message_id: 'qNwBLgPQQjW6DJvKQwSAbw.filterdrecv-canary-547b64655b-cw6zx-1-6089EA4A-56.0',
    'smtp-id': '<qNwBLgPQQjW6DJvKQwSAbw@ismtpd0178p1mdw1.sendgrid.net>',
    status: '5.2.2',
    timestamp: 1619651147,
    tls: 1,
    type: 'blocked',
  },
]).split('},{').join('},\r\n{') + '\r\n';

const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;

/** A P-256 key pair of our own; the public half as SendGrid shows it (base64 DER SPKI). */
function keyPair(): { privateKey: KeyObject; publicB64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicB64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}
const OURS = keyPair();
const OTHER = keyPair();

function sign(payload: string, timestamp: string, privateKey = OURS.privateKey): string {
  return signData('sha256', Buffer.from(timestamp + payload), privateKey).toString('base64');
}

const body = JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: 'evt-1', sg_message_id: 'msg-1' }]) + '\r\n';

function verify(payload: string, signature: string | undefined, timestamp: string | undefined, keys = [OURS.publicB64], nowMs = NOW_MS) {
  const headers: Record<string, string> = {};
  if (signature !== undefined) headers['X-Twilio-Email-Event-Webhook-Signature'] = signature;
  if (timestamp !== undefined) headers['X-Twilio-Email-Event-Webhook-Timestamp'] = timestamp;
  return sendgridScheme.verify(inbound({ body: payload, headers }), context(keys, nowMs), {});
}

function sdkVerifies(publicB64: string, payload: string, signature: string, timestamp: string): boolean {
  const ew = new EventWebhook();
  return ew.verifySignature(ew.convertPublicKeyToECDSA(publicB64), payload, signature, timestamp);
}

describe('sendgrid scheme', () => {
  test('reproduces the SDK single-event vector, and only with the trailing CRLF', () => {
    const katNow = Number(KAT_TIMESTAMP) * 1000;
    expect(verify(KAT_PAYLOAD, KAT_SIGNATURE, KAT_TIMESTAMP, [KAT_KEY], katNow)).toMatchObject({
      ok: true,
      event: { id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA', type: 'dropped' },
    });
    expect(verify(KAT_PAYLOAD.slice(0, -2), KAT_SIGNATURE, KAT_TIMESTAMP, [KAT_KEY], katNow)).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(sdkVerifies(KAT_KEY, KAT_PAYLOAD, KAT_SIGNATURE, KAT_TIMESTAMP)).toBe(true);
    expect(sdkVerifies(KAT_KEY, KAT_PAYLOAD.slice(0, -2), KAT_SIGNATURE, KAT_TIMESTAMP)).toBe(false);
  });

  test('reproduces the SDK multi-event vector; the batch ID is the SHA-256 of the sorted sg_event_ids', () => {
    const verdict = verify(KAT_MULTI_PAYLOAD, KAT_MULTI_SIGNATURE, KAT_MULTI_TIMESTAMP, [KAT_MULTI_KEY], Number(KAT_MULTI_TIMESTAMP) * 1000);
    const ids = JSON.parse(KAT_MULTI_PAYLOAD).map((event: { sg_event_id: string }) => event.sg_event_id).sort();
    expect(verdict).toMatchObject({ ok: true, event: { id: `batch:${createHash('sha256').update(JSON.stringify(ids)).digest('hex')}`, type: 'batch' } });
    expect(verdict).toMatchObject({ event: { groupKey: undefined } });
  });

  test('the batch ID does not depend on the order of events', () => {
    const events = [{ sg_event_id: 'a', event: 'open' }, { sg_event_id: 'b', event: 'click' }];
    const forward = JSON.stringify(events);
    const backward = JSON.stringify([...events].reverse());
    const first = verify(forward, sign(forward, String(NOW_S)), String(NOW_S));
    const second = verify(backward, sign(backward, String(NOW_S)), String(NOW_S));
    expect(first.ok && second.ok && first.event.id === second.event.id).toBe(true);
  });

  test('what we sign with our own P-256 key is accepted by the SDK and by the scheme', () => {
    const signature = sign(body, String(NOW_S));
    expect(sdkVerifies(OURS.publicB64, body, signature, String(NOW_S))).toBe(true);
    expect(verify(body, signature, String(NOW_S))).toEqual({
      ok: true,
      event: { id: 'evt-1', type: 'delivered', groupKey: 'msg-1', payload: JSON.parse(body) },
    });
  });

  test('rejects a tampered body, a wrong key and a missing signature header', () => {
    const signature = sign(body, String(NOW_S));
    expect(verify(body.replace('evt-1', 'evt-2'), signature, String(NOW_S))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, signature, String(NOW_S), [OTHER.publicB64])).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, sign(body, String(NOW_S), OTHER.privateKey), String(NOW_S))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(body, undefined, String(NOW_S))).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('the timestamp is signed: changing it breaks the signature', () => {
    expect(verify(body, sign(body, String(NOW_S)), String(NOW_S + 1))).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('stricter than the SDK: stale and future timestamps are refused, the SDK accepts both', () => {
    for (const ts of [String(NOW_S - 301), String(NOW_S + 301)]) {
      const signature = sign(body, ts);
      expect(verify(body, signature, ts)).toMatchObject({ ok: false, status: 401, code: 'timestamp_out_of_window' });
      expect(sdkVerifies(OURS.publicB64, body, signature, ts)).toBe(true);
    }
    expect(verify(body, sign(body, String(NOW_S - 300)), String(NOW_S - 300))).toMatchObject({ ok: true });
  });

  test('refuses a missing or malformed timestamp header', () => {
    expect(verify(body, sign(body, String(NOW_S)), undefined)).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    expect(verify(body, sign(body, `${NOW_S}.0`), `${NOW_S}.0`)).toMatchObject({ ok: false, code: 'malformed_timestamp' });
  });

  test('refuses malformed signatures: not base64, not DER, too long', () => {
    for (const signature of ['', 'not base64!', Buffer.alloc(70, 1).toString('base64'), Buffer.concat([Buffer.from([0x30]), Buffer.alloc(100)]).toString('base64')]) {
      expect(verify(body, signature, String(NOW_S))).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
    // Well-formed base64 starting like DER but not a valid signature is a plain mismatch, not a throw.
    expect(verify(body, Buffer.from([0x30, 0x02, 0x01]).toString('base64'), String(NOW_S))).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  test('tries every configured key; invalid keys are skipped, and only invalid keys is a clean rejection', () => {
    const signature = sign(body, String(NOW_S));
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const invalid = ['not-a-key', '', 'AAAA', ed25519, p384];
    expect(verify(body, signature, String(NOW_S), [...invalid, OTHER.publicB64, OURS.publicB64])).toMatchObject({ ok: true });
    for (const key of invalid) {
      expect(verify(body, signature, String(NOW_S), [key])).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
      // Second time through the cache: same answer.
      expect(verify(body, signature, String(NOW_S), [key])).toMatchObject({ ok: false, code: 'bad_signature' });
    }
  });

  test('a key pasted as a PEM block works too', () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${OURS.publicB64.match(/.{1,64}/g)?.join('\n')}\n-----END PUBLIC KEY-----\n`;
    expect(verify(body, sign(body, String(NOW_S)), String(NOW_S), [pem])).toMatchObject({ ok: true });
  });

  test('after a valid signature, a body that is not a non-empty array of identified events is a 400', () => {
    const cases: [string, string][] = [
      ['not json', 'malformed_body'],
      ['{"sg_event_id":"x"}', 'malformed_body'],
      ['[]', 'malformed_body'],
      ['[{"event":"open"}]', 'missing_event_id'],
      ['[{"sg_event_id":"a"},{"event":"open"}]', 'missing_event_id'],
      ['[{"sg_event_id":"a"},null]', 'missing_event_id'],
    ];
    for (const [payload, code] of cases) {
      expect(verify(payload, sign(payload, String(NOW_S)), String(NOW_S))).toMatchObject({ ok: false, status: 400, code });
    }
  });

  test('requires the signature and timestamp headers: the construct makes them required request parameters of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // missing either is refused at the gateway (400) and never invokes the verifier. An empty list would drop that.
    expect(sendgridScheme.requiredHeaders({})).toEqual(['X-Twilio-Email-Event-Webhook-Signature', 'X-Twilio-Email-Event-Webhook-Timestamp']);
  });

  const MALFORMED = 'X-Twilio-Email-Event-Webhook-Signature is not a base64 DER ECDSA signature';
  const NOT_SECONDS = 'timestamp is not a whole number of seconds';
  const ed25519Key = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const p384Key = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  /** base64 of `size` bytes that start like a DER SEQUENCE (0x30) but are no valid signature. */
  const derLike = (size: number) => Buffer.concat([Buffer.from([0x30]), Buffer.alloc(size - 1, 1)]).toString('base64');
  const now = String(NOW_S);
  test.each<[string, string | undefined, string | undefined, string[], string, string]>([
    ['no signature header', undefined, now, [OURS.publicB64], 'missing_signature', 'missing X-Twilio-Email-Event-Webhook-Signature header'],
    ['an empty signature header', '', now, [OURS.publicB64], 'malformed_signature', MALFORMED],
    ['a signature that is not base64', 'not base64!', now, [OURS.publicB64], 'malformed_signature', MALFORMED],
    // 71 bytes end in one `=`; without it the base64 is not canonical (ECDSA signatures vary in length, so not a real one: that could be 72 bytes, unpadded).
    ['a signature with its base64 padding stripped', derLike(71).replace(/=+$/, ''), now, [OURS.publicB64], 'malformed_signature', MALFORMED],
    ['a signature that does not start like DER (0x30)', Buffer.alloc(70, 1).toString('base64'), now, [OURS.publicB64], 'malformed_signature', MALFORMED],
    // A DER P-256 signature is at most 72 bytes; the bound is 80, inclusive: 81 bytes are refused unverified.
    ['a DER-like signature of 81 bytes', derLike(81), now, [OURS.publicB64], 'malformed_signature', MALFORMED],
    ['a DER-like signature of exactly 80 bytes', derLike(80), now, [OURS.publicB64], 'bad_signature', 'signature does not match'],
    ['no timestamp header', sign(body, now), undefined, [OURS.publicB64], 'malformed_timestamp', 'missing X-Twilio-Email-Event-Webhook-Timestamp header'],
    ['an empty timestamp header', sign(body, ''), '', [OURS.publicB64], 'malformed_timestamp', NOT_SECONDS],
    ['a timestamp with a fraction', sign(body, `${NOW_S}.0`), `${NOW_S}.0`, [OURS.publicB64], 'malformed_timestamp', NOT_SECONDS],
    // Milliseconds (13 digits) are the wrong unit: refused as malformed rather than read as a far-future time.
    ['a timestamp in milliseconds', sign(body, String(NOW_MS)), String(NOW_MS), [OURS.publicB64], 'malformed_timestamp', NOT_SECONDS],
    ['a timestamp 301 s old', sign(body, String(NOW_S - 301)), String(NOW_S - 301), [OURS.publicB64], 'timestamp_out_of_window', 'signed timestamp is 301 s old; tolerance is 300 s'],
    ['a timestamp 301 s in the future', sign(body, String(NOW_S + 301)), String(NOW_S + 301), [OURS.publicB64], 'timestamp_out_of_window', 'signed timestamp is 301 s in the future; tolerance is 300 s'],
    // Keys that are not P-256 are skipped as unusable: an Ed25519 key, a P-384 key (ECDSA, but another curve), no key at all.
    ['only an Ed25519 key configured', sign(body, now), now, [ed25519Key], 'bad_signature', 'no configured key is a P-256 public key (base64 DER SPKI)'],
    ['only a P-384 key configured', sign(body, now), now, [p384Key], 'bad_signature', 'no configured key is a P-256 public key (base64 DER SPKI)'],
    ['only a key that is not base64 configured', sign(body, now), now, ['not-a-key'], 'bad_signature', 'no configured key is a P-256 public key (base64 DER SPKI)'],
    ['a signature made with another P-256 key', sign(body, now, OTHER.privateKey), now, [OURS.publicB64], 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, signature, timestamp, keys, code, detail) => {
    expect(verify(body, signature, timestamp, keys)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('timestamps exactly at the tolerance are accepted in both directions', () => {
    for (const ts of [String(NOW_S - 300), String(NOW_S + 300)]) expect(verify(body, sign(body, ts), ts)).toMatchObject({ ok: true });
  });

  test('a signature header with surrounding whitespace is read trimmed', () => {
    expect(verify(body, ` ${sign(body, now)} `, now)).toMatchObject({ ok: true, event: { id: 'evt-1' } });
  });

  /** Signs exact bytes (for bodies that are not UTF-8 text). */
  const signBytes = (payload: Buffer, timestamp: string) => signData('sha256', Buffer.concat([Buffer.from(timestamp), payload]), OURS.privateKey).toString('base64');
  test.each<[string, string | Buffer, string, string]>([
    ['a body that is not JSON', 'not json', 'malformed_body', 'body is not valid JSON'],
    ['a body that is not UTF-8', Buffer.from([0x5b, 0xff, 0x5d]), 'malformed_body', 'body is not valid UTF-8'],
    ['a JSON object rather than an array', '{"sg_event_id":"x"}', 'malformed_body', 'body is not a non-empty JSON array of events'],
    ['JSON null', 'null', 'malformed_body', 'body is not a non-empty JSON array of events'],
    ['an empty array', '[]', 'malformed_body', 'body is not a non-empty JSON array of events'],
    ['an event without sg_event_id', '[{"event":"open"}]', 'missing_event_id', 'no event ID found in the "sg_event_id" of every event'],
    ['an event with an empty sg_event_id', '[{"sg_event_id":"","event":"open"}]', 'missing_event_id', 'no event ID found in the "sg_event_id" of every event'],
    ['a second event without sg_event_id', '[{"sg_event_id":"a"},{"event":"open"}]', 'missing_event_id', 'no event ID found in the "sg_event_id" of every event'],
    ['a null event after a good one', '[{"sg_event_id":"a"},null]', 'missing_event_id', 'no event ID found in the "sg_event_id" of every event'],
  ])('after a valid signature, %s is a 400 whose detail names the problem', (_case, payload, code, detail) => {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const verdict = sendgridScheme.verify(
      inbound({ body: bytes, headers: { 'X-Twilio-Email-Event-Webhook-Signature': signBytes(bytes, now), 'X-Twilio-Email-Event-Webhook-Timestamp': now } }),
      context([OURS.publicB64], NOW_MS), {},
    );
    expect(verdict).toEqual({ ok: false, status: 400, code, detail });
  });

  test('a single event without sg_message_id or event name has no group key and no type', () => {
    const payload = JSON.stringify([{ sg_event_id: 'evt-2', email: 'a@example.com' }]);
    expect(verify(payload, sign(payload, now), now)).toEqual({ ok: true, event: { id: 'evt-2', type: undefined, groupKey: undefined, payload: JSON.parse(payload) } });
  });

  test('a batch is typed "batch", has no group key (its events may belong to several messages) and carries every event', () => {
    const events = [
      { sg_event_id: 'b', event: 'open', sg_message_id: 'msg-1' },
      { sg_event_id: 'a', event: 'click', sg_message_id: 'msg-1' },
    ];
    const payload = JSON.stringify(events);
    expect(verify(payload, sign(payload, now), now)).toEqual({
      ok: true,
      event: { id: `batch:${createHash('sha256').update(JSON.stringify(['a', 'b'])).digest('hex')}`, type: 'batch', groupKey: undefined, payload: events },
    });
  });
});
