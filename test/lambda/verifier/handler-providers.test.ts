import { createHmac } from 'node:crypto';
import type { ProcessorRoute, VerifierConfig } from '../../../lambda/shared/contract';
import type { ClaimResult, ClaimSubject } from '../../../lambda/verifier/claims';
import type { Delivery } from '../../../lambda/verifier/dispatch';
import { createVerifier } from '../../../lambda/verifier/handler';
import { apiGatewayEvent } from '../../support/requests';

/**
 * What the handler does with what a provider's scheme returns beyond an event: handshakes it answers
 * itself, acknowledgements the provider expects instead of the default JSON, content that one
 * provider sends under several types, and content claims of events nobody subscribes to.
 */
const SECRET = 'providers-secret';
const NOW_S = 1_700_000_000;
const all = (name: string): ProcessorRoute => ({ name, queueUrl: `https://sqs.local/${name}.fifo`, eventTypes: [] });

function rig(scheme: string, options: { claim?: ClaimResult; processors?: ProcessorRoute[]; providerOptions?: Record<string, unknown> } = {}) {
  const logs: Record<string, unknown>[] = [];
  const metrics: string[] = [];
  const claims: { subject: ClaimSubject; options: unknown }[] = [];
  const deliveries: Delivery[] = [];
  const config: VerifierConfig = {
    endpointName: `Providers/${scheme}`, provider: { scheme, options: options.providerOptions ?? {} }, signingSecretArn: 'arn', secretCacheTtlSeconds: 60,
    toleranceSeconds: 300, maxBodyBytes: 64 * 1024, tableName: 'table', retentionSeconds: 86400, processors: options.processors ?? [all('everything')],
  };
  const handler = createVerifier(config, {
    clock: () => NOW_S * 1000,
    log: (entry) => void logs.push(entry),
    metric: (name) => void metrics.push(name),
    secrets: { active: async () => ({ values: [SECRET] }) },
    claims: {
      claim: async (subject, claimOptions) => {
        claims.push({ subject, options: claimOptions });
        return options.claim ?? { kind: 'claimed' };
      },
      markEnqueued: async () => undefined,
      legacyClaim: async () => undefined,
    },
    dispatcher: { enqueue: async (_routes, delivery) => void deliveries.push(delivery) },
  });
  return { handler, logs, metrics, claims, deliveries };
}

/** Slack's and Zoom's v0 signature over `v0:<timestamp>:<body>`. */
const v0 = (body: string) => `v0=${createHmac('sha256', SECRET).update(`v0:${NOW_S}:${body}`).digest('hex')}`;
const slack = (body: string, contentType: string) => apiGatewayEvent({
  body, headers: { 'X-Slack-Signature': v0(body), 'X-Slack-Request-Timestamp': String(NOW_S), 'Content-Type': contentType },
});
const zoom = (body: string) => apiGatewayEvent({
  body, headers: { 'x-zm-signature': v0(body), 'x-zm-request-timestamp': String(NOW_S), 'Content-Type': 'application/json' },
});

describe('handshakes are answered by the verifier, after the signature verifies, and claim nothing', () => {
  test('Slack url_verification: the challenge is echoed as JSON, logged INFO "handshake answered"', async () => {
    const { handler, logs, claims, deliveries } = rig('slack');
    const response = await handler(slack(JSON.stringify({ type: 'url_verification', token: 't', challenge: 'chal-123' }), 'application/json'));
    expect(response).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ challenge: 'chal-123' }) });
    expect(logs).toEqual([{ level: 'INFO', msg: 'handshake answered', provider: 'slack' }]);
    expect(claims).toEqual([]);
    expect(deliveries).toEqual([]);
  });

  test('Zoom endpoint.url_validation: the plain token comes back with its HMAC under the secret that verified', async () => {
    const { handler, logs, claims, deliveries } = rig('zoom');
    const body = JSON.stringify({ event: 'endpoint.url_validation', event_ts: NOW_S * 1000, payload: { plainToken: 'plain-abc' } });
    const response = await handler(zoom(body));
    const encryptedToken = createHmac('sha256', SECRET).update('plain-abc').digest('hex');
    expect(response).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plainToken: 'plain-abc', encryptedToken }) });
    expect(logs).toEqual([{ level: 'INFO', msg: 'handshake answered', provider: 'zoom' }]);
    expect(claims).toEqual([]);
    expect(deliveries).toEqual([]);
  });
});

describe('acknowledgements: the provider\'s expected reply replaces the default JSON', () => {
  const slashCommand = new URLSearchParams({ command: '/deploy', text: 'api', trigger_id: '123.456.abc', team_id: 'T1' }).toString();

  test.each([
    ['accepted', { kind: 'claimed' }, 1],
    ['a duplicate', { kind: 'enqueued' }, 0],
  ] as const)('a Slack slash command %s is answered with Slack\'s empty text/plain 200, not {"status": …}', async (_name, claim, sends) => {
    const { handler, deliveries } = rig('slack', { claim });
    const response = await handler(slack(slashCommand, 'application/x-www-form-urlencoded'));
    expect(response).toEqual({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '' });
    expect(deliveries).toHaveLength(sends);
  });

  test('the form\'s Content-Type travels with the delivery, for the processor to parse the body', async () => {
    const { handler, deliveries } = rig('slack');
    await handler(slack(slashCommand, 'application/x-www-form-urlencoded'));
    expect(deliveries.map((d) => d.contentType)).toEqual(['application/x-www-form-urlencoded']);
  });
});

describe('Shopify sends one body under several topics (typesShareContent)', () => {
  const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' });
  const shopify = (topic: string, eventId: string) => apiGatewayEvent({
    body,
    headers: {
      'X-Shopify-Hmac-Sha256': createHmac('sha256', SECRET).update(body).digest('base64'), 'X-Shopify-Topic': topic,
      'X-Shopify-Event-Id': eventId, 'X-Shopify-Shop-Domain': 'shop.myshopify.com', 'Content-Type': 'application/json',
    },
  });

  test('content claimed under another topic is a duplicate (200), counted and logged, nothing sent', async () => {
    const { handler, logs, metrics, deliveries } = rig('shopify', { claim: { kind: 'conflict', differs: 'type' } });
    const response = await handler(shopify('orders/updated', 'ev-2'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'duplicate', id: 'ev-2' });
    expect(metrics).toContain('ContentReplays');
    expect(logs).toEqual([{
      level: 'WARN', msg: 'signed content already claimed under another event ID; nothing enqueued', differs: 'type', eventId: 'ev-2', eventType: 'orders/updated',
    }]);
    expect(deliveries).toEqual([]);
  });

  test('sharing types does not excuse a different body: a claim that differs in its body is still refused 409', async () => {
    // The claim store reports the weightiest difference; only "type" (or "id") may pass as a duplicate.
    const { handler, deliveries } = rig('shopify', { claim: { kind: 'conflict', differs: 'body' } });
    const response = await handler(shopify('orders/create', 'ev-3'));
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'conflicting_replay' });
    expect(deliveries).toEqual([]);
  });
});

describe('content claims of events no processor subscribes to', () => {
  test('a content-signed event with no subscriber is still claimed, as ignored, then answered "ignored"', async () => {
    // GitHub's event name is an unsigned header: without this claim the same bytes could come back later under another name.
    const body = JSON.stringify({ action: 'published', release: { id: 1 } });
    const { handler, claims, deliveries } = rig('github', { processors: [{ name: 'pushes', queueUrl: 'https://sqs.local/pushes.fifo', eventTypes: ['push'] }] });
    const response = await handler(apiGatewayEvent({
      body,
      headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`, 'X-GitHub-Event': 'release', 'X-GitHub-Delivery': 'd-1' },
    }));
    expect(JSON.parse(response.body)).toEqual({ status: 'ignored', id: 'd-1' });
    expect(claims.map((c) => c.options)).toStrictEqual([{ ignored: true, receivedAtMs: NOW_S * 1000 }]);
    expect(claims[0].subject.signedContent?.key).toMatch(/^[0-9a-f]{64}$/);
    expect(deliveries).toEqual([]);
  });
});

describe('only a conflicting header is turned into a 400', () => {
  test('any other exception during verification fails the invocation instead of blaming the sender', async () => {
    // GIVEN options loadConfig would refuse (no signature header name), so the scheme throws a TypeError
    const { handler, claims } = rig('hmac', { providerOptions: { algorithm: 'sha256', encoding: 'hex', eventId: { jsonPath: 'id' } } });
    const event = apiGatewayEvent({ body: '{"id":"e1"}', headers: { 'X-Sig': 'ab' } });
    // THEN it surfaces as an error (API Gateway answers 502, Lambda counts an error), not as conflicting_header
    await expect(handler(event)).rejects.toThrow(TypeError);
    expect(claims).toEqual([]);
  });

  test('a Content-Type sent twice with different values is a 400 conflicting_header', async () => {
    const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T1', event: { type: 'app_mention' } });
    const { handler, deliveries } = rig('slack');
    const response = await handler(apiGatewayEvent({
      body, headers: { 'X-Slack-Signature': v0(body), 'X-Slack-Request-Timestamp': String(NOW_S), 'Content-Type': ['application/json', 'text/plain'] },
    }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'conflicting_header', message: 'header content-type appears more than once with different values' });
    expect(deliveries).toEqual([]);
  });
});
