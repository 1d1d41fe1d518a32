import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FileSystem, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV, type VerifierConfig } from '../lambda/shared/contract';
import { RestApiEmulator, resourceIdFor, type GatewayResponseDefinition, type RestApiRoute } from './api-gateway';
import { AwsProxy } from './aws-proxy';
import { LambdaFunctionHost, SandboxClock, type FunctionCode, type FunctionDefinition, type LambdaHandler, type LogEntry } from './lambda';
import { EmulatorUnavailableError } from './moto';
import { createTemplateResources, physicalName, type EmulatorClients, type LocalQueue, type LocalResources, type LocalTable } from './resources';
import { SqsEventSourcePoller, type PollerOptions } from './sqs-poller';
import {
  TemplateResolver, UnsupportedTemplateError, pointsAt, referencedLogicalIds, resourcesOfType, type CfnResource, type CfnTemplate,
} from './template';

/** A processor's SQS handler, as `webhookProcessor(...)` returns it. */
export type ProcessorHandler = LambdaHandler<SQSEvent, SQSBatchResponse | void>;

/** What a processor factory gets once the emulated resources exist. */
export interface ProcessorContext {
  /** The processor's name (`addProcessor({ name })`). */
  readonly name: string;
  /** The idempotency table's emulated name (`HW_TABLE_NAME`). */
  readonly tableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  /** The processor function's environment from the template, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** A DynamoDB client whose calls go through the proxy as `processor:<name>#<environment>` (cut off when that execution environment is stopped). */
  readonly dynamoDbClient: DynamoDBClient;
  /** Endpoint, region and credentials for more clients counted as this processor. */
  readonly clientConfig: AwsClientConfig;
}

/**
 * How the harness runs a processor function:
 * - a handler function (called in-process for every batch);
 * - `{ create }`: a factory called for each execution environment, once the emulated resources exist (to pass the table name and a
 *   client to `webhookProcessor`);
 * - `{ bundle }`: a built bundle, run like the Lambda runtime would (fresh module per execution
 *   environment, the template's environment variables).
 */
export type ProcessorImplementation =
  | ProcessorHandler
  | { readonly create: (context: ProcessorContext) => ProcessorHandler }
  | { readonly bundle: string; readonly exportName?: string };

/** SDK client settings that route through the harness proxy. */
export interface AwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** The stack to run; its template is synthesized with `Template.fromStack`. Give this or `template`. */
  readonly stack?: Stack;
  /** A synthesized template (e.g. read from cdk.out). Give this or `stack`. */
  readonly template?: CfnTemplate;
  /** @default - the stack's name, else 'LocalStack' */
  readonly stackName?: string;
  /**
   * Which endpoint to serve when the template has several: its construct path (the verifier's
   * `endpointName`, e.g. `MyStack/Stripe`). @default - the only endpoint in the template
   */
  readonly endpoint?: string;
  /**
   * Processor implementations by processor name (`addProcessor({ name })`). A processor whose
   * function is a bundle found by its asset hash runs from that bundle when not given here;
   * otherwise its queue is not polled.
   */
  readonly processors?: Readonly<Record<string, ProcessorImplementation>>;
  /** The AWS emulator. @default - `HW_MOTO_ENDPOINT` (set by the jest global set-up) */
  readonly emulatorEndpoint?: string;
  /** Prefix of every created resource name. @default - a unique `hw-<random>` */
  readonly namePrefix?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Folders searched for function bundles, matched to the template by asset hash.
   * @default - the library's `assets/` folder
   */
  readonly assetDirectories?: readonly string[];
  /** The verifier function. */
  readonly verifier?: {
    /** Replace the bundle with an in-process handler (e.g. to inspect the events). @default - the bundle the template deploys */
    readonly implementation?: LambdaHandler;
    /** Override the template's Timeout, in milliseconds. @default - the template's */
    readonly timeoutMs?: number;
  };
  /** Test knobs of the SQS pollers. */
  readonly poller?: PollerOptions;
  /** Override processor functions' Timeout, in milliseconds. @default - the template's (Lambda's default: 3 s) */
  readonly processorTimeoutMs?: number;
  /**
   * Emulate SQS FIFO deduplication (5-minute window, DeduplicationScope) in the proxy, which moto
   * does not do faithfully. @default true
   */
  readonly sqsDeduplication?: boolean;
  /** The emulated deduplication window, e.g. short to test what happens once it has passed. @default 300000 (5 minutes, as SQS) */
  readonly sqsDeduplicationWindowMs?: number;
  /** `AWS_MAX_ATTEMPTS` for hosted functions' SDK clients. @default - the SDK's default (3) */
  readonly sdkMaxAttempts?: number;
  /** Enforce the stage's throttling (token bucket: rate and burst from the template). @default false */
  readonly enforceThrottling?: boolean;
  /** Seed for fractional faults. @default 1 */
  readonly seed?: number;
  /** Receives every log line of hosted functions. @default - kept in `harness.logs` (the last 5,000–10,000) */
  readonly onLog?: (entry: LogEntry) => void;
  /** Keep the created resources on stop. @default false */
  readonly keepResources?: boolean;
  /** Port of the HTTP server. @default 0 (a free port) */
  readonly port?: number;
}

/** A request to send to the local endpoint. */
export interface HarnessRequest {
  readonly body?: string | Buffer;
  /** Header values; an array sends the header once per value. Pairs keep order and case exactly. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | ReadonlyArray<readonly [string, string]>;
  /** Query string: a map (arrays repeat the name) or a raw `a=1&b=2`. */
  readonly query?: Readonly<Record<string, string | readonly string[]>> | string;
  /** Resource path on the stage. @default - the endpoint's path, e.g. '/webhook' */
  readonly path?: string;
  /** @default 'POST' */
  readonly method?: string;
}

/** The HTTP response of the local endpoint. */
export interface HarnessResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One processor of the endpoint, as the harness runs it. */
export interface HarnessProcessor {
  readonly name: string;
  readonly queue: LocalQueue;
  readonly deadLetterQueue?: LocalQueue;
  /** Absent when no implementation was supplied or found (the queue is then not polled). */
  readonly poller?: SqsEventSourcePoller;
  readonly function?: LambdaFunctionHost;
}

/** A running local endpoint. See {@link startHarness}. */
export interface Harness {
  /** The local webhook URL, e.g. `http://127.0.0.1:41234/prod/webhook`. */
  readonly url: string;
  /** The verifier's configuration as deployed (references resolved to the emulated resources). */
  readonly config: VerifierConfig;
  /** The idempotency table. */
  readonly table: LocalTable;
  /** The signing secret's ARN. */
  readonly signingSecretArn: string;
  /** Processors by name. */
  readonly processors: Readonly<Record<string, HarnessProcessor>>;
  /** Everything created from the template. */
  readonly resources: LocalResources;
  /** Counts every AWS call of hosted functions, pollers and processor clients; injects faults. */
  readonly proxy: AwsProxy;
  /** The clock the hosted bundles see. */
  readonly clock: SandboxClock;
  /** The API Gateway emulation (stats, recent events). */
  readonly api: RestApiEmulator;
  /** The verifier function host (stats, timeouts, environments). */
  readonly verifier: LambdaFunctionHost;
  /** Clients straight to the emulator: not counted, never faulted. */
  readonly aws: EmulatorClients;
  /** Recent log lines of hosted functions (the last 5,000–10,000). */
  readonly logs: readonly LogEntry[];
  /** Warnings about parts of the template the harness does not run. */
  readonly warnings: readonly string[];
  /** Sends a request to the local endpoint. */
  post(request?: HarnessRequest): Promise<HarnessResponse>;
  /** Sum of an Embedded Metric Format metric the hosted functions emitted, optionally for given dimension values. */
  metric(name: string, dimensions?: Readonly<Record<string, string>>): number;
  /** Client settings whose calls are counted at the proxy under `caller` (role `client`). */
  clientConfig(caller: string): Promise<AwsClientConfig>;
  /** Stores a new value in the signing secret (a string, or a rotation list serialised as JSON). */
  setSigningSecret(value: string | readonly unknown[]): Promise<void>;
  /**
   * Resolves when no request is being handled, no processor invocation runs and every polled
   * queue is empty (nothing visible, in flight or delayed). Throws after `timeoutMs`.
   */
  waitForIdle(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops everything and deletes the created resources (unless `keepResources`). */
  stop(): Promise<void>;
}

const FUNCTION = 'AWS::Lambda::Function';
const DEFAULT_REGION = 'us-east-1';
/** Moto's default account. */
const ACCOUNT_ID = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * Runs a HardenedWebhookEndpoint locally, from its synthesized template, against an AWS emulator:
 *
 * - creates the template's table, queues (with their attributes and dead-letter queues) and
 *   secrets in the emulator under unique names;
 * - serves the REST API on 127.0.0.1 like the deployed stage (request validator, proxy events,
 *   gateway responses) and runs the verifier from the bundle the template deploys, with the
 *   environment the template gives it and `AWS_ENDPOINT_URL` at a counting, fault-injecting proxy;
 * - polls each processor's FIFO queue like Lambda's event source mapping and runs the processor
 *   implementation you supply (or the processor's bundle).
 *
 * ```ts
 * const harness = await startHarness({ stack, processors: { fulfilment: { create: (ctx) => webhookProcessor(fn, { ... }) } } });
 * const response = await harness.post({ body, headers: { 'Stripe-Signature': header } });
 * await harness.waitForIdle();
 * await harness.stop();
 * ```
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const template = options.template ?? (options.stack ? Template.fromStack(options.stack).toJSON() as CfnTemplate : undefined);
  if (!template) throw new Error('startHarness needs a stack or a template');
  const emulatorEndpoint = options.emulatorEndpoint ?? process.env.HW_MOTO_ENDPOINT;
  if (!emulatorEndpoint) {
    throw new EmulatorUnavailableError('no AWS emulator: pass emulatorEndpoint, or set HW_MOTO_ENDPOINT (the jest global set-up starts moto and sets it)');
  }
  const region = options.region ?? DEFAULT_REGION;
  const prefix = options.namePrefix ?? `hw-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const stackName = options.stackName ?? options.stack?.stackName ?? 'LocalStack';
  const resolver = new TemplateResolver(template, { region, accountId: ACCOUNT_ID, stackName });
  const warnings: string[] = [];
  const direct = { endpoint: emulatorEndpoint, region, credentials: CREDENTIALS };
  await assertEmulatorAnswers(emulatorEndpoint);
  const aws: EmulatorClients = { dynamoDb: new DynamoDBClient(direct), sqs: new SQSClient(direct), secretsManager: new SecretsManagerClient(direct) };
  const destroyClients = () => {
    aws.dynamoDb.destroy();
    aws.sqs.destroy();
    aws.secretsManager.destroy();
  };

  registerHostedAndPlaceholders(resolver, prefix, region);
  let resources: LocalResources;
  try {
    resources = await createTemplateResources(resolver, aws, prefix);
  } catch (error) {
    destroyClients();
    throw error;
  }
  // Stopped in this order: pollers (unshifted), then the API and the functions, then the proxy.
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  const logs: LogEntry[] = [];
  const metrics = new Map<string, number>();
  const clock = new SandboxClock();
  const proxy = AwsProxy.start({ target: emulatorEndpoint, seed: options.seed, deduplicationWindowMs: options.sqsDeduplicationWindowMs });
  try {
    if (options.sqsDeduplication ?? true) {
      for (const queue of resources.queues.values()) {
        if (!queue.fifo) continue;
        proxy.registerFifoQueue({
          name: queue.name,
          deduplicationScope: queue.attributes.DeduplicationScope === 'messageGroup' ? 'messageGroup' : 'queue',
          contentBasedDeduplication: queue.attributes.ContentBasedDeduplication === 'true',
        });
      }
    }
    const runtime = {
      proxy, region, accountId: ACCOUNT_ID, clock,
      extraEnvironment: options.sdkMaxAttempts !== undefined ? { AWS_MAX_ATTEMPTS: String(options.sdkMaxAttempts) } : undefined,
      log: (entry: LogEntry) => {
        collectMetrics(entry.text, metrics);
        logs.push(entry);
        if (logs.length > 10_000) logs.splice(0, logs.length - 5000);
        options.onLog?.(entry);
      },
    };
    const bundles = new BundleLocator(options.assetDirectories ?? [defaultAssetsDirectory()]);

    // The verifier: the function whose environment carries the verifier configuration.
    const verifiers = resourcesOfType(template, FUNCTION).filter(([, resource]) => environmentOf(resource)?.[ENV.VERIFIER_CONFIG] !== undefined);
    const candidates = verifiers.map(([logicalId, resource]) => ({
      logicalId, resource, config: JSON.parse(resolver.resolveString(environmentOf(resource)?.[ENV.VERIFIER_CONFIG], `${logicalId} ${ENV.VERIFIER_CONFIG}`)) as VerifierConfig,
    }));
    const chosen = options.endpoint ? candidates.find((candidate) => candidate.config.endpointName === options.endpoint) : candidates.length === 1 ? candidates[0] : undefined;
    if (!chosen) {
      throw new UnsupportedTemplateError(candidates.length === 0
        ? 'the template has no HardenedWebhookEndpoint (no function with HW_VERIFIER_CONFIG)'
        : `choose the endpoint to serve with options.endpoint; the template has ${candidates.map((candidate) => candidate.config.endpointName).join(', ')}`);
    }
    const config = chosen.config;
    const verifierCode: FunctionCode = options.verifier?.implementation
      ? { handler: options.verifier.implementation }
      : bundles.codeFor(chosen.logicalId, chosen.resource);
    const verifier = new LambdaFunctionHost(functionDefinition(resolver, chosen.logicalId, chosen.resource, prefix, verifierCode, 'verifier', undefined, options.verifier?.timeoutMs), runtime);
    cleanup.push(() => verifier.stop());

    // The REST API whose method integrates the verifier.
    const api = buildApi(template, resolver, chosen.logicalId, verifier, options.enforceThrottling ?? false);
    cleanup.push(() => api.stop());

    // Processors: route (verifier config) → queue → event source mapping → function.
    const processors: Record<string, HarnessProcessor> = {};
    const table = [...resources.tables.values()].find((candidate) => candidate.name === config.tableName);
    if (!table) throw new UnsupportedTemplateError(`the verifier's table ${config.tableName} was not created from the template`);
    for (const route of config.processors) {
      const queue = [...resources.queues.values()].find((candidate) => candidate.url === route.queueUrl);
      if (!queue) throw new UnsupportedTemplateError(`processor ${route.name}: its queue ${route.queueUrl} was not created from the template`);
      const deadLetterQueue = queue.redrive ? [...resources.queues.values()].find((candidate) => candidate.arn === queue.redrive?.deadLetterTargetArn) : undefined;
      const mapping = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(([, resource]) => pointsAt(resource.Properties?.EventSourceArn) === queue.logicalId);
      if (!mapping) {
        warnings.push(`processor ${route.name}: no event source mapping reads its queue; it is not polled`);
        processors[route.name] = { name: route.name, queue, deadLetterQueue };
        continue;
      }
      const mappingProperties = mapping[1].Properties ?? {};
      const functionLogicalId = pointsAt(mappingProperties.FunctionName);
      const functionResource = functionLogicalId ? template.Resources[functionLogicalId] : undefined;
      const environment = functionResource ? resolver.resolve<Record<string, string>>(environmentOf(functionResource) ?? {}) : {};
      const supplied = options.processors?.[route.name];
      let code: FunctionCode | undefined;
      if (supplied !== undefined) {
        code = await processorCode(supplied, {
          name: route.name, tableName: environment[ENV.TABLE_NAME] ?? table.name, queueUrl: queue.url, deadLetterQueueUrl: deadLetterQueue?.url, environment,
        }, proxy, region);
      } else if (functionResource && functionLogicalId) {
        code = bundles.tryCodeFor(functionResource);
      }
      if (!code) {
        warnings.push(`processor ${route.name}: no implementation supplied and its code is not a known bundle; its queue is not polled`);
        processors[route.name] = { name: route.name, queue, deadLetterQueue };
        continue;
      }
      const definition = functionResource && functionLogicalId
        ? functionDefinition(resolver, functionLogicalId, functionResource, prefix, code, 'processor', route.name, options.processorTimeoutMs)
        : importedFunctionDefinition(route.name, prefix, region, code, options.processorTimeoutMs);
      const host = new LambdaFunctionHost(definition, runtime);
      cleanup.push(() => host.stop());
      const pollerEndpoint = await proxy.endpointFor({ id: `esm:${route.name}`, role: 'poller', owner: route.name });
      const poller = new SqsEventSourcePoller({
        queueUrl: queue.url,
        queueArn: queue.arn,
        fifo: queue.fifo,
        batchSize: Number(mappingProperties.BatchSize ?? 10),
        maxConcurrency: Number((mappingProperties.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 5),
        reportBatchItemFailures: ((mappingProperties.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        maximumBatchingWindowSeconds: Number(mappingProperties.MaximumBatchingWindowInSeconds ?? 0),
      }, host, new SQSClient({ endpoint: pollerEndpoint, region, credentials: CREDENTIALS, maxAttempts: 1 }), options.poller);
      if (mappingProperties.Enabled !== false) poller.start();
      cleanup.unshift(() => poller.stop());
      processors[route.name] = { name: route.name, queue, deadLetterQueue, poller, function: host };
    }

    await api.start(options.port ?? 0);
    const resourcePath = api.config.routes.find((route) => route.fn === verifier)?.resourcePath ?? '/webhook';
    const url = api.url(resourcePath);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    cleanup.push(() => agent.destroy());
    let stopped = false;

    const harness: Harness = {
      url, config, table, processors, resources, proxy, clock, api, verifier, aws, logs, warnings,
      signingSecretArn: config.signingSecretArn,
      post: async (request = {}) => {
        const response = await send(agent, api.url(request.path ?? resourcePath), request);
        for (const processor of Object.values(processors)) processor.poller?.nudge();
        return response;
      },
      metric: (name, dimensions) => {
        const key = dimensions ? `${name}|${dimensionKey(dimensions)}` : name;
        return metrics.get(key) ?? 0;
      },
      clientConfig: async (caller) => ({ endpoint: await proxy.endpointFor({ id: caller, role: 'client' }), region, credentials: CREDENTIALS }),
      setSigningSecret: async (value) => {
        await aws.secretsManager.send(new PutSecretValueCommand({ SecretId: config.signingSecretArn, SecretString: typeof value === 'string' ? value : JSON.stringify(value) }));
      },
      waitForIdle: (waitOptions = {}) => waitForIdle(api, Object.values(processors), aws.sqs, waitOptions.timeoutMs ?? 30_000),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        for (const step of cleanup) await step();
        await proxy.stop();
        if (!options.keepResources) await resources.destroy();
        destroyClients();
      },
    };
    return harness;
  } catch (error) {
    for (const step of cleanup) await Promise.resolve().then(step).catch(() => undefined);
    await proxy.stop();
    if (!options.keepResources) await resources.destroy();
    destroyClients();
    throw error;
  }
}

async function assertEmulatorAnswers(endpoint: string): Promise<void> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new EmulatorUnavailableError(`the AWS emulator at ${endpoint} does not answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

/** Functions, the API and every resource type the harness does not create resolve to stable placeholders. */
function registerHostedAndPlaceholders(resolver: TemplateResolver, prefix: string, region: string): void {
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    if (['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SecretsManager::Secret'].includes(resource.Type)) continue;
    if (resource.Type === FUNCTION) {
      const name = functionName(resource, prefix, logicalId);
      resolver.register(logicalId, { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}` } });
      continue;
    }
    if (resource.Type === 'AWS::ApiGateway::RestApi') {
      const apiId = resourceIdFor(`${prefix}/${logicalId}`) + resourceIdFor(logicalId).slice(0, 4);
      resolver.register(logicalId, { ref: apiId, attributes: { RootResourceId: resourceIdFor(`${logicalId}/root`), RestApiId: apiId } });
      continue;
    }
    const placeholder = physicalName(prefix, logicalId, 128);
    const attributes = new Proxy({} as Record<string, string>, {
      get: (_target, attribute) => (typeof attribute === 'string' ? `arn:aws:local:${region}:${ACCOUNT_ID}:${placeholder}/${attribute}` : undefined),
    });
    resolver.register(logicalId, { ref: placeholder, attributes });
  }
}

function functionName(resource: CfnResource, prefix: string, logicalId: string): string {
  const explicit = resource.Properties?.FunctionName;
  return typeof explicit === 'string' ? physicalName(prefix, explicit, 64) : physicalName(prefix, logicalId, 64);
}

function environmentOf(resource: CfnResource): Record<string, unknown> | undefined {
  return (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
}

function functionDefinition(
  resolver: TemplateResolver, logicalId: string, resource: CfnResource, prefix: string, code: FunctionCode,
  role: FunctionDefinition['role'], owner: string | undefined, timeoutOverrideMs: number | undefined,
): FunctionDefinition {
  const properties = resource.Properties ?? {};
  const physical = resolver.lookup(logicalId);
  const reserved = properties.ReservedConcurrentExecutions;
  return {
    logicalId,
    name: physical?.ref ?? functionName(resource, prefix, logicalId),
    arn: physical?.attributes.Arn ?? '',
    timeoutMs: timeoutOverrideMs ?? Number(properties.Timeout ?? 3) * 1000,
    memoryMb: Number(properties.MemorySize ?? 128),
    runtime: typeof properties.Runtime === 'string' ? properties.Runtime : undefined,
    environment: resolver.resolve<Record<string, string>>(environmentOf(resource) ?? {}),
    code,
    role,
    owner,
    reservedConcurrency: reserved === undefined ? undefined : Number(reserved),
  };
}

function importedFunctionDefinition(owner: string, prefix: string, region: string, code: FunctionCode, timeoutOverrideMs: number | undefined): FunctionDefinition {
  const name = physicalName(prefix, owner, 64);
  return {
    logicalId: name, name, arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`, timeoutMs: timeoutOverrideMs ?? 3000, memoryMb: 128, environment: {}, code, role: 'processor', owner,
  };
}

async function processorCode(
  supplied: ProcessorImplementation, base: Omit<ProcessorContext, 'dynamoDbClient' | 'clientConfig'>, proxy: AwsProxy, region: string,
): Promise<FunctionCode> {
  if (typeof supplied === 'function') return { handler: supplied as LambdaHandler };
  if ('bundle' in supplied) return { bundleFile: supplied.bundle, exportName: supplied.exportName ?? 'handler' };
  // Built per execution environment, its clients on the environment's own endpoint: a timed-out
  // invocation is cut off from AWS as Lambda stops it, rather than finishing in the background.
  void proxy;
  return {
    perEnvironment: ({ endpoint }) => {
      const clientConfig: AwsClientConfig = { endpoint, region, credentials: CREDENTIALS };
      return supplied.create({ ...base, clientConfig, dynamoDbClient: new DynamoDBClient(clientConfig) }) as LambdaHandler;
    },
  };
}

/** Builds the REST API emulation for the API whose method integrates `verifierLogicalId`. */
function buildApi(template: CfnTemplate, resolver: TemplateResolver, verifierLogicalId: string, verifier: LambdaFunctionHost, enforceThrottling: boolean): RestApiEmulator {
  const methods = resourcesOfType(template, 'AWS::ApiGateway::Method');
  const integratesVerifier = methods.find(([, method]) => referencedLogicalIds((method.Properties?.Integration as { Uri?: unknown } | undefined)?.Uri).has(verifierLogicalId));
  if (!integratesVerifier) throw new UnsupportedTemplateError(`no API Gateway method integrates the verifier ${verifierLogicalId}`);
  const apiLogicalId = pointsAt(integratesVerifier[1].Properties?.RestApiId);
  const api = apiLogicalId ? template.Resources[apiLogicalId] : undefined;
  if (!apiLogicalId || !api) throw new UnsupportedTemplateError('the verifier\'s method does not name its RestApi');
  const apiId = resolver.lookup(apiLogicalId)?.ref ?? apiLogicalId.toLowerCase().slice(0, 10);
  const belongs = (resource: CfnResource) => pointsAt(resource.Properties?.RestApiId) === apiLogicalId;

  const resourcePath = (reference: unknown): string => {
    const target = pointsAt(reference);
    if (!target || target === apiLogicalId) return '/';
    const resource = template.Resources[target];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') return '/';
    const parent = resourcePath(resource.Properties?.ParentId);
    return `${parent === '/' ? '' : parent}/${String(resource.Properties?.PathPart)}`;
  };

  const routes: RestApiRoute[] = [];
  for (const [logicalId, method] of methods.filter(([, resource]) => belongs(resource))) {
    const properties = method.Properties ?? {};
    const integration = (properties.Integration ?? {}) as { Type?: string; Uri?: unknown; TimeoutInMillis?: number };
    if (integration.Type !== 'AWS_PROXY' || !referencedLogicalIds(integration.Uri).has(verifierLogicalId)) continue;
    const parameters = (properties.RequestParameters ?? {}) as Record<string, boolean>;
    const required = (kind: string) => Object.entries(parameters).filter(([key, value]) => value === true && key.startsWith(`method.request.${kind}.`)).map(([key]) => key.slice(`method.request.${kind}.`.length));
    const validatorId = pointsAt(properties.RequestValidatorId);
    const validator = validatorId ? template.Resources[validatorId] : undefined;
    routes.push({
      method: String(properties.HttpMethod ?? 'ANY').toUpperCase(),
      resourcePath: resourcePath(properties.ResourceId),
      resourceId: resourceIdFor(pointsAt(properties.ResourceId) ?? logicalId),
      fn: verifier,
      requiredHeaders: required('header'),
      requiredQueryParameters: required('querystring'),
      validateRequestParameters: validator?.Properties?.ValidateRequestParameters === true,
      integrationTimeoutMs: Number(integration.TimeoutInMillis ?? 29_000),
    });
  }

  const stage = resourcesOfType(template, 'AWS::ApiGateway::Stage').find(([, resource]) => belongs(resource))?.[1];
  const deployment = resourcesOfType(template, 'AWS::ApiGateway::Deployment').find(([, resource]) => belongs(resource))?.[1];
  const stageName = String(stage?.Properties?.StageName ?? deployment?.Properties?.StageName ?? 'prod');
  const settings = ((stage?.Properties?.MethodSettings ?? []) as Array<Record<string, unknown>>).find((setting) => setting.ResourcePath === '/*' && setting.HttpMethod === '*');

  const gatewayResponses = new Map<string, GatewayResponseDefinition>();
  for (const [, response] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').filter(([, resource]) => belongs(resource))) {
    const properties = resolver.resolve<Record<string, unknown>>(response.Properties ?? {});
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((properties.ResponseParameters ?? {}) as Record<string, string>)) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      const literal = /^'(.*)'$/.exec(value)?.[1];
      if (name && literal !== undefined) headers[name] = literal;
    }
    gatewayResponses.set(String(properties.ResponseType), {
      statusCode: Number(properties.StatusCode ?? 0) || 0,
      templates: (properties.ResponseTemplates ?? {}) as Record<string, string>,
      headers,
    });
  }
  for (const [type, response] of gatewayResponses) {
    if (!response.statusCode) gatewayResponses.set(type, { ...response, statusCode: type === 'DEFAULT_5XX' ? 500 : 400 });
  }

  return new RestApiEmulator({
    apiId,
    stage: stageName,
    region: resolver.pseudo.region,
    accountId: resolver.pseudo.accountId,
    routes,
    gatewayResponses,
    binaryMediaTypes: ((api.Properties?.BinaryMediaTypes ?? []) as string[]).map((type) => type.replace(/~1/g, '/')),
    throttle: enforceThrottling && settings
      ? { rateLimit: Number(settings.ThrottlingRateLimit ?? 10000), burstLimit: Number(settings.ThrottlingBurstLimit ?? 5000) }
      : undefined,
  });
}

/** Finds a function's bundle among asset folders by the asset hash in its `Code.S3Key`. */
class BundleLocator {
  private index: Map<string, string> | undefined;

  public constructor(private readonly directories: readonly string[]) {}

  public codeFor(logicalId: string, resource: CfnResource): FunctionCode {
    const code = this.tryCodeFor(resource);
    if (code) return code;
    const key = (resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
    throw new UnsupportedTemplateError(
      `function ${logicalId}: no bundle in ${this.directories.join(', ')} has the asset hash of its code (${JSON.stringify(key)}). `
      + 'Run "npm run build" (the template and the bundle must come from the same build), or pass assetDirectories.',
    );
  }

  public tryCodeFor(resource: CfnResource): FunctionCode | undefined {
    const properties = resource.Properties ?? {};
    const key = (properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
    if (typeof key !== 'string') return undefined;
    const hash = key.replace(/\.zip$/, '');
    const directory = this.lookup(hash);
    if (!directory) return undefined;
    const [file, exportName] = String(properties.Handler ?? 'index.handler').split(/\.(?=[^.]+$)/);
    return { bundleFile: path.join(directory, `${file}.js`), exportName };
  }

  private lookup(hash: string): string | undefined {
    for (const directory of this.directories) {
      const direct = path.join(directory, `asset.${hash}`);
      if (existsSync(direct)) return direct;
    }
    this.index ??= this.build();
    return this.index.get(hash);
  }

  private build(): Map<string, string> {
    const index = new Map<string, string>();
    const visit = (directory: string, depth: number) => {
      let entries: string[];
      try {
        entries = readdirSync(directory);
      } catch {
        return;
      }
      if (entries.includes('index.js')) index.set(FileSystem.fingerprint(directory), directory);
      if (depth >= 3) return;
      for (const entry of entries) {
        const child = path.join(directory, entry);
        if (entry !== 'node_modules' && statSync(child).isDirectory()) visit(child, depth + 1);
      }
    };
    for (const directory of this.directories) visit(directory, 0);
    return index;
  }
}

/** The library's `assets/` folder (from `local/` and from the compiled `dist/local/`). */
function defaultAssetsDirectory(): string {
  const candidates = [path.join(__dirname, '..', 'assets'), path.join(__dirname, '..', '..', 'assets')];
  return candidates.find((candidate) => existsSync(path.join(candidate, 'verifier', 'index.js'))) ?? candidates[0];
}

function collectMetrics(text: string, metrics: Map<string, number>): void {
  if (!text.includes('"_aws"')) return;
  let record: { _aws?: { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name: string }>; Dimensions?: string[][] }> } } & Record<string, unknown>;
  try {
    record = JSON.parse(text.trim()) as typeof record;
  } catch {
    return;
  }
  for (const directive of record._aws?.CloudWatchMetrics ?? []) {
    for (const metric of directive.Metrics ?? []) {
      const value = Number(record[metric.Name] ?? 0);
      metrics.set(metric.Name, (metrics.get(metric.Name) ?? 0) + value);
      for (const dimensions of directive.Dimensions ?? []) {
        const values: Record<string, string> = {};
        for (const dimension of dimensions) values[dimension] = String(record[dimension]);
        const key = `${metric.Name}|${dimensionKey(values)}`;
        metrics.set(key, (metrics.get(key) ?? 0) + value);
      }
    }
  }
}

function dimensionKey(dimensions: Readonly<Record<string, string>>): string {
  return Object.keys(dimensions).sort().map((key) => `${key}=${dimensions[key]}`).join(',');
}

async function waitForIdle(api: RestApiEmulator, processors: readonly HarnessProcessor[], sqs: SQSClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const polled = processors.filter((processor) => processor.poller);
  let quiet = 0;
  let last = '';
  // Wake idle pollers once; after that they poll on their own back-off (waking them on every check
  // would turn each check into a ReceiveMessage per poller, a scan of the queue in moto).
  for (const processor of polled) processor.poller?.nudge();
  while (true) {
    const busy = api.inFlight > 0 || polled.some((processor) => (processor.poller?.inFlight ?? 0) > 0);
    let waiting = 0;
    if (!busy) {
      const depths = await Promise.all(polled.map(async (processor) => {
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
          QueueUrl: processor.queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }));
        const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
        return `${processor.name}=${depth}`;
      }));
      last = depths.join(', ');
      waiting = depths.reduce((sum, entry) => sum + Number(entry.split('=')[1]), 0);
    } else {
      last = `requests in flight: ${api.inFlight}; invocations: ${polled.map((processor) => `${processor.name}=${processor.poller?.inFlight ?? 0}`).join(', ')}`;
    }
    quiet = !busy && waiting === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    if (Date.now() > deadline) {
      throw new Error(`the harness is not idle after ${timeoutMs} ms (${last}). Messages that failed wait for the queue's VisibilityTimeout before they are retried.`);
    }
    await new Promise((resolve) => setTimeout(resolve, quiet > 0 ? 50 : 150));
  }
}

/** Sends one request with exact header names and repeated headers, over a keep-alive agent. */
function send(agent: http.Agent, url: string, request: HarnessRequest): Promise<HarnessResponse> {
  const target = new URL(url);
  if (typeof request.query === 'string') target.search = request.query;
  else if (request.query) {
    // Percent-encoding (a space is %20, not '+'), as HTTP clients such as fetch and curl send it.
    target.search = Object.entries(request.query)
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value as string]).map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`))
      .join('&');
  }
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const raw: string[] = [];
  const headerPairs: Array<readonly [string, string]> = Array.isArray(request.headers)
    ? request.headers as Array<readonly [string, string]>
    : Object.entries((request.headers ?? {}) as Record<string, string | readonly string[]>).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as const] : value.map((item) => [name, item] as const)));
  for (const [name, value] of headerPairs) raw.push(name, value);
  if (!headerPairs.some(([name]) => name.toLowerCase() === 'host')) raw.push('Host', target.host);
  if (!headerPairs.some(([name]) => name.toLowerCase() === 'content-length')) raw.push('Content-Length', String(body.length));
  return new Promise((resolve, reject) => {
    const outgoing = http.request({
      host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method ?? 'POST', agent, headers: raw as unknown as http.OutgoingHttpHeaders,
    }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text, json: <T>() => JSON.parse(text) as T });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
