import { SCHEMES } from '../../lambda/verifier/schemes';
import {
  EventField, LinearEventIdSource, ShopifyHeaderStyle, StandardWebhooksHeaders, TwilioEventIdSource, WebhookProvider,
  type HmacProviderOptions,
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

describe('WebhookProvider.hmac: the signed-content layout is checked at synth', () => {
  const base: HmacProviderOptions = { signatureHeader: 'X-Signature', eventId: EventField.jsonPath('id') };
  const layoutOf = (options: Partial<HmacProviderOptions>) => WebhookProvider.hmac({ ...base, ...options })._config().options;

  test.each<[string, Partial<HmacProviderOptions>, RegExp]>([
    [
      'a timestamp header whose value is not signed: the window would be enforced on a header anyone can rewrite',
      { timestampHeader: 'X-Timestamp', signedContent: '{body}' },
      /signedContent must contain \{timestamp\} when timestampHeader is set \("X-Timestamp"\).*unsigned header.*got "\{body\}"/,
    ],
    [
      'a timestamp header with a misspelt placeholder',
      { timestampHeader: 'X-Timestamp', signedContent: '{timestmap}.{body}' },
      /signedContent must contain \{timestamp\} when timestampHeader is set \("X-Timestamp"\).*got "\{timestmap\}\.\{body\}"/,
    ],
    [
      'no {body}: the body would not be signed',
      { timestampHeader: 'X-Timestamp', signedContent: 'v1:{timestamp}' },
      /signedContent must contain \{body\} exactly once \(the body would not be signed\); got "v1:\{timestamp\}"/,
    ],
    [
      'no {body} and no timestamp: nothing of the request would be signed',
      { signedContent: 'static' },
      /signedContent must contain \{body\} exactly once \(the body would not be signed\); got "static"/,
    ],
    [
      '{body} twice',
      { signedContent: '{body}.{body}' },
      /signedContent must contain \{body\} exactly once \(the body would be signed twice\); got "\{body\}\.\{body\}"/,
    ],
    [
      '{timestamp} without a timestamp header: it would be replaced by an empty string',
      { signedContent: '{timestamp}.{body}' },
      /signedContent contains \{timestamp\} but timestampHeader is not set: it would be replaced by an empty string.*got "\{timestamp\}\.\{body\}"/,
    ],
    [
      'an empty timestamp header: the window would silently be off',
      { timestampHeader: '', signedContent: '{timestamp}.{body}' },
      /timestampHeader must be an HTTP header name .*; got ""/,
    ],
    [
      'an empty signature header: API Gateway would require a nameless header',
      { signatureHeader: '' },
      /signatureHeader must be an HTTP header name .*; got ""/,
    ],
    [
      'a signature header name no request can carry',
      { signatureHeader: 'X Signature' },
      /signatureHeader must be an HTTP header name .*; got "X Signature"/,
    ],
    [
      'a placeholder the verifier does not fill (an event ID header is not signed)',
      { timestampHeader: 'X-Timestamp', signedContent: '{timestamp}.{eventId}.{body}' },
      /signedContent may use only the placeholders \{body\} and \{timestamp\}; \{eventId\} would be signed as literal text.*got "\{timestamp\}\.\{eventId\}\.\{body\}"/,
    ],
  ])('refuses %s', (_case, options, message) => {
    expect(() => WebhookProvider.hmac({ ...base, ...options })).toThrow(/^WebhookProvider\.hmac: invalid props:/);
    expect(() => WebhookProvider.hmac({ ...base, ...options })).toThrow(message);
  });

  test('lists every problem of a layout at once', () => {
    expect(() => WebhookProvider.hmac({ ...base, timestampHeader: 'X-Timestamp', signedContent: '{id}' }))
      .toThrow(/\{body\} exactly once[\s\S]*\{timestamp\} when timestampHeader is set[\s\S]*\{id\} would be signed as literal text/);
  });

  test.each<[string, Partial<HmacProviderOptions>]>([
    ['the default layout without a timestamp header ({body})', {}],
    ['the default layout with a timestamp header ({timestamp}.{body})', { timestampHeader: 'X-Timestamp' }],
    ['{timestamp}.{body}', { timestampHeader: 'X-Timestamp', signedContent: '{timestamp}.{body}' }],
    ['v1:{timestamp}:{body}', { timestampHeader: 'X-Timestamp', signedContent: 'v1:{timestamp}:{body}' }],
    ['{body}.{timestamp}', { timestampHeader: 'X-Timestamp', signedContent: '{body}.{timestamp}' }],
    ['{timestamp} twice', { timestampHeader: 'X-Timestamp', signedContent: '{timestamp}.{body}.{timestamp}' }],
    ['{body} with a literal prefix', { signedContent: 'hook:{body}' }],
    ['{body} alone', { signedContent: '{body}' }],
    ['literal braces that are not placeholders', { timestampHeader: 'X-Timestamp', signedContent: '{"t":{timestamp}}{body}' }],
  ])('accepts %s', (_case, options) => {
    expect(layoutOf(options)).toMatchObject({ header: 'X-Signature', eventId: { jsonPath: 'id' } });
    expect(layoutOf(options).signedContent).toBe(options.signedContent);
    expect(layoutOf(options).timestampHeader).toBe(options.timestampHeader);
  });
});
