/**
 * Which event bucket, and which processors, an endpoint of a deployed stack has.
 *
 * The stack is found, and its processors' queues, as `redrive` finds them (its discovery is reused,
 * with its messages for an unknown stack or processor). The bucket comes from the same two exact
 * sources redrive reads (see ../redrive/template.ts):
 *
 * 1. the verifier's configuration (`HW_VERIFIER_CONFIG`): `eventBucket` is a `Ref` to the bucket,
 *    and `processors` names each processor with its event types — what replay needs to skip the
 *    events a processor is not subscribed to;
 * 2. the bucket's `aws:cdk:path` metadata, `<endpoint path>/EventBucket/Resource`.
 *
 * The configuration is preferred: it is the bucket the verifier really writes to.
 */
import type { ProcessorRoute, VerifierConfig } from '../../../lambda/shared/contract';
import {
  discoverProcessors, listing, NoEndpointError, type CloudFormationApi, type ProcessorQueues, type StackResourceSummary,
} from '../redrive';
import { listResources, readTemplate } from '../redrive/discover';
import { verifierConfigOf, type StackTemplate, type TemplateResource } from '../redrive/template';
import { EndpointSelectionError, EventBucketNotFoundError, RoutingUnknownError } from './errors';

/** A processor as the endpoint's verifier routes events to it. */
export type ProcessorRouting = Pick<ProcessorRoute, 'name' | 'eventTypes'>;

/** An endpoint of a deployed stack that has an event bucket. */
export interface ArchiveEndpoint {
  readonly stackName: string;
  /** The endpoint's construct path, e.g. `Payments/Stripe`. */
  readonly endpoint: string;
  /** The event bucket's name. */
  readonly bucket: string;
  /** The verifier's routing; undefined when its configuration could not be read from the template. */
  readonly routes?: readonly ProcessorRouting[];
  /** Whether the verifier archives every verified event (its configuration has `archive`); undefined when unknown. */
  readonly archived?: boolean;
  readonly foundBy: 'verifier-config' | 'cdk-path';
}

/** What one reading of the stack yields: its processors' queues and its endpoints' buckets. */
export interface StackArchives {
  readonly processors: readonly ProcessorQueues[];
  readonly endpoints: readonly ArchiveEndpoint[];
}

const BUCKET_TYPE = 'AWS::S3::Bucket';
const PATH_METADATA = 'aws:cdk:path';
/** `<endpoint path>/EventBucket/Resource`; construct IDs never contain `/`. */
const BUCKET_PATH = /^(.+)\/EventBucket\/Resource$/;
/** A `Ref` inside the configuration's JSON text, as {@link flatten} writes it. */
const REF_PLACEHOLDER = /^\{\{ref:([A-Za-z0-9]+)\}\}$/;

/**
 * Reads the stack: its processors (redrive's discovery; none is not an error here, an endpoint
 * may archive without any) and every endpoint with an event bucket.
 */
export async function readStackArchives(cfn: CloudFormationApi, stackName: string, processor?: string): Promise<StackArchives> {
  const processors = await discoverProcessors(cfn, { stackName, processor }).catch((error: unknown) => {
    if (error instanceof NoEndpointError && processor === undefined) return [];
    throw error;
  });
  const [template, resources] = await Promise.all([readTemplate(cfn, stackName), listResources(cfn, stackName)]);
  return { processors, endpoints: findEndpoints(stackName, template, resources) };
}

/**
 * The endpoint a selector names: its construct path or any trailing part of it (`Stripe`,
 * `Payments/Stripe`). Without a selector, the stack must have exactly one endpoint with a bucket.
 */
export function selectEndpoint(stackName: string, endpoints: readonly ArchiveEndpoint[], selector: string | undefined): ArchiveEndpoint {
  if (endpoints.length === 0) {
    throw new EventBucketNotFoundError(`stack "${stackName}" has no HardenedWebhookEndpoint with an event bucket (an endpoint has one when its archive is on or its maxBodySize can exceed what a message holds)`);
  }
  if (selector === undefined) {
    if (endpoints.length === 1) return endpoints[0];
    throw new EndpointSelectionError(`stack "${stackName}" has ${endpoints.length} endpoints with an event bucket: name one with --endpoint (${listing(endpoints.map((e) => e.endpoint))})`);
  }
  const matches = endpoints.filter((e) => e.endpoint === selector || e.endpoint.endsWith(`/${selector}`));
  if (matches.length === 1) return matches[0];
  const problem = matches.length === 0 ? `names no endpoint with an event bucket in stack "${stackName}"` : 'names more than one endpoint: give more of its construct path';
  throw new EndpointSelectionError(`--endpoint ${JSON.stringify(selector)} ${problem}. Endpoints: ${listing((matches.length === 0 ? endpoints : matches).map((e) => e.endpoint))}`);
}

/** The endpoint of a processor redrive's discovery found, with its routing known (replay needs its event types). */
export function endpointOfProcessor(stackName: string, endpoints: readonly ArchiveEndpoint[], target: ProcessorQueues): ArchiveEndpoint & { readonly route: ProcessorRouting } {
  const endpoint = endpoints.find((e) => e.endpoint === target.endpoint);
  if (endpoint === undefined) {
    throw new EventBucketNotFoundError(`endpoint ${target.endpoint} of stack "${stackName}" has no event bucket, so it keeps no archive to replay from`);
  }
  const route = endpoint.routes?.find((r) => r.name === target.processor);
  if (route === undefined) {
    throw new RoutingUnknownError(`the verifier configuration of endpoint ${target.endpoint} in stack "${stackName}" `
      + `${endpoint.routes === undefined ? 'cannot be read from the template' : `does not route to processor "${target.processor}"`}: `
      + 'without its event types, replay cannot tell which archived events the processor is subscribed to');
  }
  return { ...endpoint, route };
}

/**
 * Every endpoint of the template with an event bucket whose physical name the stack knows, with
 * its verifier's routing when the configuration is readable (also when only the path names the bucket).
 */
export function findEndpoints(stackName: string, template: StackTemplate, resources: readonly StackResourceSummary[]): ArchiveEndpoint[] {
  const templateResources = template.Resources ?? {};
  const physicalId = (logicalId: string) => resources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId || undefined;
  const configs = new Map(verifierConfigs(templateResources).map((config) => [config.endpointName, config]));
  const buckets = new Map<string, { bucket: string; foundBy: ArchiveEndpoint['foundBy'] }>();
  for (const config of configs.values()) {
    const bucket = bucketName(config.eventBucket, physicalId);
    if (bucket !== undefined) buckets.set(config.endpointName, { bucket, foundBy: 'verifier-config' });
  }
  for (const [logicalId, resource] of Object.entries(templateResources)) {
    const endpoint = resource.Type === BUCKET_TYPE ? BUCKET_PATH.exec(cdkPath(resource) ?? '')?.[1] : undefined;
    const bucket = endpoint === undefined ? undefined : physicalId(logicalId);
    if (endpoint !== undefined && bucket !== undefined && !buckets.has(endpoint)) buckets.set(endpoint, { bucket, foundBy: 'cdk-path' });
  }
  return [...buckets].map(([endpoint, { bucket, foundBy }]) => {
    const config = configs.get(endpoint);
    return {
      stackName, endpoint, bucket, foundBy,
      ...(config === undefined ? {} : { routes: routesOf(config), archived: config.archive !== undefined }),
    };
  }).sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}

/** The bucket the configuration names: a `Ref` resolved to the stack's bucket, or a literal name. */
function bucketName(value: unknown, physicalId: (logicalId: string) => string | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ref = REF_PLACEHOLDER.exec(value)?.[1];
  if (ref !== undefined) return physicalId(ref);
  return value.includes('{{') ? undefined : value;
}

/** The routing, when every entry is well formed; a half-understood routing would skip the wrong events. */
function routesOf(config: VerifierConfig): ProcessorRouting[] | undefined {
  const routes: ProcessorRouting[] = [];
  for (const route of config.processors as readonly unknown[]) {
    const { name, eventTypes } = (route ?? {}) as { name?: unknown; eventTypes?: unknown };
    if (typeof name !== 'string' || !Array.isArray(eventTypes) || !eventTypes.every((t): t is string => typeof t === 'string')) return undefined;
    routes.push({ name, eventTypes });
  }
  return routes;
}

function cdkPath(resource: TemplateResource | undefined): string | undefined {
  const path = resource?.Metadata?.[PATH_METADATA];
  return typeof path === 'string' ? path : undefined;
}

function verifierConfigs(resources: Record<string, TemplateResource>): VerifierConfig[] {
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map(verifierConfigOf)
    .filter((config): config is VerifierConfig => config !== undefined);
}

