import Stripe from 'stripe';
import { stripeScheme } from '../../../../lambda/verifier/schemes/stripe';
import { context, inbound } from '../../../support/requests';

const SECRET = 'whsec_test_secret';
const NOW_S = 1_700_000_000;
const NOW_MS = NOW_S * 1000;
const body = JSON.stringify({ id: 'evt_123', type: 'payment_intent.succeeded', data: { object: { customer: 'cus_9' } } });

function signed(payload: string, secret = SECRET, timestamp = NOW_S): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

function verify(payload: string | Buffer, header: string | undefined, secrets = [SECRET], nowMs = NOW_MS) {
  return stripeScheme.verify(inbound({ body: payload, headers: header === undefined ? {} : { 'Stripe-Signature': header } }), context(secrets, nowMs), {});
}

describe('stripe scheme', () => {
  test('accepts a request signed by the stripe SDK and reads id, type and customer group', () => {
    const verdict = verify(body, signed(body));
    expect(verdict).toMatchObject({ ok: true, event: { id: 'evt_123', type: 'payment_intent.succeeded', groupKey: 'cus_9' } });
  });

  test('reproduces the reference vector', () => {
    const payload = JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2);
    const header = 't=1700000000,v1=4f1cd7feda9826e746b7d482c4badebb657398df1099e1046364f6196a230150';
    expect(verify(payload, header)).toMatchObject({ ok: true, event: { id: 'evt_test_webhook' } });
  });

  test('what our tests sign by hand is accepted by the stripe SDK', () => {
    const header = signed(body);
    expect(() => Stripe.webhooks.constructEvent(body, header, SECRET, 300, undefined, NOW_MS)).not.toThrow();
  });

  test('rejects a tampered body, a wrong secret and a missing header, and the detail tells the sender which', () => {
    const mismatch = { ok: false, status: 401, code: 'bad_signature', detail: 'no v1 signature matches' };
    expect(verify(body.replace('evt_123', 'evt_124'), signed(body))).toEqual(mismatch);
    expect(verify(body, signed(body, 'whsec_other'))).toEqual(mismatch);
    expect(verify(body, undefined)).toEqual({ ok: false, status: 401, code: 'missing_signature', detail: 'missing Stripe-Signature header' });
  });

  test('requiredHeaders is Stripe-Signature: the construct makes it a required request parameter of the API Gateway method', () => {
    // lib/endpoint.ts turns each required header into `method.request.header.<name>`, enforced by the request validator:
    // a request without a signature is refused at the gateway (400) and never invokes the verifier.
    expect(stripeScheme.requiredHeaders({})).toEqual(['Stripe-Signature']);
  });

  test('a Connect event without a customer is grouped by its connected account; a customer wins when both are present', () => {
    const connect = JSON.stringify({ id: 'evt_c', type: 'account.updated', account: 'acct_1', data: { object: { id: 'acct_1' } } });
    expect(verify(connect, signed(connect))).toMatchObject({ ok: true, event: { id: 'evt_c', groupKey: 'acct_1' } });
    const both = JSON.stringify({ id: 'evt_b', type: 'invoice.paid', account: 'acct_1', data: { object: { customer: 'cus_9' } } });
    expect(verify(both, signed(both))).toMatchObject({ ok: true, event: { groupKey: 'cus_9' } });
  });

  test('rejects stale and future timestamps (the SDK accepts future ones)', () => {
    expect(verify(body, signed(body, SECRET, NOW_S - 301))).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    const future = signed(body, SECRET, NOW_S + 3600);
    expect(verify(body, future)).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    expect(() => Stripe.webhooks.constructEvent(body, future, SECRET, 300, undefined, NOW_MS)).not.toThrow();
    expect(verify(body, signed(body, SECRET, NOW_S + 299))).toMatchObject({ ok: true });
  });

  test('accepts any of several v1 values and any of several active secrets', () => {
    const good = signed(body).split(',')[1];
    expect(verify(body, `t=${NOW_S},v1=${'0'.repeat(64)},${good}`)).toMatchObject({ ok: true });
    expect(verify(body, signed(body, 'whsec_old'), [SECRET, 'whsec_old'])).toMatchObject({ ok: true });
  });

  test('refuses malformed headers: no t, two t, only v0, odd hex', () => {
    const v1 = signed(body).split(',')[1];
    expect(verify(body, v1)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `t=${NOW_S},t=${NOW_S},${v1}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `t=${NOW_S},v0=${'a'.repeat(64)}`)).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(verify(body, `t=${NOW_S},v1=abc`)).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  test('a correctly signed body without an event id is a 400, not an accepted event', () => {
    const noId = JSON.stringify({ type: 'x' });
    expect(verify(noId, signed(noId))).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });
});
