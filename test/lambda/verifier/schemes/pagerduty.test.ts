import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pagerdutyScheme } from '../../../../lambda/verifier/schemes/pagerduty';
import { context, inbound } from '../../../support/requests';

// Known-answer vector from PagerDuty/go-pagerduty webhookv3/webhookv3_test.go; the body is byte-exact.
const KAT_SECRET = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK';
const KAT_BODY = readFileSync(join(__dirname, '../../../fixtures/pagerduty-body.json'));
const KAT_SIGNATURE = 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd';

const SECRET = 'pd-secret';
const body = JSON.stringify({ event: { id: '01ABC', event_type: 'incident.triggered', data: { id: 'PINC1', type: 'incident' } } });

function sign(payload: string | Buffer, secret = SECRET): string {
  return `v1=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

function verify(payload: string | Buffer, header: string | undefined, secrets = [SECRET]) {
  const headers: Record<string, string> = header === undefined ? {} : { 'X-PagerDuty-Signature': header };
  return pagerdutyScheme.verify(inbound({ body: payload, headers }), context(secrets, Date.now()), {});
}

describe('pagerduty scheme', () => {
  test('reproduces the go-pagerduty known-answer vector, secret used as UTF-8 text', () => {
    expect(sign(KAT_BODY, KAT_SECRET)).toBe(KAT_SIGNATURE);
    expect(verify(KAT_BODY, KAT_SIGNATURE, [KAT_SECRET])).toMatchObject({
      ok: true,
      event: { id: '01BWDWL3NYY7LUFPZCC28QUCMK', type: 'incident.priority_updated' },
    });
  });

  test('the known-answer vector still verifies when prefixed by a wrong v1', () => {
    expect(verify(KAT_BODY, `v1=${'f'.repeat(64)},${KAT_SIGNATURE}`, [KAT_SECRET])).toMatchObject({ ok: true });
    expect(verify(KAT_BODY, `v1=${'f'.repeat(64)}, ${KAT_SIGNATURE}`, [KAT_SECRET])).toMatchObject({ ok: true });
  });

  test('the known-answer vector fails with the secret base64-decoded instead of used as text', () => {
    const decodedKey = Buffer.from(KAT_SECRET, 'base64');
    expect(`v1=${createHmac('sha256', decodedKey).update(KAT_BODY).digest('hex')}`).not.toBe(KAT_SIGNATURE);
  });

  test('accepts a signed event and reads id, type and the incident as message group', () => {
    expect(verify(body, sign(body))).toEqual({
      ok: true,
      event: { id: '01ABC', type: 'incident.triggered', groupKey: 'PINC1', payload: JSON.parse(body) },
    });
  });

  test('rejects a tampered body, a wrong secret and a missing header', () => {
    expect(verify(body.replace('01ABC', '01ABD'), sign(body))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, sign(body, 'other'))).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(KAT_BODY.subarray(0, KAT_BODY.length - 1), KAT_SIGNATURE, [KAT_SECRET])).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verify(body, undefined)).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
  });

  test('accepts any of several v1 values and any of several active secrets', () => {
    expect(verify(body, `${sign(body, 'new')},${sign(body, 'old')}`, ['old'])).toMatchObject({ ok: true });
    expect(verify(body, sign(body, 'old'), [SECRET, 'old'])).toMatchObject({ ok: true });
  });

  test('ignores entries of other versions, and refuses a header with no well-formed v1', () => {
    expect(verify(body, `v2=${'a'.repeat(64)},${sign(body)}`)).toMatchObject({ ok: true });
    for (const header of ['', 'v2=abcd', `v1=${'a'.repeat(63)}`, `v1=${'g'.repeat(64)}`, `v1=${'a'.repeat(66)}`, sign(body).slice(3), `V1=${sign(body).slice(3)}`]) {
      expect(verify(body, header)).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('after a valid signature, a body that is not JSON or has no event.id is a 400', () => {
    expect(verify('not json', sign('not json'))).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const noId = JSON.stringify({ event: { event_type: 'incident.triggered' } });
    expect(verify(noId, sign(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('no timestamp is signed: the same request verifies at any time (replays stop at the event-ID claim)', () => {
    const request = inbound({ body, headers: { 'X-PagerDuty-Signature': sign(body) } });
    expect(pagerdutyScheme.verify(request, context([SECRET], 0), {})).toMatchObject({ ok: true });
    expect(pagerdutyScheme.verify(request, context([SECRET], Date.UTC(2100, 0)), {})).toMatchObject({ ok: true });
  });

  test('requiredHeaders is X-PagerDuty-Signature: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request
    // without a signature is refused at the gateway (400) and never invokes the verifier.
    expect(pagerdutyScheme.requiredHeaders({})).toEqual(['X-PagerDuty-Signature']);
  });

  const hex = sign(body).slice('v1='.length);
  const NO_V1 = 'X-PagerDuty-Signature carries no well-formed v1 signature';
  test.each<[string, string | undefined, string, string]>([
    ['no X-PagerDuty-Signature header', undefined, 'missing_signature', 'missing X-PagerDuty-Signature header'],
    ['an empty header', '', 'malformed_signature', NO_V1],
    ['an empty v1=', 'v1=', 'malformed_signature', NO_V1],
    // Hex of the right alphabet but the wrong size is malformed, not a mismatch: only 32 bytes is an HMAC-SHA256.
    ['a v1 one byte short', `v1=${hex.slice(0, -2)}`, 'malformed_signature', NO_V1],
    ['a v1 one byte long', `v1=${hex}00`, 'malformed_signature', NO_V1],
    ['a v1 that is not hex', `v1=${'g'.repeat(64)}`, 'malformed_signature', NO_V1],
    // The right digest under another version, or without its version, is not a v1 signature.
    ['the right digest as v0=', `v0=${hex}`, 'malformed_signature', NO_V1],
    ['the right digest without v1=', hex, 'malformed_signature', NO_V1],
    ['the right digest as V1= (upper case)', `V1=${hex}`, 'malformed_signature', NO_V1],
    ['a v1 made with another secret', sign(body, 'other'), 'bad_signature', 'no v1 signature matches'],
    ['two v1 made with other secrets', `${sign(body, 'a')},${sign(body, 'b')}`, 'bad_signature', 'no v1 signature matches'],
  ])('%s is a 401 whose detail names the problem', (_case, header, code, detail) => {
    expect(verify(body, header)).toEqual({ ok: false, status: 401, code, detail });
  });

  test('a v1 alone with blanks around it, a malformed v1 beside a good one, a trailing comma and a lower-case header name are accepted', () => {
    expect(verify(body, ` v1=${hex} `)).toMatchObject({ ok: true });
    expect(verify(body, `v1=${hex.slice(0, -2)},v1=zz,v1=${hex}`)).toMatchObject({ ok: true });
    expect(verify(body, `${sign(body)},`)).toMatchObject({ ok: true });
    expect(verify(body, `v1=${hex.toUpperCase()}`)).toMatchObject({ ok: true });
    const lower = pagerdutyScheme.verify(inbound({ body, headers: { 'x-pagerduty-signature': sign(body) } }), context([SECRET], 0), {});
    expect(lower).toMatchObject({ ok: true });
  });

  test.each<[string, string | Buffer, string, string]>([
    ['not JSON', 'not json', 'malformed_body', 'body is not valid JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_body', 'body is not valid UTF-8'],
    ['JSON without event.id', JSON.stringify({ event: { event_type: 'incident.triggered' } }), 'missing_event_id', 'no event ID found in the body field "event.id"'],
    // The id sits under `event`: a top-level id (as other providers have) is not it.
    ['JSON with a top-level id only', JSON.stringify({ id: '01ABC' }), 'missing_event_id', 'no event ID found in the body field "event.id"'],
  ])('a correctly signed body that is %s is a 400 whose detail says so', (_case, payload, code, detail) => {
    expect(verify(payload, sign(payload))).toEqual({ ok: false, status: 400, code, detail });
  });

  test('an event without data.id has no message group, and one without event_type no type', () => {
    const bare = JSON.stringify({ event: { id: '01XYZ', data: { type: 'service' } } });
    expect(verify(bare, sign(bare))).toEqual({ ok: true, event: { id: '01XYZ', payload: JSON.parse(bare) } });
    const verdict = verify(bare, sign(bare));
    expect(verdict.ok && [verdict.event.type, verdict.event.groupKey]).toEqual([undefined, undefined]);
  });
});
