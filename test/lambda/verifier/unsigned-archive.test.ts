import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { apiGatewayEvent } from '../../support/requests';
import { destroyRigs, parse, stripeEvent, verifierRig } from './support/verifier-rig';

/**
 * Against an archiving endpoint with an event bucket: a request without the secret (or malformed
 * before its signature counts) gets a 4xx and leaves nothing in the bucket, the table or the queues.
 */
afterAll(destroyRigs);

describe('unsigned and malformed requests leave no trace', () => {
  test.each([
    ['no signature', () => apiGatewayEvent({ body: '{"id":"evt_x","type":"a"}', headers: { 'Content-Type': 'application/json' } })],
    ['a bad signature', () => apiGatewayEvent({ body: '{"id":"evt_x","type":"a"}', headers: { 'Stripe-Signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` } })],
    ['a body one byte over maxBodySize (unsigned)', () => apiGatewayEvent({ body: Buffer.alloc(256 * 1024 + 1, 0x61) })],
    ['two different Content-Types on a signed request', () => stripeEvent('{"id":"evt_ct","type":"a"}', Date.now(), { 'Content-Type': ['application/json', 'text/plain'] })],
    ['a huge unsigned header', () => apiGatewayEvent({ body: '{"id":"evt_h"}', headers: { 'X-Pad': 'x'.repeat(200_000) } })],
    ['a body flagged base64 that is not base64', () => ({ ...apiGatewayEvent({ body: '{}' }), body: '!!!' })],
  ])('%s: 4xx, and nothing stored, claimed or sent', async (_, make) => {
    const r = await verifierRig({ scheme: 'stripe', archive: ['stripe-signature', 'content-type'] });

    const response = parse(await r.handler(make()));

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await r.keys('')).toEqual([]);
    expect((await r.dynamo.send(new ScanCommand({ TableName: r.tableName, ConsistentRead: true }))).Count).toBe(0);
    expect(r.sent).toEqual([]);
  });

  test('a signed body of exactly maxBodySize (4560 KiB, the ceiling) is accepted: 200, stored byte for byte and sent by reference', async () => {
    const now = Date.now();
    const r = await verifierRig({ scheme: 'stripe', archive: ['stripe-signature'], maxBodyBytes: 4560 * 1024, now });
    const head = JSON.stringify({ id: 'evt_max', type: 'a', pad: '' });
    const body = head.replace('"pad":""', `"pad":"${'\\"'.repeat((4560 * 1024 - head.length) / 2)}"`);
    expect(Buffer.byteLength(body)).toBe(4560 * 1024);

    const response = parse(await r.handler(stripeEvent(body, now)));

    expect(response.status).toBe(200);
    expect(r.sent).toHaveLength(1);
    expect(r.sent[0].ref?.bytes).toBe(4560 * 1024);
    expect((await r.read(r.sent[0].ref!.key)).equals(Buffer.from(body))).toBe(true);
  });
});
