/**
 * From a synthesized template to what the harness runs: the functions and where their bundles are,
 * the REST API that integrates the verifier, and the placeholders for every resource it does not
 * create. Nothing here starts anything.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { FileSystem } from 'aws-cdk-lib';
import { ENV, type VerifierConfig } from '../../lambda/shared/contract';
import { RestApiEmulator, resourceIdFor, type GatewayResponseDefinition, type RestApiRoute } from '../api-gateway';
import type { FunctionCode, FunctionDefinition, LambdaFunctionHost } from '../lambda';
import { CREATED_TYPES, physicalName } from '../resources';
import {
  TemplateResolver, UnsupportedTemplateError, pointsAt, referencedLogicalIds, resourcesOfType, type CfnResource, type CfnTemplate,
} from '../template';

export const FUNCTION = 'AWS::Lambda::Function';
export const DEFAULT_REGION = 'us-east-1';
/** Moto's default account. */
export const ACCOUNT_ID = '123456789012';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** An endpoint in a template: its verifier function and its name (construct path), read before anything is created. */
export interface TemplateEndpoint {
  readonly logicalId: string;
  readonly resource: CfnResource;
  readonly endpointName: string;
}

/** The template's endpoints: the functions whose environment carries a verifier configuration. */
export function endpointsIn(template: CfnTemplate): TemplateEndpoint[] {
  return resourcesOfType(template, FUNCTION).flatMap(([logicalId, resource]) => {
    const config = environmentOf(resource)?.[ENV.VERIFIER_CONFIG];
    const endpointName = config === undefined ? undefined : endpointNameIn(config);
    return endpointName === undefined ? [] : [{ logicalId, resource, endpointName }];
  });
}

/**
 * The configuration's `endpointName`, from the configuration as synthesized (a JSON string, or an
 * Fn::Join around one): the name is a construct path, a literal in the template, while the rest
 * refers to resources that do not exist yet.
 */
function endpointNameIn(config: unknown): string | undefined {
  const text = typeof config === 'string' ? config : JSON.stringify(config);
  return /"endpointName\\?":\\?"([^"\\]*)\\?"/.exec(text)?.[1];
}

/** The endpoint to serve: `endpoint` (its construct path) picks one of several. */
export function chooseEndpoint(template: CfnTemplate, endpoint: string | undefined): TemplateEndpoint {
  const candidates = endpointsIn(template);
  const chosen = endpoint ? candidates.find((candidate) => candidate.endpointName === endpoint) : candidates.length === 1 ? candidates[0] : undefined;
  if (!chosen) {
    throw new UnsupportedTemplateError(candidates.length === 0
      ? 'the template has no HardenedWebhookEndpoint (no function with HW_VERIFIER_CONFIG)'
      : `choose the endpoint to serve with options.endpoint; the template has ${candidates.map((candidate) => candidate.endpointName).join(', ')}`);
  }
  return chosen;
}

/** The chosen endpoint's configuration, references resolved (once its resources exist). */
export function verifierConfigOf(resolver: TemplateResolver, chosen: TemplateEndpoint): VerifierConfig {
  return JSON.parse(resolver.resolveString(environmentOf(chosen.resource)?.[ENV.VERIFIER_CONFIG], `${chosen.logicalId} ${ENV.VERIFIER_CONFIG}`)) as VerifierConfig;
}

/**
 * The logical IDs one endpoint needs: what its verifier's environment refers to (table, queues,
 * signing secret), what those refer to (dead-letter queues), and for each of its queues the
 * processor function an event source mapping feeds and what that function's environment refers to
 * (scoped tokens' secrets). Another endpoint of the same stack is left out, so serving N endpoints
 * creates each one's resources once, not N times.
 */
export function logicalIdsOfEndpoint(template: CfnTemplate, verifierLogicalId: string): ReadonlySet<string> {
  const needed = new Set<string>();
  const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
  const visit = (logicalId: string | undefined): void => {
    const resource = logicalId === undefined ? undefined : template.Resources[logicalId];
    if (!resource || needed.has(logicalId as string)) return;
    needed.add(logicalId as string);
    // A function's role, code and log group are not created: only what its code is told about matters.
    const refersTo = resource.Type === FUNCTION ? environmentOf(resource) : resource.Properties;
    for (const reference of referencedLogicalIds(refersTo)) visit(reference);
    if (resource.Type === 'AWS::SQS::Queue') {
      for (const [, mapping] of mappings.filter(([, candidate]) => pointsAt(candidate.Properties?.EventSourceArn) === logicalId)) {
        visit(pointsAt(mapping.Properties?.FunctionName));
      }
    }
  };
  visit(verifierLogicalId);
  return needed;
}

export function registerHostedAndPlaceholders(resolver: TemplateResolver, prefix: string, region: string): void {
  for (const [logicalId, resource] of Object.entries(resolver.template.Resources)) {
    // Created in the emulator (createTemplateResources registers them): no placeholder, so that a
    // reference to one that was not created fails loudly instead of naming a resource that does not exist.
    if (CREATED_TYPES.includes(resource.Type)) continue;
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

export function environmentOf(resource: CfnResource): Record<string, unknown> | undefined {
  return (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
}

export function functionDefinition(
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

export function importedFunctionDefinition(owner: string, prefix: string, region: string, code: FunctionCode, timeoutOverrideMs: number | undefined): FunctionDefinition {
  const name = physicalName(prefix, owner, 64);
  return {
    logicalId: name, name, arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`, timeoutMs: timeoutOverrideMs ?? 3000, memoryMb: 128, environment: {}, code, role: 'processor', owner,
  };
}

/** Builds the REST API emulation for the API whose method integrates `verifierLogicalId`. */
export function buildApi(template: CfnTemplate, resolver: TemplateResolver, verifierLogicalId: string, verifier: LambdaFunctionHost, enforceThrottling: boolean): RestApiEmulator {
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
export class BundleLocator {
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

/**
 * The construct library's `assets/` folder: the checkout's when the harness runs from this repository
 * (sources or compiled), else the installed `hardened-webhooks` package's.
 */
export function defaultAssetsDirectory(): string {
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'assets');
    if (existsSync(path.join(candidate, 'verifier', 'index.js'))) return candidate;
    if (path.dirname(directory) === directory) break;
  }
  try {
    return path.join(path.dirname(require.resolve('hardened-webhooks/package.json')), 'assets');
  } catch {
    return path.join(__dirname, '..', '..', 'assets');
  }
}
