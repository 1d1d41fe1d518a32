import { encodeMessage, mayExceedMessageLimit, SQS_MESSAGE_LIMIT_BYTES, type Delivery } from '../../../lambda/verifier/dispatch';
import { destroyRigs, parse, sha256, slackEvent, verifierRig } from './support/verifier-rig';

/**
 * A body is judged on the message it makes: escaping of the body, and of the event ID and type (in
 * the envelope and in the attributes) too. A Slack slash command's form body, whose `trigger_id` and
 * `command` (the event ID and type) hold raw control characters, is small as bytes and 18 times that
 * as a message: it goes to the event bucket (or is refused 413 without one), never 503 on every retry.
 */
const body = Buffer.from(`command=/c${'\x01'.repeat(30_000)}&trigger_id=t${'\x01'.repeat(30_000)}`, 'latin1');

afterAll(destroyRigs);

describe('a form body with raw control characters in its event ID and type (Slack slash command)', () => {
  test('mayExceedMessageLimit counts the ID\'s and type\'s escaping: the message exceeds SQS\'s limit, and it says it may', () => {
    const delivery: Delivery = {
      eventId: `t${'\x01'.repeat(30_000)}`, eventType: `/c${'\x01'.repeat(30_000)}`, provider: 'slack', groupId: 'g', body, contentType: 'application/x-www-form-urlencoded', receivedAtMs: 0,
    };

    expect(body.length).toBeLessThan(70_000);
    expect(encodeMessage(delivery).bytes).toBeGreaterThan(SQS_MESSAGE_LIMIT_BYTES);
    expect(mayExceedMessageLimit(delivery)).toBe(true);
  });

  test('with an event bucket (default maxBodySize 256 KiB): stored and sent by reference, 200; the sender\'s retry is 200 too and sends nothing more', async () => {
    const now = Date.now();
    const r = await verifierRig({ scheme: 'slack', now });

    const first = parse(await r.handler(slackEvent(body, now)));
    const retry = parse(await r.handler(slackEvent(body, now)));

    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(r.sent).toHaveLength(1);
    expect(r.sent[0].ref).toMatchObject({ bytes: body.length, sha256: sha256(body) });
    expect((await r.read(r.sent[0].ref!.key)).equals(body)).toBe(true);
  });

  test('without an event bucket (maxBodySize 160 KiB): 413 message_too_large, nothing sent', async () => {
    const now = Date.now();
    const r = await verifierRig({ scheme: 'slack', bucket: false, maxBodyBytes: 160 * 1024, now });

    const response = parse(await r.handler(slackEvent(body, now)));

    expect(response).toMatchObject({ status: 413, body: { error: 'message_too_large' } });
    expect(r.sent).toEqual([]);
  });
});
