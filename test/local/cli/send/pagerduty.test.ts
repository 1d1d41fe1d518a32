import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSignedRequest } from '../../../../local/cli/send';
import { NOW_MS, URL, acceptedEvent, verifyRequest } from './support';

// PagerDuty's only official verifier is in Go (go-pagerduty webhookv3): its test vector is the check here.
const KAT_BODY = readFileSync(join(__dirname, '../../../fixtures/pagerduty-body.json'));
const KAT_SECRET = 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK';

describe('send pagerduty', () => {
  test('reproduces the go-pagerduty vector: the secret is used as text, the body signed as given', () => {
    const request = buildSignedRequest('pagerduty', { url: URL, secret: KAT_SECRET, body: KAT_BODY });
    expect(request.headers['X-PagerDuty-Signature']).toBe('v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd');
    expect(acceptedEvent(verifyRequest('pagerduty', request, { secrets: [KAT_SECRET] })).id).toBe(request.eventId);
  });

  test('an incident event looks like PagerDuty\'s v3 payload and is grouped by incident', () => {
    const request = buildSignedRequest('pagerduty', { url: URL, secret: KAT_SECRET, now: NOW_MS, eventType: 'incident.resolved' });
    const { event } = JSON.parse(request.body.toString('utf8')) as { event: { id: string; data: { id: string } } };
    expect(event).toMatchObject({ id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), event_type: 'incident.resolved', resource_type: 'incident', data: { type: 'incident', status: 'resolved', service: expect.any(Object) } });
    expect(acceptedEvent(verifyRequest('pagerduty', request, { secrets: [KAT_SECRET] }))).toMatchObject({ id: event.id, groupKey: event.data.id });
  });
});
