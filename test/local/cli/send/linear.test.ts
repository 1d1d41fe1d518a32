import { buildSignedRequest } from '../../../../local/cli/send';
import { runEsm } from '../../../support/esm';
import { URL, acceptedEvent, verifyRequest } from './support';

const SECRET = 'lin_wh_0123456789abcdefghijklmnopqrstuvwxyz';

/** @linear/sdk is ESM only; its client holds webhookTimestamp to ±60 s of the real clock. All checks run in one child process. */
function sdkVerdicts(checks: readonly { body: string; signature: string; secret: string }[]): string[] {
  return JSON.parse(runEsm(`import { LinearWebhookClient } from '@linear/sdk/webhooks';
const out = [];
for (const c of ${JSON.stringify(checks)}) {
  try { new LinearWebhookClient(c.secret).verify(Buffer.from(c.body, 'utf8'), c.signature); out.push('valid'); }
  catch (error) { out.push('invalid: ' + error.message); }
}
console.log(JSON.stringify(out));`)) as string[];
}

describe('send linear', () => {
  test('LinearWebhookClient.verify accepts a fresh request; refuses another secret and a stale webhookTimestamp', () => {
    const fresh = buildSignedRequest('linear', { url: URL, secret: SECRET, eventType: 'Comment.create' });
    const stale = buildSignedRequest('linear', { url: URL, secret: SECRET, timestampOffsetSeconds: -600 });
    const check = (request: typeof fresh, secret = SECRET) => ({ body: request.body.toString('utf8'), signature: request.headers['Linear-Signature'], secret });
    expect(sdkVerdicts([check(fresh), check(fresh, 'lin_wh_other'), check(stale)])).toEqual(['valid', 'invalid: Invalid webhook signature', 'invalid: Invalid webhook timestamp']);
  });

  test('the payload is Linear\'s: type, action, data, webhookTimestamp in ms; Linear-Delivery and Linear-Event headers', () => {
    const now = Date.now();
    const request = buildSignedRequest('linear', { url: URL, secret: SECRET, now, eventType: 'Issue.update' });
    expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ type: 'Issue', action: 'update', webhookTimestamp: now, data: { identifier: expect.stringMatching(/^ENG-\d+$/) }, updatedFrom: expect.any(Object) });
    expect(request.headers).toMatchObject({ 'Linear-Event': 'Issue', 'Linear-Delivery': expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(acceptedEvent(verifyRequest('linear', request, { secrets: [SECRET], nowMs: now }))).toMatchObject({ id: request.eventId, type: 'Issue.update' });
  });

  test('with eventIdSource delivery, the announced ID is the Linear-Delivery header (the given event ID)', () => {
    const now = Date.now();
    const request = buildSignedRequest('linear', { url: URL, secret: SECRET, now, eventId: 'delivery-1', options: { eventIdSource: 'delivery' } });
    expect(request.headers['Linear-Delivery']).toBe('delivery-1');
    expect(acceptedEvent(verifyRequest('linear', request, { secrets: [SECRET], nowMs: now, schemeOptions: { eventIdSource: 'delivery' } })).id).toBe('delivery-1');
  });
});
