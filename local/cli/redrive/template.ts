/**
 * Which queues of a synthesized (deployed) template belong to which processor.
 *
 * A processor (lib/processor.ts) is a construct named after the processor, under its endpoint, with
 * two children: `Queue` (FIFO, its RedrivePolicy targets the other) and `DeadLetterQueue` (FIFO).
 * Logical IDs alone cannot name the processor: they concatenate the path without its hyphens and
 * add a hash (`StripeordersWriteQueueAB12CD34` could be endpoint `Stripe` + processor `orders-write`
 * or `Stripeorders` + `Write`). Two exact sources do:
 *
 * 1. the `aws:cdk:path` metadata (`<stack>/<endpoint…>/<processor>/Queue/Resource`), which the CDK
 *    CLI writes unless `--no-path-metadata` is given;
 * 2. the verifier's routing configuration (`HW_VERIFIER_CONFIG`), which lists each processor's
 *    name and its queue URL (a `Ref` to the queue) and the endpoint's construct path.
 *
 * Either alone is enough; the path is preferred because it names the construct directly. Whichever
 * is used, the dead-letter queue is the one the queue's RedrivePolicy points at: where SQS really
 * moves failed messages.
 */
import { ENV, type VerifierConfig } from '../../../lambda/shared/contract';

export interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface StackTemplate {
  readonly Resources?: Record<string, TemplateResource>;
}

/** A processor's queues as the template names them. */
export interface ProcessorQueuePair {
  readonly endpoint: string;
  readonly processor: string;
  readonly queueLogicalId: string;
  readonly deadLetterQueueLogicalId: string;
  readonly foundBy: 'cdk-path' | 'verifier-config';
}

interface ProcessorIdentity {
  readonly endpoint: string;
  readonly processor: string;
}

const QUEUE_TYPE = 'AWS::SQS::Queue';
const PATH_METADATA = 'aws:cdk:path';
/** `<endpoint path>/<processor>/Queue/Resource`; construct IDs never contain `/`. */
const QUEUE_PATH = /^(.+)\/([^/]+)\/Queue\/Resource$/;

/** Every processor's queue pair in the template, ordered by endpoint and processor. */
export function findProcessorQueues(template: StackTemplate): ProcessorQueuePair[] {
  const resources = template.Resources ?? {};
  const routes = verifierRoutes(resources);
  const pairs: ProcessorQueuePair[] = [];
  for (const [queueId, queue] of Object.entries(resources)) {
    const dlqId = fifoDeadLetterQueueOf(queue, resources);
    if (dlqId === undefined) continue;
    const byPath = pathIdentity(queue, resources[dlqId]);
    const byRoute = routes.get(queueId);
    const identity = byPath ?? byRoute;
    if (identity === undefined) continue;
    pairs.push({ ...identity, queueLogicalId: queueId, deadLetterQueueLogicalId: dlqId, foundBy: byPath ? 'cdk-path' : 'verifier-config' });
  }
  return pairs.sort((a, b) => `${a.endpoint}/${a.processor}`.localeCompare(`${b.endpoint}/${b.processor}`));
}

/** The logical ID of a FIFO queue's FIFO dead-letter queue, when the RedrivePolicy names one of this template. */
function fifoDeadLetterQueueOf(queue: TemplateResource, resources: Record<string, TemplateResource>): string | undefined {
  if (queue.Type !== QUEUE_TYPE || !isFifo(queue)) return undefined;
  const policy = queue.Properties?.RedrivePolicy;
  const target = typeof policy === 'object' && policy !== null ? (policy as Record<string, unknown>).deadLetterTargetArn : undefined;
  const dlqId = getAttArnOf(target);
  const dlq = dlqId === undefined ? undefined : resources[dlqId];
  return dlq?.Type === QUEUE_TYPE && isFifo(dlq) ? dlqId : undefined;
}

function isFifo(queue: TemplateResource): boolean {
  const fifo = queue.Properties?.FifoQueue;
  return fifo === true || fifo === 'true';
}

/** `X` of `{ "Fn::GetAtt": ["X", "Arn"] }` (or the short string form `"X.Arn"`). */
function getAttArnOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2 && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  return undefined;
}

/** Endpoint and processor from the two queues' construct paths, when they are siblings `Queue` and `DeadLetterQueue`. */
function pathIdentity(queue: TemplateResource, dlq: TemplateResource | undefined): ProcessorIdentity | undefined {
  const match = QUEUE_PATH.exec(cdkPath(queue) ?? '');
  if (!match || cdkPath(dlq) !== `${match[1]}/${match[2]}/DeadLetterQueue/Resource`) return undefined;
  // The first segment is the stack's construct ID, part of the endpoint's path as the construct records it.
  return { endpoint: match[1], processor: match[2] };
}

function cdkPath(resource: TemplateResource | undefined): string | undefined {
  const path = resource?.Metadata?.[PATH_METADATA];
  return typeof path === 'string' ? path : undefined;
}

/** Queue logical ID → processor, from every verifier function's configuration in the template. */
function verifierRoutes(resources: Record<string, TemplateResource>): Map<string, ProcessorIdentity> {
  const routes = new Map<string, ProcessorIdentity>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const config = verifierConfigOf(resource);
    if (config === undefined) continue;
    for (const route of config.processors) {
      const queueId = typeof route.queueUrl === 'string' ? REF_PLACEHOLDER.exec(route.queueUrl)?.[1] : undefined;
      if (queueId !== undefined && typeof route.name === 'string') routes.set(queueId, { endpoint: config.endpointName, processor: route.name });
    }
  }
  return routes;
}

/** A `Ref` inside the configuration's JSON text, replaced by something JSON-safe that names it. */
const REF_PLACEHOLDER = /^\{\{ref:([A-Za-z0-9]+)\}\}$/;

/**
 * The verifier configuration, with each `Ref` left as a placeholder. The construct writes it as an
 * `Fn::Join` of JSON text and tokens (the queue URLs, table name, secret ARN), all inside JSON
 * strings; replacing each token by a plain string yields JSON that parses.
 */
export function verifierConfigOf(resource: TemplateResource): VerifierConfig | undefined {
  const environment = resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  const raw = environment?.Variables?.[ENV.VERIFIER_CONFIG];
  const text = raw === undefined ? undefined : flatten(raw);
  if (text === undefined) return undefined;
  try {
    const config = JSON.parse(text) as Partial<VerifierConfig>;
    return typeof config.endpointName === 'string' && Array.isArray(config.processors) ? (config as VerifierConfig) : undefined;
  } catch {
    // Not a configuration this version understands: the path metadata may still identify the processors.
    return undefined;
  }
}

function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return `{{ref:${intrinsic.Ref.replace(/[^A-Za-z0-9]/g, '')}}}`;
  const join = intrinsic['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(flatten);
    return parts.every((part): part is string => part !== undefined) ? parts.join(join[0]) : undefined;
  }
  // Any other intrinsic (GetAtt, Sub, …) stands for a value the routing does not need.
  return '{{intrinsic}}';
}
