import { Duration } from 'aws-cdk-lib';
import { startHarness, type Harness } from '../../local';
import { EffectsTable, countingProcessor, endpointStack, sleep, stripeEvent, stripeHeaders } from '../harness/fixtures';

/**
 * Scenarios h and i: the signing secret in Secrets Manager changes under a running endpoint, with
 * no redeploy. The test stack sets `secretCacheTtl: 1 s`; each verifier execution environment has
 * its own cache, as in Lambda.
 */
describe('scenarios h and i: the signing secret', () => {
  let effects: EffectsTable;
  let harness: Harness;
  beforeAll(async () => {
    effects = await EffectsTable.create();
    const { stack } = endpointStack({ secretCacheTtl: Duration.seconds(1) });
    harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
  });
  afterAll(async () => {
    await harness?.stop();
    await effects?.destroy();
  });
  afterEach(() => harness.clock.reset());

  const send = (secret: string, options: { id?: string; timestamp?: number } = {}) => {
    const { id, body } = stripeEvent(options.id);
    return harness.post({ body, headers: stripeHeaders(body, { secret, timestamp: options.timestamp }) }).then((response) => ({ id, response }));
  };

  test('h: while the secret holds the placeholder the endpoint answers 503 and accepts nothing; after PutSecretValue the next retry is accepted', async () => {
    const { id, response } = await send('whsec_provider_value');
    expect(response.status).toBe(503);
    expect(response.json()).toMatchObject({ error: 'signing_secret_unavailable' });
    expect(response.headers['retry-after']).toBe('30');
    expect(harness.proxy.counts({ role: 'verifier' })).toEqual({ 'secretsmanager.GetSecretValue': 1 });

    await harness.setSigningSecret('whsec_provider_value');
    const cached = await send('whsec_provider_value', { id });
    expect(cached.response.status).toBe(503); // the "unset" answer is cached for secretCacheTtl
    await sleep(1100);
    const retried = await send('whsec_provider_value', { id });
    expect(retried.response.json()).toEqual({ status: 'accepted', id });
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', id)).toBe(1);
    expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage' })).toBe(1);
  });

  test('i: during a roll both the old and the new secret are accepted; once the list holds only the new one, the old is refused', async () => {
    await harness.setSigningSecret(['whsec_new', { value: 'whsec_old', validUntil: new Date(Date.now() + 3_600_000).toISOString() }]);
    await sleep(1100);
    const old = await send('whsec_old');
    const fresh = await send('whsec_new');
    expect([old.response.status, fresh.response.status]).toEqual([200, 200]);

    await harness.setSigningSecret(['whsec_new']);
    await sleep(1100);
    const refused = await send('whsec_old');
    expect(refused.response.status).toBe(401);
    expect(refused.response.json()).toMatchObject({ error: 'bad_signature' });
    expect((await send('whsec_new')).response.status).toBe(200);
    await harness.waitForIdle();
    expect(await effects.count('fulfilment', old.id)).toBe(1);
    expect(await effects.count('fulfilment', fresh.id)).toBe(1);
    expect(await effects.count('fulfilment', refused.id)).toBe(0);
  });

  test('i: the old secret stops being accepted when its validUntil passes, without touching the secret (verifier clock moved forward)', async () => {
    await harness.setSigningSecret(['whsec_next', { value: 'whsec_prev', validUntil: new Date(Date.now() + 60_000).toISOString() }]);
    await sleep(1100);
    expect((await send('whsec_prev')).response.status).toBe(200);

    harness.clock.advance(120_000);
    const signedNow = Math.floor(harness.clock.now() / 1000);
    const expired = await send('whsec_prev', { timestamp: signedNow });
    expect(expired.response.status).toBe(401);
    expect(expired.response.json()).toMatchObject({ error: 'bad_signature' });
    expect((await send('whsec_next', { timestamp: signedNow })).response.status).toBe(200);
  });
});
