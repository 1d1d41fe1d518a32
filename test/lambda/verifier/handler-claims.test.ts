import { createHmac } from 'node:crypto';
import { TABLE, type ProcessorRoute, type VerifierConfig } from '../../../lambda/shared/contract';
import { ClaimStore, claimKey } from '../../../lambda/verifier/claims';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { createVerifier } from '../../../lambda/verifier/handler';
import { toInboundRequest } from '../../../lambda/verifier/http';
import { twilioScheme } from '../../../lambda/verifier/schemes/twilio';
import { MemoryDynamoDb } from '../../support/memory-dynamodb';
import { apiGatewayEvent } from '../../support/requests';

/**
 * The handler with the real ClaimStore (over the in-memory table that test/lambda/verifier/claims.test.ts
 * holds to moto's answers) and a dispatcher that records each send and can fail per queue: the claim
 * paths that an adversarial review found, each pinned.
 */
const NOW = 1_700_000_000_000;
const SECRET = 'handler-claims-secret';
const route = (name: string, eventTypes: string[] = []): ProcessorRoute => ({ name, queueUrl: `https://sqs.local/${name}.fifo`, eventTypes });

function rig(scheme: string, routes: ProcessorRoute[], options: Record<string, unknown> = {}, table = new MemoryDynamoDb(TABLE.PARTITION_KEY)) {
  const sent: { queue: string; eventId: string; type?: string }[] = [];
  const failing = new Set<string>();
  const metrics: string[] = [];
  const config: VerifierConfig = {
    endpointName: 'Claims/Test', provider: { scheme, options }, signingSecretArn: 'arn', secretCacheTtlSeconds: 60, toleranceSeconds: 300,
    maxBodyBytes: 256 * 1024, tableName: 'claims', retentionSeconds: 86400, processors: routes,
  };
  const handler = createVerifier(config, {
    clock: () => NOW,
    log: () => undefined,
    metric: (name) => void metrics.push(name),
    secrets: { active: async () => ({ values: [SECRET] }) },
    claims: new ClaimStore(table.asClient(), 'claims', 86400, () => NOW),
    dispatcher: {
      enqueue: async (matched, delivery) => {
        const results = matched.map((r) => (failing.has(r.name) ? 'failed' : (sent.push({ queue: r.name, eventId: delivery.eventId, type: delivery.eventType }), 'sent')));
        if (results.includes('failed')) throw new DownstreamError('enqueue', { cause: new Error('queue down') });
      },
    },
  });
  return { handler, table, sent, failing, metrics };
}

describe('Twilio across the 0.1 upgrade: every attempt sends one event under one ID', () => {
  const url = 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhook';
  const params = { AccountSid: 'AC1', MessageSid: 'SM123', MessageStatus: 'delivered' };
  const body = new URLSearchParams(params).toString();
  const signed = url + Object.keys(params).sort().map((k) => k + params[k as keyof typeof params]).join('');
  const headers = { 'X-Twilio-Signature': createHmac('sha1', SECRET).update(signed).digest('base64'), 'Content-Type': 'application/x-www-form-urlencoded' };
  const request = () => apiGatewayEvent({ body, headers });
  const legacyId = () => {
    const verdict = twilioScheme.verify(toInboundRequest(request()), { secrets: [SECRET], nowMs: NOW, toleranceSeconds: 300 }, {});
    if (!verdict.ok || !verdict.event.legacyIds) throw new Error('no legacy ID');
    return verdict.event.legacyIds[0];
  };
  const seedPending = (table: MemoryDynamoDb, id: string) => table.items.set(claimKey(id), { [TABLE.PARTITION_KEY]: { S: claimKey(id) }, [TABLE.STATE]: { S: 'PENDING' } });

  test('a partial SQS failure, then the retry: both attempts send under the 0.1 ID', async () => {
    // GIVEN a 0.1 claim left PENDING, and one of two queues failing on the first attempt
    const { handler, table, sent, failing } = rig('twilio', [route('sms-log'), route('billing')]);
    seedPending(table, legacyId());
    failing.add('billing');
    expect((await handler(request())).statusCode).toBe(503);
    failing.clear();
    // WHEN Twilio retries THEN it is accepted, and every send of the event carried the one 0.1 ID
    expect((await handler(request())).statusCode).toBe(200);
    expect(new Set(sent.map((m) => m.eventId))).toEqual(new Set([legacyId()]));
  });

  test('concurrent duplicates both send under the 0.1 ID', async () => {
    const { handler, table, sent } = rig('twilio', [route('sms-log')]);
    seedPending(table, legacyId());
    await Promise.all([handler(request()), handler(request())]);
    expect(new Set(sent.map((m) => m.eventId))).toEqual(new Set([legacyId()]));
  });

  test('without a 0.1 claim, the event is named by its signed string and the read costs one call', async () => {
    const { handler, table, sent } = rig('twilio', [route('sms-log')]);
    expect((await handler(request())).statusCode).toBe(200);
    expect(sent.map((m) => m.eventId)).toEqual([expect.stringMatching(/^twilio:[0-9a-f]{64}$/)]);
    expect(table.calls).toBe(3); // claim, 0.1 read, mark
  });
});

describe('content claims: a replay that beats the provider\'s delivery is never silent', () => {
  const body = JSON.stringify({ action: 'published', release: { id: 1 }, repository: { full_name: 'acme/api' } });
  const github = (event: string, delivery: string) => apiGatewayEvent({
    body,
    headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`, 'X-GitHub-Event': event, 'X-GitHub-Delivery': delivery },
  });

  test('the genuine delivery failed before its claim; a replay under another event name took it; the retry is refused 409 and counted, never answered 200', async () => {
    // GIVEN the genuine release delivery never claimed (DynamoDB was down: 503), and a captured copy re-sent as a push
    const { handler, sent, metrics } = rig('github', [route('releases', ['release.*']), route('pushes', ['push*'])]);
    expect((await handler(github('push', 'attacker-1'))).statusCode).toBe(200);
    // WHEN GitHub's redelivery arrives
    const retry = await handler(github('release', 'genuine-1'));
    // THEN it is refused with a clear 409 (the alarm on conflicting_replay fires), not a silent duplicate
    expect(retry.statusCode).toBe(409);
    expect(JSON.parse(retry.body)).toMatchObject({ error: 'conflicting_replay' });
    expect(metrics).toContain('ContentReplays');
    expect(sent.map((m) => m.queue)).toEqual(['pushes']);
  });

  test('an event ignored before a processor subscribed is routed on the provider\'s retry, once, and never under another type', async () => {
    // GIVEN a release delivery that no processor wanted (recorded IGNORED)
    const before = rig('github', [route('pushes', ['push*'])]);
    expect(JSON.parse((await before.handler(github('release', 'r-1'))).body)).toMatchObject({ status: 'ignored' });
    // WHEN a release processor is deployed and GitHub redelivers the same event
    const after = rig('github', [route('releases', ['release.*']), route('pushes', ['push*'])], {}, before.table);
    expect(JSON.parse((await after.handler(github('release', 'r-1'))).body)).toMatchObject({ status: 'accepted' });
    // THEN it is sent once; a further copy is a duplicate and the bytes as a push are refused
    expect(JSON.parse((await after.handler(github('release', 'r-1'))).body)).toMatchObject({ status: 'duplicate' });
    expect((await after.handler(github('push', 'r-2'))).statusCode).toBe(409);
    expect(after.sent.map((m) => m.queue)).toEqual(['releases']);
  });

  test('the same body under only a new delivery ID (a second hook) is a plain duplicate', async () => {
    const { handler, sent } = rig('github', [route('releases', ['release.*'])]);
    expect((await handler(github('release', 'hook-a'))).statusCode).toBe(200);
    const second = await handler(github('release', 'hook-b'));
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({ status: 'duplicate' });
    expect(sent).toHaveLength(1);
  });
});
