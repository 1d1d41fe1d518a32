import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../../../lambda/shared/contract';
import { HardenedWebhookEndpoint, WebhookProvider } from '../../../../lib';
import {
  AmbiguousProcessorError, discoverProcessors, NoEndpointError, ProcessorNotFoundError, StackNotFoundError, StackReadError, type CloudFormationApi,
} from '../../../../local/cli/redrive';
import type { StackResourceSummary } from '../../../../local/cli/redrive/discover';
import { placeholderFunction } from '../../../support/stacks';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STACK = 'Webhooks';

type Template_ = { Resources: Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> }> };

/**
 * The construct's real template: two endpoints in one stack, both with a `fulfilment` processor
 * (names are unique per endpoint only), and a hyphenated name that logical IDs cannot spell.
 * Path metadata on, as `cdk deploy` writes it.
 */
function synthesize(): Template_ {
  const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, STACK, { env: { account: ACCOUNT, region: REGION } });
  const stripe = new HardenedWebhookEndpoint(stack, 'Stripe', { provider: WebhookProvider.stripe() });
  stripe.addProcessor(placeholderFunction(stack, 'Fulfilment'), { name: 'fulfilment' });
  stripe.addProcessor(placeholderFunction(stack, 'OrdersWrite'), { name: 'orders-write' });
  const github = new HardenedWebhookEndpoint(stack, 'GitHub', { provider: WebhookProvider.github() });
  github.addProcessor(placeholderFunction(stack, 'GhFulfilment'), { name: 'fulfilment' });
  return Template.fromStack(stack).toJSON() as Template_;
}

const TEMPLATE = synthesize();

/** What CloudFormation gives a queue as its physical ID: the queue URL. */
const queueUrl = (logicalId: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${STACK}-${logicalId}-Xy12.fifo`;
const queueArn = (logicalId: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${STACK}-${logicalId}-Xy12.fifo`;

/** A stubbed CloudFormation holding one deployed stack, answering in pages like the real one. */
function fakeCloudFormation(template: unknown, options: { body?: string; pageSize?: number; physicalId?: (id: string, type: string) => string | undefined } = {}) {
  const calls: string[] = [];
  const resources: StackResourceSummary[] = Object.entries((template as Template_).Resources).map(([id, r]) => ({
    LogicalResourceId: id,
    ResourceType: r.Type,
    ResourceStatus: 'CREATE_COMPLETE',
    PhysicalResourceId: options.physicalId ? options.physicalId(id, r.Type) : r.Type === 'AWS::SQS::Queue' ? queueUrl(id) : `${id}-physical`,
  }));
  const pageSize = options.pageSize ?? 7;
  const missing = (name: string | undefined) => Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
  const cfn: CloudFormationApi = {
    async describeStacks({ StackName }) {
      calls.push('describeStacks');
      if (StackName !== STACK) throw missing(StackName);
      return { Stacks: [{ StackName, StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0f1e2d3c` }] };
    },
    async listStacks({ NextToken }) {
      calls.push('listStacks');
      return NextToken
        ? { StackSummaries: [{ StackName: 'Old', StackStatus: 'DELETE_COMPLETE' }, { StackName: 'Billing', StackStatus: 'UPDATE_COMPLETE' }] }
        : { StackSummaries: [{ StackName: STACK, StackStatus: 'CREATE_COMPLETE' }], NextToken: 'page-2' };
    },
    async listStackResources({ StackName, NextToken }) {
      calls.push('listStackResources');
      if (StackName !== STACK) throw missing(StackName);
      const start = Number(NextToken ?? 0);
      const next = start + pageSize;
      return { StackResourceSummaries: resources.slice(start, next), NextToken: next < resources.length ? String(next) : undefined };
    },
    async getTemplate({ StackName }) {
      calls.push('getTemplate');
      if (StackName !== STACK) throw missing(StackName);
      return { TemplateBody: options.body ?? JSON.stringify(template) };
    },
  };
  return { cfn, calls };
}

/** Logical ID of the resource whose construct path is `path`. */
function logicalIdAt(path: string): string {
  const found = Object.entries(TEMPLATE.Resources).find(([, r]) => r.Metadata?.['aws:cdk:path'] === path);
  if (!found) throw new Error(`no resource at ${path}`);
  return found[0];
}

function expected(endpoint: string, processor: string, foundBy: 'cdk-path' | 'verifier-config') {
  const queue = logicalIdAt(`${STACK}/${endpoint}/${processor}/Queue/Resource`);
  const dlq = logicalIdAt(`${STACK}/${endpoint}/${processor}/DeadLetterQueue/Resource`);
  return {
    stackName: STACK,
    endpoint: `${STACK}/${endpoint}`,
    processor,
    queue: { logicalId: queue, url: queueUrl(queue), arn: queueArn(queue) },
    deadLetterQueue: { logicalId: dlq, url: queueUrl(dlq), arn: queueArn(dlq) },
    foundBy,
  };
}

/** The template with something taken out of every resource. */
function without(change: (resource: Template_['Resources'][string]) => void): Template_ {
  const copy = JSON.parse(JSON.stringify(TEMPLATE)) as Template_;
  for (const resource of Object.values(copy.Resources)) change(resource);
  return copy;
}

describe('discoverProcessors (stubbed CloudFormation, the construct\'s synthesized template)', () => {
  test('finds every processor of every endpoint: queue and DLQ URLs from the stack, ARNs in the stack\'s account and Region', async () => {
    const { cfn } = fakeCloudFormation(TEMPLATE);

    const found = await discoverProcessors(cfn, { stackName: STACK });

    expect(found).toEqual([
      expected('GitHub', 'fulfilment', 'cdk-path'),
      expected('Stripe', 'fulfilment', 'cdk-path'),
      expected('Stripe', 'orders-write', 'cdk-path'),
    ]);
  });

  test('the DLQ is the one the queue\'s redrive policy names', async () => {
    const [first] = await discoverProcessors(fakeCloudFormation(TEMPLATE).cfn, { stackName: STACK });
    const policy = TEMPLATE.Resources[first.queue.logicalId].Properties!.RedrivePolicy;
    expect(policy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [first.deadLetterQueue.logicalId, 'Arn'] });
  });

  test('selects one processor by name (hyphens and all), or by <endpoint>/<name>', async () => {
    const { cfn } = fakeCloudFormation(TEMPLATE);
    expect(await discoverProcessors(cfn, { stackName: STACK, processor: 'orders-write' })).toEqual([expected('Stripe', 'orders-write', 'cdk-path')]);
    expect(await discoverProcessors(cfn, { stackName: STACK, processor: 'Stripe/fulfilment' })).toEqual([expected('Stripe', 'fulfilment', 'cdk-path')]);
    expect(await discoverProcessors(cfn, { stackName: STACK, processor: `${STACK}/GitHub/fulfilment` })).toEqual([expected('GitHub', 'fulfilment', 'cdk-path')]);
  });

  test('a name two endpoints use is ambiguous; an unknown one lists the processors that exist', async () => {
    const { cfn } = fakeCloudFormation(TEMPLATE);

    const ambiguous = discoverProcessors(cfn, { stackName: STACK, processor: 'fulfilment' });
    await expect(ambiguous).rejects.toBeInstanceOf(AmbiguousProcessorError);
    await expect(ambiguous).rejects.toThrow('"fulfilment" names more than one processor in stack "Webhooks": Webhooks/GitHub/fulfilment, Webhooks/Stripe/fulfilment. Give it as <endpoint>/<processor>.');

    const unknown = discoverProcessors(cfn, { stackName: STACK, processor: 'billing' });
    await expect(unknown).rejects.toBeInstanceOf(ProcessorNotFoundError);
    await expect(unknown).rejects.toThrow('stack "Webhooks" has no processor "billing". Processors: Webhooks/GitHub/fulfilment, Webhooks/Stripe/fulfilment, orders-write.');
    await expect(discoverProcessors(cfn, { stackName: STACK, processor: 'Write' })).rejects.toBeInstanceOf(ProcessorNotFoundError);
  });

  test('without path metadata (cdk deploy --no-path-metadata) the verifier\'s routing names the processors', async () => {
    const bare = without((r) => delete r.Metadata);

    const found = await discoverProcessors(fakeCloudFormation(bare).cfn, { stackName: STACK });

    expect(found).toEqual([
      expected('GitHub', 'fulfilment', 'verifier-config'),
      expected('Stripe', 'fulfilment', 'verifier-config'),
      expected('Stripe', 'orders-write', 'verifier-config'),
    ]);
  });

  test('with path metadata, an unreadable verifier configuration does not matter', async () => {
    const noConfig = without((r) => delete r.Properties?.Environment?.Variables?.[ENV.VERIFIER_CONFIG]);
    const found = await discoverProcessors(fakeCloudFormation(noConfig).cfn, { stackName: STACK });
    expect(found.map((p) => [p.processor, p.foundBy])).toEqual([['fulfilment', 'cdk-path'], ['fulfilment', 'cdk-path'], ['orders-write', 'cdk-path']]);
  });

  test('an unknown stack: a typed error listing the stacks that exist (not the deleted ones)', async () => {
    const { cfn } = fakeCloudFormation(TEMPLATE);

    const attempt = discoverProcessors(cfn, { stackName: 'Webhook' });

    await expect(attempt).rejects.toBeInstanceOf(StackNotFoundError);
    await expect(attempt).rejects.toThrow('stack "Webhook" does not exist in this account and Region. Stacks here: Billing, Webhooks.');
  });

  test('a stack without an endpoint: a typed error listing its queues and nested stacks', async () => {
    const other = {
      Resources: {
        Jobs: { Type: 'AWS::SQS::Queue', Properties: {} },
        // A FIFO pair that is nobody's processor: no path metadata, no verifier routes to it.
        OrdersFifo: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['OrdersDlq', 'Arn'] }, maxReceiveCount: 3 } } },
        OrdersDlq: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Hooks: { Type: 'AWS::CloudFormation::Stack', Properties: {} },
      },
    };

    const attempt = discoverProcessors(fakeCloudFormation(other).cfn, { stackName: STACK });

    await expect(attempt).rejects.toBeInstanceOf(NoEndpointError);
    await expect(attempt).rejects.toThrow(/Its SQS queues: Jobs, OrdersFifo, OrdersDlq\. It has nested stacks, which are searched only when named: Hooks\./);
  });

  test('a template that is not JSON, or a queue without a URL yet: typed errors that say so', async () => {
    await expect(discoverProcessors(fakeCloudFormation(TEMPLATE, { body: 'Resources:\n  Q: {}' }).cfn, { stackName: STACK })).rejects.toThrow(StackReadError);
    const creating = fakeCloudFormation(TEMPLATE, { physicalId: (id, type) => (type === 'AWS::SQS::Queue' && id.includes('GitHub') ? undefined : queueUrl(id)) });
    await expect(discoverProcessors(creating.cfn, { stackName: STACK })).rejects.toThrow(/queue GitHubfulfilment\w+ of processor "fulfilment" in stack "Webhooks" has no queue URL \(resource status: CREATE_COMPLETE\)/);
  });

  test('reads every page of the stack\'s resources', async () => {
    const { cfn, calls } = fakeCloudFormation(TEMPLATE, { pageSize: 3 });
    const pages = Math.ceil(Object.keys(TEMPLATE.Resources).length / 3);

    await discoverProcessors(cfn, { stackName: STACK });

    expect(calls.filter((c) => c === 'listStackResources')).toHaveLength(pages);
    expect(pages).toBeGreaterThan(5);
  });
});
