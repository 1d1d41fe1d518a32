import {
  AmbiguousProcessorError, describeError, NoEndpointError, ProcessorNotFoundError, StackNotFoundError, StackReadError,
} from './errors';
import { findProcessorQueues, type ProcessorQueuePair, type StackTemplate } from './template';

/**
 * The CloudFormation calls discovery makes, in the shape of the aggregated client of
 * `@aws-sdk/client-cloudformation` (`new CloudFormation({ region })` fits as it is). Declared here
 * so that this module needs no CloudFormation package at compile time and tests can pass a fake.
 */
export interface CloudFormationApi {
  describeStacks(input: { StackName?: string }): Promise<{ Stacks?: readonly StackDescription[] }>;
  listStacks(input: { NextToken?: string }): Promise<{ StackSummaries?: readonly StackSummary[]; NextToken?: string }>;
  listStackResources(input: { StackName: string; NextToken?: string }): Promise<{ StackResourceSummaries?: readonly StackResourceSummary[]; NextToken?: string }>;
  getTemplate(input: { StackName: string }): Promise<{ TemplateBody?: string }>;
}

export interface StackDescription {
  StackId?: string;
  StackName?: string;
}

export interface StackSummary {
  StackName?: string;
  StackStatus?: string;
}

export interface StackResourceSummary {
  LogicalResourceId?: string;
  PhysicalResourceId?: string;
  ResourceType?: string;
  ResourceStatus?: string;
}

/** One queue of a processor. */
export interface QueueRef {
  readonly logicalId: string;
  readonly url: string;
  readonly arn: string;
}

/** A processor of a HardenedWebhookEndpoint in a deployed stack, with its two queues. */
export interface ProcessorQueues {
  readonly stackName: string;
  /** The endpoint's construct path, e.g. `MyStack/Webhooks`: processor names are unique per endpoint only. */
  readonly endpoint: string;
  /** The processor's name (`addProcessor({ name })`). */
  readonly processor: string;
  /** The FIFO queue the verifier sends to: the redrive destination. */
  readonly queue: QueueRef;
  /** Its FIFO dead-letter queue: the redrive source. */
  readonly deadLetterQueue: QueueRef;
  /** What identified the processor: the resources' `aws:cdk:path` metadata, or the verifier's routing configuration. */
  readonly foundBy: 'cdk-path' | 'verifier-config';
}

export interface DiscoverOptions {
  readonly stackName: string;
  /**
   * A processor name, or `<endpoint>/<processor>` where the endpoint is its construct ID or any
   * trailing part of its construct path (needed when two endpoints of the stack have a processor of
   * that name). @default - every processor of the stack
   */
  readonly processor?: string;
}

/** Pages of ListStacks read to name the existing stacks in an error: enough for a useful hint, bounded for big accounts. */
const MAX_STACK_LIST_PAGES = 5;

/**
 * Finds the processors of every HardenedWebhookEndpoint in a deployed stack and their queues, from
 * the stack's resources (physical IDs: queue URLs) and its template (which queue is which). Throws
 * {@link StackNotFoundError}, {@link NoEndpointError}, {@link ProcessorNotFoundError} or
 * {@link AmbiguousProcessorError}, each listing what does exist.
 */
export async function discoverProcessors(cfn: CloudFormationApi, options: DiscoverOptions): Promise<ProcessorQueues[]> {
  const { stackName } = options;
  const stackId = await describeStack(cfn, stackName);
  const [resources, template] = await Promise.all([listResources(cfn, stackName), readTemplate(cfn, stackName)]);
  const pairs = findProcessorQueues(template);
  if (pairs.length === 0) throw noEndpoint(stackName, resources);
  const arnPrefix = sqsArnPrefix(stackId);
  const found = pairs.map((pair) => resolvePair(stackName, pair, resources, arnPrefix));
  return options.processor === undefined ? found : [selectProcessor(stackName, found, options.processor)];
}

/** The stack's ID (its ARN). CloudFormation answers a ValidationError "… does not exist" for an unknown name. */
async function describeStack(cfn: CloudFormationApi, stackName: string): Promise<string> {
  let stacks: readonly StackDescription[] | undefined;
  try {
    stacks = (await cfn.describeStacks({ StackName: stackName })).Stacks;
  } catch (error) {
    if (isStackMissing(error)) throw new StackNotFoundError(stackName, await existingStacks(cfn), { cause: error });
    throw new StackReadError(`cannot describe stack "${stackName}": ${describeError(error)}`, { cause: error });
  }
  const stackId = stacks?.[0]?.StackId;
  if (stackId === undefined) throw new StackNotFoundError(stackName, await existingStacks(cfn));
  return stackId;
}

function isStackMissing(error: unknown): boolean {
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name === 'ValidationError' && typeof message === 'string' && /does not exist/i.test(message);
}

/** Names of the stacks that exist, for the "unknown stack" message; undefined when they cannot be listed. */
async function existingStacks(cfn: CloudFormationApi): Promise<string[] | undefined> {
  const names: string[] = [];
  let token: string | undefined;
  try {
    for (let page = 0; page < MAX_STACK_LIST_PAGES; page++) {
      const result = await cfn.listStacks({ NextToken: token });
      for (const summary of result.StackSummaries ?? []) {
        // Deleted stacks stay listed for 90 days; they are not what anyone can redrive from.
        if (summary.StackName && summary.StackStatus !== 'DELETE_COMPLETE') names.push(summary.StackName);
      }
      token = result.NextToken;
      if (!token) break;
    }
  } catch {
    return undefined;
  }
  return [...new Set(names)].sort();
}

/** Every resource of a deployed stack, page by page. */
export async function listResources(cfn: CloudFormationApi, stackName: string): Promise<StackResourceSummary[]> {
  const resources: StackResourceSummary[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await cfn.listStackResources({ StackName: stackName, NextToken: token });
      resources.push(...(page.StackResourceSummaries ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw new StackReadError(`cannot list the resources of stack "${stackName}": ${describeError(error)}`, { cause: error });
  }
  return resources;
}

/** The deployed template. CDK writes JSON; a YAML template was not written by the construct. */
export async function readTemplate(cfn: CloudFormationApi, stackName: string): Promise<StackTemplate> {
  let body: string | undefined;
  try {
    body = (await cfn.getTemplate({ StackName: stackName })).TemplateBody;
  } catch (error) {
    throw new StackReadError(`cannot read the template of stack "${stackName}": ${describeError(error)}`, { cause: error });
  }
  try {
    const template = JSON.parse(body ?? '') as unknown;
    if (typeof template === 'object' && template !== null) return template as StackTemplate;
  } catch {
    // Reported below, with the same message as a non-object.
  }
  throw new StackReadError(`the template of stack "${stackName}" is not a JSON object, so it was not synthesized by the CDK`);
}

function noEndpoint(stackName: string, resources: readonly StackResourceSummary[]): NoEndpointError {
  const ofType = (type: string) => resources.filter((r) => r.ResourceType === type).map((r) => r.LogicalResourceId ?? '?');
  return new NoEndpointError(stackName, ofType('AWS::SQS::Queue'), ofType('AWS::CloudFormation::Stack'));
}

/**
 * `arn:<partition>:sqs:<region>:<account>:` of the stack: CloudFormation creates a stack's queues in
 * the stack's own account and Region, so the stack ARN says where they are (and which partition).
 */
function sqsArnPrefix(stackId: string): string {
  const match = /^arn:([^:]+):cloudformation:([^:]+):([^:]+):stack\//.exec(stackId);
  if (!match) throw new StackReadError(`unexpected stack ID "${stackId}": not a CloudFormation stack ARN`);
  return `arn:${match[1]}:sqs:${match[2]}:${match[3]}:`;
}

function resolvePair(stackName: string, pair: ProcessorQueuePair, resources: readonly StackResourceSummary[], arnPrefix: string): ProcessorQueues {
  const queueRef = (logicalId: string): QueueRef => {
    const resource = resources.find((r) => r.LogicalResourceId === logicalId);
    const url = resource?.PhysicalResourceId;
    // A queue being created, or one whose creation failed, has no URL yet: nothing to redrive.
    if (!url || !/^https?:\/\//.test(url)) {
      throw new StackReadError(
        `queue ${logicalId} of processor "${pair.processor}" in stack "${stackName}" has no queue URL `
          + `(resource status: ${resource?.ResourceStatus ?? 'not in the stack'})`,
      );
    }
    const name = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
    return { logicalId, url, arn: `${arnPrefix}${name}` };
  };
  return {
    stackName,
    endpoint: pair.endpoint,
    processor: pair.processor,
    queue: queueRef(pair.queueLogicalId),
    deadLetterQueue: queueRef(pair.deadLetterQueueLogicalId),
    foundBy: pair.foundBy,
  };
}

/** The processor `selector` names: by name, or by `<endpoint>/<name>` with any trailing part of the endpoint's path. */
function selectProcessor(stackName: string, found: readonly ProcessorQueues[], selector: string): ProcessorQueues {
  const qualified = (p: ProcessorQueues) => `${p.endpoint}/${p.processor}`;
  const matches = found.filter((p) => p.processor === selector || qualified(p) === selector || qualified(p).endsWith(`/${selector}`));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new AmbiguousProcessorError(stackName, selector, matches.map(qualified));
  throw new ProcessorNotFoundError(stackName, selector, found.map((p) => (found.filter((q) => q.processor === p.processor).length > 1 ? qualified(p) : p.processor)));
}
