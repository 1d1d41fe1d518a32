import { SCHEMES } from '../../lambda/verifier/schemes';
import {
  LinearEventIdSource, ShopifyHeaderStyle, StandardWebhooksHeaders, TwilioEventIdSource, WebhookProvider,
} from '../../lib';
import { DEFAULT_PROVIDERS } from '../support/providers';
import { endpointStack, template } from '../support/stacks';

const FACTORIES = DEFAULT_PROVIDERS;

describe('WebhookProvider', () => {
  test('every scheme the verifier knows has a factory, and every factory names a known scheme', () => {
    expect(Object.keys(FACTORIES).sort()).toEqual(Object.keys(SCHEMES).sort());
    for (const [id, factory] of Object.entries(FACTORIES)) expect(factory()._config().scheme).toBe(id);
  });

  test.each(Object.entries(FACTORIES))('%s: API Gateway requires exactly the scheme\'s headers', (_id, factory) => {
    const provider = factory();
    const { stack } = endpointStack({ provider });
    const expected = Object.fromEntries(provider.requiredHeaders.map((h) => [`method.request.header.${h}`, true]));
    const [method] = Object.values(template(stack).findResources('AWS::ApiGateway::Method'));
    expect(method.Properties.RequestParameters ?? {}).toEqual(expected);
  });

  test('options are carried as plain data with their defaults applied', () => {
    expect(WebhookProvider.github({ allowLegacySha1: true })._config().options).toEqual({ allowLegacySha1: true });
    expect(WebhookProvider.svix({ headers: StandardWebhooksHeaders.EITHER })._config().options).toEqual({ headerPrefix: 'either' });
    expect(WebhookProvider.standardWebhooks()._config().options).toEqual({ headerPrefix: 'webhook' });
    expect(WebhookProvider.linear()._config().options).toEqual({ eventIdSource: LinearEventIdSource.PAYLOAD });
    expect(WebhookProvider.twilio()._config().options).toEqual({ eventIdSource: TwilioEventIdSource.SIGNED_CONTENT });
    expect(WebhookProvider.shopify({ headerStyle: ShopifyHeaderStyle.EITHER }).requiredHeaders).toEqual([]);
  });

  test('Square validates its notification URL, naming the prop and the value', () => {
    expect(() => WebhookProvider.square({ notificationUrl: 'http://example.com/hook' })).toThrow(/notificationUrl must be .*got "http:\/\/example.com\/hook"/);
    expect(WebhookProvider.square({ notificationUrl: 'https://example.com/hook' })._config().options).toEqual({ notificationUrl: 'https://example.com/hook' });
  });
});
