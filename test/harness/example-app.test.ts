import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { buildApp } from '../../bin/example-app';
import { KEY_PREFIX } from '../../lambda/shared/contract';
import { startHarness, type Harness } from '../../local/index';
import { STRIPE_SECRET, stripeEvent, stripeHeaders } from './fixtures';

/**
 * The example app as the dev server runs it: every function from the bundle its asset hash names
 * (verifier and both processors), nothing supplied in-process.
 */
describe('the example app, entirely from its bundles', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({ stack: buildApp().stack });
    await harness.setSigningSecret(STRIPE_SECRET);
  });
  afterAll(() => harness?.stop());

  test('runs both processors from their bundles and each completes the event once', async () => {
    expect(harness.warnings).toEqual([]);
    for (const name of ['fulfilment', 'audit']) {
      const code = harness.processors[name].function?.definition.code;
      expect(code && 'bundleFile' in code && code.bundleFile).toMatch(new RegExp(`assets/example/${name}/index\\.js$`));
    }
    const { id, body } = stripeEvent();
    expect((await harness.post({ body, headers: stripeHeaders(body) })).json()).toEqual({ status: 'accepted', id });
    await harness.waitForIdle();

    const { Items = [] } = await harness.aws.dynamoDb.send(new ScanCommand({ TableName: harness.table.name, ConsistentRead: true }));
    const records = Items.filter((item) => item.id.S?.startsWith(KEY_PREFIX.PROCESSOR));
    expect(records.map((item) => `${item.id.S?.split('#')[1]}:${item.status?.S}`).sort()).toEqual(['audit:COMPLETED', 'fulfilment:COMPLETED']);
    expect(harness.logs.some((entry) => entry.source.includes('Fulfilment') && entry.text.includes('order noted') && entry.text.includes(id))).toBe(true);
    // Counted under the endpoint and the processor, as the template passes them (HW_ENDPOINT_NAME).
    const endpoint = harness.processors.fulfilment.function?.definition.environment.HW_ENDPOINT_NAME;
    expect(endpoint).toBe(harness.processors.audit.function?.definition.environment.HW_ENDPOINT_NAME);
    expect(endpoint).toMatch(/\/Stripe$/);
    expect(harness.metric('Processed', { Endpoint: endpoint as string, Processor: 'fulfilment' })).toBe(1);
    expect(harness.metric('Processed', { Endpoint: endpoint as string, Processor: 'audit' })).toBe(1);
  });
});
