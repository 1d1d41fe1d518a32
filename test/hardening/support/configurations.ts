/**
 * The synthesized configurations the template scanners check: the example app and representative
 * endpoints (GitHub, generic HMAC, a customer-managed KMS key, WAF). Each is synthesized with the
 * cdk-nag AwsSolutions and Serverless packs as validation plugins.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { buildApp } from '../../../bin/example-app';
import { EventField, HardenedWebhookEndpoint, WebhookProvider, type HardenedWebhookEndpointProps } from '../../../lib';
import { handlerAsset } from '../../../lib/private/assets';

export interface Configuration {
  /** File-name-safe name; the template is written as `<name>.template.json`. */
  readonly name: string;
  readonly description: string;
  /** Adds the stack(s) to the app, which already has the nag plugins. */
  build(app: App): void;
}

const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * A processor as a user would write it: own role without managed policies, a log group with
 * retention, tracing. What its findings are about is the user's function, so they are acknowledged
 * here with the reason, as a user would.
 */
export function userProcessor(scope: Construct, id: string): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
  (logGroup.node.defaultChild as CfnResource).addMetadata('checkov', {
    skip: [{ id: 'CKV_AWS_158', comment: 'Test fixture (user code): log lines carry event IDs only; CloudWatch Logs encrypts them at rest with service-managed keys.' }],
  });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, id, {
    role,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(handlerAsset('example/audit')),
    timeout: Duration.seconds(30),
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Test fixture (user code): only X-Ray tracing uses Resource::*; X-Ray has no resource-level permissions.',
  });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason: 'Test fixture (user code): invoked only by the SQS event source mapping, whose failed messages go to the processor queue\'s dead-letter queue; a function DLQ applies to asynchronous invocations only.',
  });
  const cfn = fn.node.defaultChild as CfnResource;
  cfn.addMetadata('checkov', {
    skip: [
      { id: 'CKV_AWS_116', comment: 'Test fixture (user code): invoked by SQS polling only; failures go to the queue\'s dead-letter queue, a function DLQ applies to asynchronous invocations.' },
      { id: 'CKV_AWS_115', comment: 'Test fixture (user code): the event source mapping caps concurrency (maxConcurrency).' },
      { id: 'CKV_AWS_117', comment: 'Test fixture (user code): calls only AWS APIs over TLS with IAM; no VPC resources.' },
      { id: 'CKV_AWS_173', comment: 'Test fixture (user code): environment holds names and ARNs only, encrypted at rest by Lambda.' },
    ],
  });
  cfn.addMetadata('cfn-lint', {
    config: {
      ignore_checks: ['W3005'],
      ignore_reasons: { W3005: 'Test fixture (user code): aws-cdk-lib Function depends on its role and policy; the role entry is redundant with the GetAtt, harmless.' },
    },
  });
  return fn;
}

function endpointStack(app: App, name: string, props: (stack: Stack) => HardenedWebhookEndpointProps, extra?: (stack: Stack, endpoint: HardenedWebhookEndpoint) => void): void {
  const stack = new Stack(app, name, { env: ENV });
  const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', props(stack));
  endpoint.addProcessor(userProcessor(stack, 'Worker'), { name: 'worker' });
  extra?.(stack, endpoint);
}

export const CONFIGURATIONS: readonly Configuration[] = [
  {
    name: 'example-app',
    description: 'bin/example-app.ts: Stripe, two processors with scoped tokens, alarms',
    build: (app) => void buildApp(app),
  },
  {
    name: 'github',
    description: 'GitHub, default options',
    build: (app) => endpointStack(app, 'GitHubHooks', () => ({ provider: WebhookProvider.github() })),
  },
  {
    name: 'generic-hmac',
    description: 'generic HMAC with a signed timestamp and the event ID from a header',
    build: (app) => endpointStack(app, 'HmacHooks', () => ({
      provider: WebhookProvider.hmac({ signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', prefix: 'v1=', eventId: EventField.header('X-Event-Id'), eventType: EventField.jsonPath('type') }),
      path: 'hooks/acme',
    })),
  },
  {
    name: 'customer-managed-key',
    description: 'Stripe with a customer-managed KMS key for table, queues and secret',
    build: (app) => endpointStack(app, 'KmsHooks', (stack) => ({
      provider: WebhookProvider.stripe(),
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true, description: 'Webhook data key' }),
    })),
  },
  {
    name: 'waf',
    description: 'Stripe with the WAF web ACL (IP reputation, rate limit, known bad inputs)',
    build: (app) => endpointStack(app, 'WafHooks', () => ({ provider: WebhookProvider.stripe(), waf: {} })),
  },
];

export interface SynthResult {
  readonly configuration: Configuration;
  /** Template files written for the scanners (one per stack). */
  readonly templates: readonly string[];
  /** Validation findings (cdk-nag packs and CDK's own template validation) not acknowledged. */
  readonly findings: readonly { readonly plugin: string; readonly rule: string; readonly path: string; readonly description: string }[];
}

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; description: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** Synthesizes a configuration with both nag packs; writes its templates into `scanDir`. */
export function synthesize(configuration: Configuration, workDir: string, scanDir: string): SynthResult {
  const outdir = path.join(workDir, configuration.name);
  const app = new App({ outdir });
  if (configuration.name !== 'example-app') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Validations.of(app).addPlugins(new ServerlessChecks(app));
  configuration.build(app);
  let failure: unknown;
  try {
    app.synth();
  } catch (error) {
    failure = error;
  }
  const reportFile = path.join(outdir, 'validation-report.json');
  const findings: SynthResult['findings'][number][] = [];
  if (fs.existsSync(reportFile)) {
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ValidationReport;
    for (const plugin of report.pluginReports) {
      for (const violation of plugin.violations) {
        for (const construct of violation.violatingConstructs) {
          findings.push({ plugin: plugin.pluginName, rule: violation.ruleName, path: construct.constructPath, description: violation.description });
        }
      }
    }
  } else if (failure) {
    throw failure;
  }
  const templates = fs.readdirSync(outdir).filter((file) => file.endsWith('.template.json')).map((file) => {
    const target = path.join(scanDir, `${configuration.name}--${file}`);
    fs.copyFileSync(path.join(outdir, file), target);
    return target;
  });
  if (templates.length === 0) throw new Error(`${configuration.name}: synthesis wrote no template (${String(failure)})`);
  return { configuration, templates, findings };
}
