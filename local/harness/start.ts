import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/shared/contract';
import { AwsProxy } from '../aws-proxy';
import { LambdaFunctionHost, SandboxClock, type FunctionCode, type LambdaHandler, type LogEntry } from '../lambda';
import { EmulatorUnavailableError } from '../moto';
import { createTemplateResources, type EmulatorClients, type LocalResources } from '../resources';
import { SqsEventSourcePoller } from '../sqs-poller';
import { TemplateResolver, UnsupportedTemplateError, pointsAt, resourcesOfType, type CfnTemplate } from '../template';
import { send, waitForIdle } from './client';
import { EmfMetrics } from './metrics';
import {
  ACCOUNT_ID, BundleLocator, CREDENTIALS, DEFAULT_REGION, buildApi, chooseEndpoint, defaultAssetsDirectory, environmentOf, functionDefinition,
  importedFunctionDefinition, logicalIdsOfEndpoint, registerHostedAndPlaceholders, verifierConfigOf, type TemplateEndpoint,
} from './topology';
import type { AwsClientConfig, Harness, HarnessOptions, HarnessProcessor, ProcessorContext, ProcessorImplementation } from './types';

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
  const aws: EmulatorClients = {
    dynamoDb: new DynamoDBClient(direct), sqs: new SQSClient(direct), secretsManager: new SecretsManagerClient(direct), s3: new S3Client({ ...direct, forcePathStyle: true }),
  };
  const destroyClients = () => {
    aws.dynamoDb.destroy();
    aws.sqs.destroy();
    aws.secretsManager.destroy();
    aws.s3.destroy();
  };

  registerHostedAndPlaceholders(resolver, prefix, region);
  let resources: LocalResources;
  let chosen: TemplateEndpoint;
  try {
    chosen = chooseEndpoint(template, options.endpoint);
    const needed = logicalIdsOfEndpoint(template, chosen.logicalId);
    resources = await createTemplateResources(resolver, aws, prefix, (logicalId) => needed.has(logicalId));
  } catch (error) {
    destroyClients();
    throw error;
  }
  // Stopped in this order: pollers (unshifted), then the API and the functions, then the proxy.
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  const logs: LogEntry[] = [];
  const metrics = new EmfMetrics();
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
        metrics.record(entry.text);
        logs.push(entry);
        if (logs.length > 10_000) logs.splice(0, logs.length - 5000);
        options.onLog?.(entry);
      },
    };
    const bundles = new BundleLocator(options.assetDirectories ?? [defaultAssetsDirectory()]);

    const config = verifierConfigOf(resolver, chosen);
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
    const eventBucket = config.eventBucket === undefined ? undefined : [...resources.buckets.values()].find((candidate) => candidate.name === config.eventBucket);
    if (config.eventBucket !== undefined && !eventBucket) {
      throw new UnsupportedTemplateError(`the verifier's event bucket ${config.eventBucket} was not created from the template`);
    }
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
      url, config, table, eventBucket,
      publicUrl: config.publicUrl ?? api.deployedUrl(resourcePath), processors, resources, proxy, clock, api, verifier, aws, logs, warnings,
      signingSecretArn: config.signingSecretArn,
      post: async (request = {}) => {
        const response = await send(agent, api.url(request.path ?? resourcePath), request);
        for (const processor of Object.values(processors)) processor.poller?.nudge();
        return response;
      },
      metric: (name, dimensions) => metrics.sum(name, dimensions),
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


async function processorCode(
  supplied: ProcessorImplementation, base: Omit<ProcessorContext, 'dynamoDbClient' | 's3Client' | 'clientConfig'>, proxy: AwsProxy, region: string,
): Promise<FunctionCode> {
  if (typeof supplied === 'function') return { handler: supplied as LambdaHandler };
  if ('bundle' in supplied) return { bundleFile: supplied.bundle, exportName: supplied.exportName ?? 'handler' };
  // Built per execution environment, its clients on the environment's own endpoint: a timed-out
  // invocation is cut off from AWS as Lambda stops it, rather than finishing in the background.
  void proxy;
  return {
    perEnvironment: ({ endpoint }) => {
      const clientConfig: AwsClientConfig = { endpoint, region, credentials: CREDENTIALS };
      return supplied.create({
        ...base, clientConfig, dynamoDbClient: new DynamoDBClient(clientConfig), s3Client: new S3Client({ ...clientConfig, forcePathStyle: true }),
      }) as LambdaHandler;
    },
  };
}
