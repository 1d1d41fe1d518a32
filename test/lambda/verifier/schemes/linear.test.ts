import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import nodeCrypto = require('node:crypto');
import { linearScheme, type LinearOptions } from '../../../../lambda/verifier/schemes/linear';
import { context, inbound } from '../../../support/requests';

const SECRET = 'lin_wh_0123456789abcdefghijklmnopqrstuvwxyz';
const OLD_SECRET = 'lin_wh_previous_secret';
const NOW_MS = 1_700_000_000_000;
const DELIVERY = '234d1a4e-b617-4388-90fe-adc3633d6b72';
const REPO_ROOT = path.resolve(__dirname, '../../../..');

function event(webhookTimestamp: number, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    action: 'update',
    type: 'Issue',
    createdAt: '2023-11-14T22:13:19.512Z',
    organizationId: 'org_1',
    webhookId: 'wh_1',
    url: 'https://linear.app/acme/issue/ENG-1',
    data: { id: 'iss_1', title: 'Fix it', teamId: 'team_1' },
    webhookTimestamp,
    ...overrides,
  });
}

function sign(payload: string, secret = SECRET): string {
  return nodeCrypto.createHmac('sha256', secret).update(payload).digest('hex');
}

function verify(payload: string, headers: Record<string, string>, secrets = [SECRET], nowMs = NOW_MS, options: LinearOptions = {}) {
  return linearScheme.verify(inbound({ body: payload, headers }), context(secrets, nowMs), options);
}

/** @linear/sdk is ESM-only: its verifier runs in a child process. It reads the real clock (±60 s). */
function sdkVerify(payload: string, signature: string, secret = SECRET): string {
  const script = [
    "import { LinearWebhookClient } from '@linear/sdk/webhooks';",
    'const [body, signature, secret] = process.argv.slice(1);',
    "try { new LinearWebhookClient(secret).verify(Buffer.from(body, 'utf8'), signature); console.log('valid'); }",
    "catch (error) { console.log('invalid: ' + error.message); }",
  ].join('\n');
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, payload, signature, secret], { cwd: REPO_ROOT }).toString().trim();
}

describe('linear scheme', () => {
  test('with eventIdSource "delivery": Linear-Delivery as ID, type.action as type, the entity as message group', () => {
    const body = event(NOW_MS);
    expect(verify(body, { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY }, [SECRET], NOW_MS, { eventIdSource: 'delivery' })).toMatchObject({
      ok: true,
      event: { id: DELIVERY, type: 'Issue.update', groupKey: 'iss_1' },
    });
  });

  test('what our tests sign by hand is accepted by the @linear/sdk verifier, and by us', () => {
    const now = Date.now();
    const body = event(now);
    expect(sdkVerify(body, sign(body))).toBe('valid');
    expect(sdkVerify(body, sign(body, OLD_SECRET))).toBe('invalid: Invalid webhook signature');
    expect(verify(body, { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY }, [SECRET], now)).toMatchObject({ ok: true });
  });

  test('rejects a tampered body, a wrong secret, a missing header and malformed signatures', () => {
    const body = event(NOW_MS);
    const headers = { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY };
    expect(verify(body.replace('Fix it', 'Ship it'), headers)).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, { ...headers, 'Linear-Signature': sign(body, 'other') })).toMatchObject({ ok: false, status: 401, code: 'bad_signature' });
    expect(verify(body, { 'Linear-Delivery': DELIVERY })).toMatchObject({ ok: false, status: 401, code: 'missing_signature' });
    for (const signature of [`sha256=${sign(body)}`, sign(body).slice(1), 'x'.repeat(64), '']) {
      expect(verify(body, { ...headers, 'Linear-Signature': signature })).toMatchObject({ ok: false, status: 401, code: 'malformed_signature' });
    }
  });

  test('rejects stale and future webhookTimestamp (milliseconds) in both directions', () => {
    for (const [skewMs, ok] of [[-301_000, false], [301_000, false], [-299_000, true], [299_000, true]] as const) {
      const body = event(NOW_MS + skewMs);
      expect(verify(body, { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY })).toMatchObject(ok ? { ok: true } : { ok: false, status: 401, code: 'timestamp_out_of_window' });
    }
    // Read as seconds, a milliseconds value would be ~50,000 years ahead; read as ms it is now.
    expect(verify(event(NOW_MS), { 'Linear-Signature': sign(event(NOW_MS)) })).toMatchObject({ ok: true });
  });

  test('with the tolerance set to the SDK\'s 60 s, we agree with the SDK on events 61 s old or 61 s ahead', () => {
    for (const skewMs of [-61_000, 61_000]) {
      const now = Date.now();
      const body = event(now + skewMs);
      expect(sdkVerify(body, sign(body))).toBe('invalid: Invalid webhook timestamp');
      const verdict = linearScheme.verify(inbound({ body, headers: { 'Linear-Signature': sign(body) } }), context([SECRET], now, 60), {});
      expect(verdict).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
    }
  });

  test('a missing or malformed webhookTimestamp is refused after the signature checks out', () => {
    for (const webhookTimestamp of [undefined, '1700000000000', -1, null, { ms: 1 }]) {
      const body = event(0, { webhookTimestamp });
      expect(verify(body, { 'Linear-Signature': sign(body) })).toMatchObject({ ok: false, status: 401, code: 'malformed_timestamp' });
    }
    // An unsigned body with a bad timestamp is a signature failure first: nothing in it is read.
    const unsigned = event(0, { webhookTimestamp: 'garbage' });
    expect(verify(unsigned, { 'Linear-Signature': sign('x') })).toMatchObject({ code: 'bad_signature' });
  });

  test('ignores the unsigned Linear-Timestamp header, as the SDK does', () => {
    const stale = event(NOW_MS - 3_600_000);
    const headers = { 'Linear-Signature': sign(stale), 'Linear-Delivery': DELIVERY, 'Linear-Timestamp': String(NOW_MS) };
    expect(verify(stale, headers)).toMatchObject({ ok: false, code: 'timestamp_out_of_window' });
  });

  test('accepts a request signed with any of several active secrets (the SDK takes one secret)', () => {
    const body = event(NOW_MS);
    expect(verify(body, { 'Linear-Signature': sign(body, OLD_SECRET) }, [SECRET, OLD_SECRET])).toMatchObject({ ok: true });
    const spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    try {
      expect(verify(body, { 'Linear-Signature': sign(body) }, [SECRET, OLD_SECRET])).toMatchObject({ ok: true });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  test('without Linear-Delivery, the ID comes from signed fields and is the same for a retry with a new webhookTimestamp', () => {
    const first = event(NOW_MS);
    const retry = event(NOW_MS + 60_000);
    const expected = 'wh_1:Issue.update:iss_1:2023-11-14T22:13:19.512Z';
    expect(verify(first, { 'Linear-Signature': sign(first) })).toMatchObject({ ok: true, event: { id: expected } });
    expect(verify(retry, { 'Linear-Signature': sign(retry) }, [SECRET], NOW_MS + 60_000)).toMatchObject({ ok: true, event: { id: expected } });
  });

  test('eventIdSource payload ignores the unsigned Linear-Delivery header', () => {
    const body = event(NOW_MS);
    const options: LinearOptions = { eventIdSource: 'payload' };
    expect(verify(body, { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY }, [SECRET], NOW_MS, options)).toMatchObject({
      ok: true,
      event: { id: 'wh_1:Issue.update:iss_1:2023-11-14T22:13:19.512Z' },
    });
  });

  test('a signed body that is not JSON, or has neither delivery header nor webhookId/createdAt, is a 400', () => {
    expect(verify('nope', { 'Linear-Signature': sign('nope') })).toMatchObject({ ok: false, status: 400, code: 'malformed_body' });
    const anonymous = event(NOW_MS, { webhookId: undefined });
    expect(verify(anonymous, { 'Linear-Signature': sign(anonymous) })).toMatchObject({ ok: false, status: 400, code: 'missing_event_id' });
  });

  test('an event without action is typed by its type alone and grouped by organization when it has no data.id', () => {
    const body = event(NOW_MS, { action: undefined, type: 'OAuthApp', data: undefined });
    expect(verify(body, { 'Linear-Signature': sign(body), 'Linear-Delivery': DELIVERY })).toMatchObject({
      ok: true,
      event: { type: 'OAuthApp', groupKey: 'org_1' },
    });
  });
});
