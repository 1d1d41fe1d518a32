import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import fc from 'fast-check';
import { TABLE, TOKEN_VALUE_VERSION, type VerifierConfig } from '../../lambda/shared/contract';
import { ClaimStore } from '../../lambda/verifier/claims';
import { createVerifier } from '../../lambda/verifier/handler';
import { SCHEMES } from '../../lambda/verifier/schemes';
import { HardenedWebhookEndpoint, ScopedToken, WebhookProvider } from '../../lib';
import { handlerAsset } from '../../lib/private/assets';
import { startHarness, type Harness, type LogEntry } from '../../local';
import { MemoryDynamoDb } from '../support/memory-dynamodb';
import { apiGatewayEvent } from '../support/requests';
import { caseArbitrary, recordTally } from './support/properties';
import { fixedKey, SIGNERS, type SignedRequest } from './support/signers';

/**
 * Issue #7, item 5: with known signing secrets and tokens, no secret, token or signature appears in
 * any log line the handlers wrote — the verifier bundle and the processor bundles, captured from
 * their stdout/stderr by the local harness, through accepted, refused, duplicate and failing paths.
 */
const NEW_SECRET = 'whsec_hygiene_CURRENT_6b1f0c2e9d';
const OLD_SECRET = 'whsec_hygiene_PREVIOUS_a47d93be51';
const TOKEN = 'tok_live_HYGIENE_3f9a1c7e5b2d8064';

/** Every form a value could take in a log line: as is, JSON-escaped, base64, hex. */
function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, JSON.stringify(value).slice(1, -1), bytes.toString('base64'), bytes.toString('hex')].filter((form) => form.length >= 8);
}

function leaks(lines: readonly string[], secrets: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const line of lines) {
    for (const secret of secrets) if (line.includes(secret)) found.push(`${secret.slice(0, 12)}… in: ${line.slice(0, 200)}`);
  }
  return found;
}

describe('through the local harness: the verifier and processor bundles, a scoped token and a fake downstream service', () => {
  let harness: Harness;
  let downstream: http.Server;
  const logs: LogEntry[] = [];
  const authorizations: string[] = [];
  let downstreamCalls = 0;
  /** Every value that must never be logged. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    // A fake fulfilment service: refuses the first call (401, the processor invalidates its token and retries), then accepts.
    downstream = http.createServer((request, response) => {
      downstreamCalls += 1;
      authorizations.push(String(request.headers.authorization));
      request.resume();
      request.on('end', () => response.writeHead(downstreamCalls === 1 ? 401 : downstreamCalls === 2 ? 503 : 200).end('{}'));
    });
    await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;

    const app = new App();
    const stack = new Stack(app, 'Hygiene');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Stripe', { provider: WebhookProvider.stripe() });
    const token = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write', rotationInterval: Duration.days(30) });
    const fulfilment = new lambda.Function(stack, 'Fulfilment', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('example/fulfilment')), timeout: Duration.seconds(10),
      environment: { FULFILMENT_URL: url },
    });
    const audit = new lambda.Function(stack, 'Audit', {
      runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('example/audit')), timeout: Duration.seconds(10),
    });
    // The harness sandbox's process.stdout lacks removeListener, which Powertools Metrics' own Console
    // needs; in dev mode Metrics writes through the global console instead (reported to the harness owner).
    for (const fn of [fulfilment, audit]) fn.addEnvironment('POWERTOOLS_DEV', 'true');
    endpoint.addProcessor(fulfilment, { name: 'fulfilment', eventTypes: ['payment_intent.*'], tokens: [token], maxReceiveCount: 10 });
    endpoint.addProcessor(audit, { name: 'audit' });

    harness = await startHarness({ stack, onLog: (entry) => logs.push(entry), poller: { retryVisibilityTimeoutSeconds: 1 } });
    // Two active signing secrets (a roll in progress) and an issued token, all known to the test.
    await harness.setSigningSecret([NEW_SECRET, { value: OLD_SECRET, validUntil: '2999-01-01T00:00:00Z' }]);
    const tokenSecret = [...harness.resources.secrets.values()].find((secret) => secret.logicalId === stack.getLogicalId(token.secret.node.defaultChild as CfnElement));
    if (!tokenSecret) throw new Error('the token secret was not created');
    await harness.aws.secretsManager.send(new PutSecretValueCommand({
      SecretId: tokenSecret.arn,
      SecretString: JSON.stringify({ v: TOKEN_VALUE_VERSION, token: TOKEN, issuedAt: new Date().toISOString() }),
      VersionStages: ['AWSCURRENT'],
    }));
    for (const value of [NEW_SECRET, OLD_SECRET, TOKEN]) for (const form of forms(value)) secrets.add(form);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await new Promise((resolve) => downstream?.close(resolve));
  });

  /** Signs like Stripe; remembers the signature and what the verifier would compute with each secret. */
  function stripeDelivery(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
    const mac = (key: string) => createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
    const signature = mac(secret);
    for (const value of [signature, mac(NEW_SECRET), mac(OLD_SECRET)]) secrets.add(value);
    const header = `t=${timestamp},v1=${signature}`;
    secrets.add(header);
    return { body, headers: { 'Stripe-Signature': header, 'Content-Type': 'application/json' } };
  }

  const event = (id: string, type = 'payment_intent.succeeded') => JSON.stringify({
    id, object: 'event', type, data: { object: { id: `pi_${id}`, amount: 1200, customer: `cus_${id}` } },
  });

  test('accepted, duplicate, refused and failing paths log nothing secret', async () => {
    const statuses: number[] = [];
    const send = async (request: { body: string; headers: Record<string, string> }) => statuses.push((await harness.post(request)).status);
    // Accepted with the current and the previous secret; the fulfilment call fails twice (401, 503) and then succeeds.
    await send(stripeDelivery(event('evt_hyg_1'), NEW_SECRET));
    await send(stripeDelivery(event('evt_hyg_2', 'customer.created'), OLD_SECRET));
    await send(stripeDelivery(event('evt_hyg_3'), NEW_SECRET));
    // A duplicate, a wrong secret, a tampered body, a stale and a malformed timestamp, a conflicting header.
    await send(stripeDelivery(event('evt_hyg_1'), NEW_SECRET));
    await send(stripeDelivery(event('evt_hyg_4'), 'whsec_not_configured_secret'));
    const tampered = stripeDelivery(event('evt_hyg_5'), NEW_SECRET);
    await send({ ...tampered, body: tampered.body.replace('1200', '9999') });
    await send(stripeDelivery(event('evt_hyg_6'), NEW_SECRET, Math.floor(Date.now() / 1000) - 3600));
    const good = stripeDelivery(event('evt_hyg_7'), NEW_SECRET);
    await send({ ...good, headers: { ...good.headers, 'Stripe-Signature': good.headers['Stripe-Signature'].replace(/^t=\d+/, 't=1.7e9') } });
    statuses.push((await harness.post({ body: good.body, headers: [['Stripe-Signature', good.headers['Stripe-Signature']], ['stripe-signature', 't=1,v1=00']] })).status);
    await harness.waitForIdle({ timeoutMs: 60_000 });

    expect(statuses).toEqual([200, 200, 200, 200, 401, 401, 401, 401, 400]);
    // The token really was used (so a leak had every chance to happen), and the retries happened.
    expect(authorizations).toContain(`Bearer ${TOKEN}`);
    expect(downstreamCalls).toBeGreaterThanOrEqual(3);
    const lines = logs.map((entry) => entry.text);
    const sources = new Set(logs.map((entry) => entry.source.replace(/#\d+$/, '')));
    expect(lines.length).toBeGreaterThan(10);
    // The verifier and the audit processor wrote; the fulfilment processor's failures are counted as metrics, not logged.
    expect([...sources].some((source) => source.includes('Verifier'))).toBe(true);
    expect([...sources].some((source) => source.includes('Audit'))).toBe(true);
    expect(Object.values(harness.processors).every((processor) => (processor.poller?.stats.deleted ?? 0) > 0)).toBe(true);
    expect(secrets.size).toBeGreaterThan(20);
    // The check itself has teeth: a planted leak in any form is found.
    for (const planted of [TOKEN, OLD_SECRET, Buffer.from(NEW_SECRET).toString('base64')]) expect(leaks([`x ${planted} y`], secrets)).toHaveLength(1);
    expect(leaks(lines, secrets)).toEqual([]);
    recordTally('hygiene-harness', { cases: statuses.length, accepted: lines.length, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: secrets.size, equivalentMutations: 0 });
  }, 120_000);
});

describe('every scheme: the verifier logs no secret and no signature, whatever it is sent', () => {
  test.each(Object.keys(SCHEMES).sort())('%s', async (id) => {
    const signer = SIGNERS[id];
    const lines: string[] = [];
    const secrets = new Set<string>();
    await fc.assert(fc.asyncProperty(caseArbitrary(signer), fc.nat({ max: 4 }), async (c, kind) => {
      // High-entropy fixed keys: a random one-character secret would "appear" in any log line.
      const key = fixedKey(id, `hygiene-configured-${id}-7f3a9c51e2`);
      const other = fixedKey(id, `hygiene-other-${id}-0b84d6f19a`);
      const config: VerifierConfig = {
        endpointName: `Hygiene/${id}`, provider: { scheme: id, options: c.options }, signingSecretArn: 'arn', secretCacheTtlSeconds: 60,
        toleranceSeconds: c.toleranceSeconds, maxBodyBytes: 262144, tableName: 't', retentionSeconds: 86400, publicUrl: signer.publicUrl,
        processors: [{ name: 'p', queueUrl: 'q', eventTypes: [] }],
      };
      const handler = createVerifier(config, {
        clock: () => c.nowMs,
        log: (entry) => lines.push(JSON.stringify(entry)),
        metric: () => undefined,
        secrets: { active: async () => ({ values: [key.stored] }) },
        claims: new ClaimStore(new MemoryDynamoDb(TABLE.PARTITION_KEY).asClient(), 't', 86400, () => c.nowMs),
        dispatcher: { enqueue: async () => undefined },
      });
      // Accepted, wrong key, stale, tampered, or signed and then re-signed by another key.
      const at = kind === 2 ? c.nowMs - (c.toleranceSeconds + 10) * 1000 : c.nowMs;
      const signed = signer.sign(c.seed, kind === 1 ? other : key, at, c.options, { variant: c.variant });
      if (id === 'mailgun') secrets.add((JSON.parse(signed.body.toString('utf8')) as { signature: { signature: string } }).signature.signature);
      let request: SignedRequest = signed;
      if (kind === 3 && request.body.length > 0) request = { ...request, body: Buffer.concat([request.body.subarray(0, -1), Buffer.from([request.body[request.body.length - 1] ^ 1])]) };
      // Stored keys (public keys too: they are not secret, but nothing needs them in a log) and every signature header sent.
      secrets.add(key.stored);
      if (typeof key.signing === 'string') secrets.add(key.signing);
      if (typeof other.signing === 'string') secrets.add(other.signing);
      for (const [name, value] of Object.entries(request.headers)) if (/sig|hmac/i.test(name) && value.length >= 16) secrets.add(value);
      await handler(apiGatewayEvent({ body: request.body, headers: request.headers, query: request.query }));
    }), { numRuns: 200 });
    expect(lines.length).toBeGreaterThanOrEqual(200);
    expect(leaks(lines, secrets)).toEqual([]);
  });
});
