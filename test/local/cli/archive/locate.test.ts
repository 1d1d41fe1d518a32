import { ENV } from '../../../../lambda/shared/contract';
import {
  EndpointSelectionError, EventBucketNotFoundError, endpointOfProcessor, findEndpoints, RoutingUnknownError, selectEndpoint,
} from '../../../../local/cli/archive';
import type { ProcessorQueues } from '../../../../local/cli/redrive';

/** Which bucket and routing an endpoint has, read from a template as the construct writes it. */
const verifier = (configJoinParts: unknown[]) => ({
  Type: 'AWS::Lambda::Function',
  Properties: { Environment: { Variables: { [ENV.VERIFIER_CONFIG]: { 'Fn::Join': ['', configJoinParts] } } } },
});
const bucket = (path: string) => ({ Type: 'AWS::S3::Bucket', Metadata: { 'aws:cdk:path': path } });
const resources = (ids: Record<string, string>) => Object.entries(ids).map(([LogicalResourceId, PhysicalResourceId]) => ({ LogicalResourceId, PhysicalResourceId }));

describe('findEndpoints', () => {
  const template = {
    Resources: {
      // Stripe: the configuration names its bucket by Ref (and routes two processors).
      StripeVerifier: verifier([
        '{"endpointName":"App/Stripe","eventBucket":"', { Ref: 'StripeEventBucketAB12' }, '","archive":{"headers":[]},"processors":[',
        '{"name":"orders","queueUrl":"', { Ref: 'StripeordersQueue' }, '","eventTypes":["invoice.*"]},{"name":"audit","queueUrl":"', { Ref: 'StripeauditQueue' }, '","eventTypes":[]}]}',
      ]),
      StripeEventBucketAB12: bucket('App/Stripe/EventBucket/Resource'),
      // GitHub: only the path names its bucket; its configuration has no archive.
      GithubVerifier: verifier(['{"endpointName":"App/Nested/Github","processors":[{"name":"ci","queueUrl":"', { Ref: 'Q' }, '","eventTypes":["push"]}]}']),
      GithubEventBucketCD34: bucket('App/Nested/Github/EventBucket/Resource'),
      // Another bucket of the app, not an endpoint's.
      Logs: bucket('App/Logs/Resource'),
    },
  };
  const physical = resources({ StripeEventBucketAB12: 'stripe-bucket', GithubEventBucketCD34: 'github-bucket', Logs: 'logs-bucket' });

  test('each endpoint\'s bucket, by configuration or by path, with the routing the configuration gives', () => {
    expect(findEndpoints('App', template, physical)).toEqual([
      { stackName: 'App', endpoint: 'App/Nested/Github', bucket: 'github-bucket', foundBy: 'cdk-path', routes: [{ name: 'ci', eventTypes: ['push'] }], archived: false },
      {
        stackName: 'App', endpoint: 'App/Stripe', bucket: 'stripe-bucket', foundBy: 'verifier-config', archived: true,
        routes: [{ name: 'orders', eventTypes: ['invoice.*'] }, { name: 'audit', eventTypes: [] }],
      },
    ]);
  });

  test('a bucket the stack has no physical name for (not created yet) is no endpoint\'s', () => {
    expect(findEndpoints('App', template, resources({ GithubEventBucketCD34: 'github-bucket' })).map((e) => e.endpoint)).toEqual(['App/Nested/Github']);
  });

  test('a routing entry that is not understood leaves the routing unknown, rather than half-read', () => {
    const odd = { Resources: { V: verifier(['{"endpointName":"App/X","eventBucket":"literal-bucket","processors":[{"name":"p","eventTypes":"invoice.*"}]}']) } };
    expect(findEndpoints('App', odd, [])).toEqual([expect.objectContaining({ endpoint: 'App/X', bucket: 'literal-bucket', routes: undefined })]);
  });

  test('selection: by construct ID or path suffix; several without --endpoint, none, or an unknown one are errors naming the endpoints', () => {
    const found = findEndpoints('App', template, physical);
    expect(selectEndpoint('App', found, 'Stripe').bucket).toBe('stripe-bucket');
    expect(selectEndpoint('App', found, 'Nested/Github').bucket).toBe('github-bucket');
    expect(selectEndpoint('App', found, 'App/Stripe').bucket).toBe('stripe-bucket');
    expect(() => selectEndpoint('App', found, undefined)).toThrow(EndpointSelectionError);
    expect(() => selectEndpoint('App', found, undefined)).toThrow(/has 2 endpoints with an event bucket: name one with --endpoint \(App\/Nested\/Github, App\/Stripe\)/);
    expect(() => selectEndpoint('App', found, 'ripe')).toThrow(/--endpoint "ripe" names no endpoint with an event bucket/);
    expect(() => selectEndpoint('App', [], undefined)).toThrow(EventBucketNotFoundError);
    expect(selectEndpoint('App', found.slice(0, 1), undefined).endpoint).toBe('App/Nested/Github');
  });

  test('a processor\'s endpoint must route to it, or replay cannot know its event types', () => {
    const found = findEndpoints('App', template, physical);
    const processor = (endpoint: string, name: string) => ({ endpoint, processor: name } as ProcessorQueues);
    expect(endpointOfProcessor('App', found, processor('App/Stripe', 'orders')).route).toEqual({ name: 'orders', eventTypes: ['invoice.*'] });
    expect(() => endpointOfProcessor('App', found, processor('App/Stripe', 'ghost'))).toThrow(RoutingUnknownError);
    expect(() => endpointOfProcessor('App', found, processor('App/Plain', 'orders'))).toThrow(/endpoint App\/Plain of stack "App" has no event bucket/);
  });
});
