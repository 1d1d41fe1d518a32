import { randomUUID } from 'node:crypto';
import { WebhookProvider } from '../../lib/provider';
import { startHarness, type Harness } from '../../local';
import {
  EffectsTable, GITHUB_SECRET, STRIPE_SECRET, claimItem, countingProcessor, endpointStack, githubSignature, queueDepth, stripeEvent, stripeHeaders,
} from '../harness/fixtures';

/**
 * Scenario a: a request signed by the provider's official SDK is accepted, enqueued exactly once
 * and processed exactly once — counted at the emulator, not in logs.
 */
describe('scenario a: a delivery signed by the provider SDK is processed exactly once', () => {
  let effects: EffectsTable;
  beforeAll(async () => {
    effects = await EffectsTable.create();
  });
  afterAll(() => effects?.destroy());

  describe('Stripe (stripe-node generateTestHeaderString)', () => {
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack();
      harness = await startHarness({ stack, processors: { fulfilment: countingProcessor(effects) } });
      await harness.setSigningSecret(STRIPE_SECRET);
    });
    afterAll(() => harness?.stop());

    test('200 accepted → one message on the queue → one side effect; the claim ends ENQUEUED', async () => {
      const { id, body } = stripeEvent(undefined, { customer: 'cus_a' });
      const response = await harness.post({ body, headers: stripeHeaders(body) });
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ status: 'accepted', id });

      await harness.waitForIdle();
      expect(await effects.count('fulfilment', id)).toBe(1);
      const poller = harness.processors.fulfilment.poller;
      expect(poller?.stats.messageIds.size).toBe(1);
      expect(poller?.stats.records).toBe(1);
      expect(harness.proxy.count({ role: 'verifier', operation: 'SendMessage', outcome: 'forwarded' })).toBe(1);
      expect(harness.proxy.counts({ role: 'verifier' })).toEqual({
        'secretsmanager.GetSecretValue': 1, 'dynamodb.PutItem': 1, 'sqs.SendMessage': 1, 'dynamodb.UpdateItem': 1,
      });
      expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.queue.url)).toBe(0);
      expect(await queueDepth(harness.aws.sqs, harness.processors.fulfilment.deadLetterQueue?.url ?? '')).toBe(0);
      expect((await claimItem(harness, id))?.state?.S).toBe('ENQUEUED');
      expect(harness.metric('Enqueued')).toBe(1);
    });

    test('an event type no processor subscribes to is answered 200 ignored, and nothing is claimed or sent', async () => {
      const { id, body } = stripeEvent(undefined, { type: 'customer.created' });
      const before = harness.proxy.count({ role: 'verifier', service: 'sqs' });
      const response = await harness.post({ body, headers: stripeHeaders(body) });
      expect(response.json()).toEqual({ status: 'ignored', id });
      expect(harness.proxy.count({ role: 'verifier', service: 'sqs' })).toBe(before);
      expect(await claimItem(harness, id)).toBeUndefined();
    });
  });

  describe('GitHub (@octokit/webhooks-methods sign)', () => {
    let harness: Harness;
    beforeAll(async () => {
      const { stack } = endpointStack({ provider: WebhookProvider.github() }, [{ name: 'ci' }]);
      harness = await startHarness({ stack, processors: { ci: countingProcessor(effects) } });
      await harness.setSigningSecret(GITHUB_SECRET);
    });
    afterAll(() => harness?.stop());

    const delivery = () => {
      const id = randomUUID();
      const body = JSON.stringify({ action: 'opened', number: 7, pull_request: { id: 1, title: 'Fix' }, repository: { full_name: 'octo/hello' }, sender: { login: 'octocat' } });
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'GitHub-Hookshot/abc1234',
        'X-GitHub-Event': 'pull_request',
        'X-GitHub-Delivery': id,
        'X-GitHub-Hook-ID': '123',
        'X-Hub-Signature-256': githubSignature(body),
      };
      return { id, body, headers };
    };

    test('200 accepted → one message in the repository group → one side effect', async () => {
      const { id, body, headers } = delivery();
      const response = await harness.post({ body, headers });
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ status: 'accepted', id });
      await harness.waitForIdle();
      expect(await effects.count('ci', id)).toBe(1);
      expect(harness.processors.ci.poller?.stats.messageIds.size).toBe(1);
      expect(await effects.item('ci', id)).toMatchObject({ count: '1', group: 'octo/hello' });
    });

    test('a request without the delivery ID header is refused by the API request validator before the verifier runs', async () => {
      const { body, headers } = delivery();
      const { 'X-GitHub-Delivery': _omitted, ...rest } = headers;
      const before = harness.verifier.stats.invocations;
      const response = await harness.post({ body, headers: rest });
      expect(response.status).toBe(400);
      expect(response.json()).toEqual({ error: 'missing_header', message: 'Missing required request parameters: [X-GitHub-Delivery]' });
      expect(harness.verifier.stats.invocations).toBe(before);
    });

    test('a body changed after signing is refused with 401 and nothing is claimed', async () => {
      const { id, body, headers } = delivery();
      const response = await harness.post({ body: body.replace('Fix', 'Fixed'), headers });
      expect(response.status).toBe(401);
      expect(response.json()).toMatchObject({ error: 'bad_signature' });
      expect(await claimItem(harness, id)).toBeUndefined();
    });
  });
});
