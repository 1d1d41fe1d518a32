import { createHash, createHmac } from 'node:crypto';
import { linearScheme, type LinearOptions } from '../../../../lambda/verifier/schemes/linear';
import { context, inbound, contentKeyed } from '../../../support/requests';

// Every rejection's exact verdict, requiredHeaders, and every accepted-path output per payload shape
// and option. The @linear/sdk comparisons (child processes) stay in linear.test.ts.

const SECRET = 'lin_wh_0123456789abcdefghijklmnopqrstuvwxyz';
const NOW_MS = 1_700_000_000_000;
const DELIVERY = '234d1a4e-b617-4388-90fe-adc3633d6b72';
const CREATED_AT = '2023-11-14T22:13:19.512Z';
const PAYLOAD_ID = `wh_1:Issue.update:iss_1:${CREATED_AT}`;
const MALFORMED_TIMESTAMP = { ok: false, status: 401, code: 'malformed_timestamp', detail: 'body field "webhookTimestamp" is not a number of milliseconds' };
const MISSING_ID = {
  ok: false, status: 400, code: 'missing_event_id',
  detail: 'no event ID found in the Linear-Delivery header or the body fields "webhookId" and "createdAt"',
};

function fields(webhookTimestamp: unknown = NOW_MS, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'update',
    type: 'Issue',
    createdAt: CREATED_AT,
    organizationId: 'org_1',
    webhookId: 'wh_1',
    data: { id: 'iss_1', title: 'Fix it' },
    webhookTimestamp,
    ...overrides,
  };
}

function event(webhookTimestamp: unknown = NOW_MS, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(fields(webhookTimestamp, overrides));
}

function sign(payload: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Signs the body correctly unless a Linear-Signature is given (`null` leaves the header out). */
function verify(payload: string | Buffer, headers: Record<string, string | null> = {}, options: LinearOptions = {}, nowMs = NOW_MS) {
  const sent: Record<string, string> = {};
  if (!('Linear-Signature' in headers)) sent['Linear-Signature'] = sign(payload);
  for (const [name, value] of Object.entries(headers)) if (value !== null) sent[name] = value;
  return linearScheme.verify(inbound({ body: payload, headers: sent }), context([SECRET], nowMs), options);
}

const sha256 = (payload: string | Buffer) => createHash('sha256').update(payload).digest('hex');

describe('linear scheme: rejections', () => {
  test('requiredHeaders is Linear-Signature: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each into `method.request.header.<name>`, enforced by the request validator: a request without
    // a signature is refused at the gateway (400) and never invokes the verifier. Linear-Delivery is optional (unsigned).
    expect(linearScheme.requiredHeaders({})).toEqual(['Linear-Signature']);
    expect(linearScheme.requiredHeaders({ eventIdSource: 'delivery' })).toEqual(['Linear-Signature']);
  });

  const body = event();
  const hex = sign(body);
  test.each<[string, string | null, string, string]>([
    ['no Linear-Signature header', null, 'missing_signature', 'missing Linear-Signature header'],
    // Hex of the right alphabet but the wrong size is malformed, not a mismatch: only 32 bytes is an HMAC-SHA256.
    ['a digest one byte short (62 hex digits)', hex.slice(0, -2), 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['a digest one byte long (66 hex digits)', `${hex}00`, 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['an odd number of hex digits (63)', hex.slice(1), 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['64 characters that are not hex', 'x'.repeat(64), 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['a sha256= prefix', `sha256=${hex}`, 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['an empty header', '', 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['a header of blanks only', '   ', 'malformed_signature', 'Linear-Signature is not 64 hex digits'],
    ['a digest made with another secret', sign(body, 'other'), 'bad_signature', 'signature does not match'],
  ])('%s is a 401 whose detail names the problem', (_case, signature, code, detail) => {
    expect(verify(body, { 'Linear-Signature': signature })).toEqual({ ok: false, status: 401, code, detail });
  });

  test('the signature is read trimmed, in either hex case, from a header named in any case', () => {
    // Header values may arrive padded; hex is case-insensitive; header names are case-insensitive in HTTP.
    expect(verify(body, { 'Linear-Signature': `  ${hex}\t` })).toMatchObject({ ok: true, event: { id: PAYLOAD_ID } });
    expect(verify(body, { 'Linear-Signature': hex.toUpperCase() })).toMatchObject({ ok: true });
    expect(verify(body, { 'Linear-Signature': null, 'linear-signature': hex })).toMatchObject({ ok: true });
  });

  test.each<[string, string | Buffer, string]>([
    ['not JSON', 'nope', 'body is not valid JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'body is not valid UTF-8'],
  ])('a signed body that is %s is a 400 whose detail says so', (_case, payload, detail) => {
    expect(verify(payload)).toEqual({ ok: false, status: 400, code: 'malformed_body', detail });
  });

  test.each<[string, string]>([
    ['missing', event(NOW_MS, { webhookTimestamp: undefined })],
    ['a string of digits', event(String(NOW_MS))],
    ['null', event(null)],
    ['a boolean', event(true)],
    ['an object', event({ ms: NOW_MS })],
    ['negative', event(-1)],
    // JSON.parse reads 1e999 as Infinity: a number, but not a finite one.
    ['Infinity (1e999)', event(NOW_MS).replace(`"webhookTimestamp":${NOW_MS}`, '"webhookTimestamp":1e999')],
    ['in a body that is a JSON array', JSON.stringify([fields()])],
    ['in a body that is a JSON string', JSON.stringify('webhookTimestamp')],
  ])('a signed webhookTimestamp that is %s is a 401 malformed_timestamp', (_case, payload) => {
    expect(verify(payload)).toEqual(MALFORMED_TIMESTAMP);
  });

  test('webhookTimestamp 0 is a well-formed (non-negative) timestamp, refused only as out of the window', () => {
    expect(verify(event(0))).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 1700000000 s old; tolerance is 300 s',
    });
  });

  test('a webhookTimestamp in seconds instead of milliseconds is read as 1970 and refused as out of the window', () => {
    expect(verify(event(NOW_MS / 1000))).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 1698300000 s old; tolerance is 300 s',
    });
  });

  test('the window holds exactly at the tolerance in both directions, and refuses one millisecond beyond', () => {
    for (const skewMs of [-300_000, 300_000, 0]) {
      expect(verify(event(NOW_MS + skewMs))).toMatchObject({ ok: true, event: { id: PAYLOAD_ID } });
    }
    expect(verify(event(NOW_MS - 300_001))).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 300 s old; tolerance is 300 s',
    });
    expect(verify(event(NOW_MS + 300_001))).toEqual({
      ok: false, status: 401, code: 'timestamp_out_of_window', detail: 'signed timestamp is 300 s in the future; tolerance is 300 s',
    });
  });

  test.each<[string, Record<string, unknown>]>([
    ['no webhookId', { webhookId: undefined }],
    ['no createdAt', { createdAt: undefined }],
    ['an empty webhookId', { webhookId: '' }],
  ])('without Linear-Delivery, a signed body with %s has no event ID: a 400 naming where it is looked for', (_case, overrides) => {
    expect(verify(event(NOW_MS, overrides))).toEqual(MISSING_ID);
    expect(verify(event(NOW_MS, overrides), {}, { eventIdSource: 'delivery' })).toEqual(MISSING_ID);
  });
});

describe('linear scheme: accepted events', () => {
  const body = event();
  const payload = JSON.parse(body) as unknown;

  test('by default (payload ID) the ID comes from the signed body, even when Linear-Delivery is sent, and nothing is claimed by content', () => {
    const expected = { ok: true, event: { id: PAYLOAD_ID, type: 'Issue.update', payload, groupKey: 'iss_1' } };
    expect(verify(body, { 'Linear-Delivery': DELIVERY })).toEqual(expected);
    expect(verify(body)).toEqual(expected);
    expect(verify(body, { 'Linear-Delivery': DELIVERY }, { eventIdSource: 'payload' })).toEqual(expected);
  });

  test('eventIdSource delivery: the unsigned Linear-Delivery is the ID, so the event is claimed under the digest of the signed body', () => {
    expect(verify(body, { 'Linear-Delivery': DELIVERY }, { eventIdSource: 'delivery' })).toEqual({
      ok: true,
      event: { id: DELIVERY, signedContent: contentKeyed(sha256(body)), type: 'Issue.update', payload, groupKey: 'iss_1' },
    });
  });

  test('eventIdSource delivery without the header, or with it empty, falls back to the payload ID and still claims by content', () => {
    // Whether the unsigned header came must not move the event to another claim: signedContent is set either way.
    for (const headers of [{}, { 'Linear-Delivery': '' }] as Record<string, string>[]) {
      expect(verify(body, headers, { eventIdSource: 'delivery' })).toEqual({
        ok: true,
        event: { id: PAYLOAD_ID, signedContent: contentKeyed(sha256(body)), type: 'Issue.update', payload, groupKey: 'iss_1' },
      });
    }
  });

  test('the payload ID leaves out absent type, action and data.id as empty segments', () => {
    const bare = event(NOW_MS, { type: undefined, action: undefined, data: undefined });
    expect(verify(bare)).toEqual({
      ok: true,
      event: { id: `wh_1:.::${CREATED_AT}`, type: undefined, payload: JSON.parse(bare), groupKey: 'org_1' },
    });
  });

  test.each<[string, Record<string, unknown>, string | undefined]>([
    ['type and action', {}, 'Issue.update'],
    ['type without action', { action: undefined }, 'Issue'],
    ['action without type', { type: undefined }, undefined],
    ['neither', { type: undefined, action: undefined }, undefined],
  ])('the type of an event with %s', (_case, overrides, type) => {
    const verdict = verify(event(NOW_MS, overrides));
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.ok && verdict.event.type).toBe(type);
  });

  test.each<[string, Record<string, unknown>, string | undefined]>([
    ['an entity and a workspace: the entity', {}, 'iss_1'],
    ['a workspace only: the workspace', { data: { title: 'no id' } }, 'org_1'],
    ['neither: no group', { data: undefined, organizationId: undefined }, undefined],
  ])('the message group of an event with %s', (_case, overrides, groupKey) => {
    const verdict = verify(event(NOW_MS, overrides));
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.ok && verdict.event.groupKey).toBe(groupKey);
  });
});
