#!/usr/bin/env node
import { App, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { HardenedWebhookEndpoint, ScopedToken, TokenIssuer, WebhookProvider } from '../lib';
import { handlerAsset } from '../lib/private/assets';
import { cfnLintIgnore, checkovSkips } from '../lib/private/scanner-metadata';

/**
 * A Stripe endpoint with two processors: fulfilment for payment intents, audit for everything.
 * Each processor holds one narrowly scoped, rotated token and nothing else; every alarm notifies
 * one encrypted topic. Every verified event is archived for 30 days, to be replayed after a fix.
 */
export class StripeWebhooksStack extends Stack {
  public readonly endpoint: HardenedWebhookEndpoint;
  public readonly ordersWrite: ScopedToken;
  public readonly auditAppend: ScopedToken;
  public readonly alarmTopic: sns.ITopic;

  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.alarmTopic = alarmTopic(this);
    this.endpoint = new HardenedWebhookEndpoint(this, 'Stripe', {
      provider: WebhookProvider.stripe(),
      alarmTopic: this.alarmTopic,
      archive: { retention: Duration.days(30) },
    });

    // The fulfilment service checks this token against the same secret; it rotates monthly.
    this.ordersWrite = new ScopedToken(this, 'OrdersWrite', { tokenName: 'orders-write', issuer: TokenIssuer.random({ length: 64 }) });
    // The audit store's append-only token rotates weekly; the replaced one stays valid for 6 hours.
    this.auditAppend = new ScopedToken(this, 'AuditAppend', {
      tokenName: 'audit-append',
      rotationInterval: Duration.days(7),
      previousTokenGrace: Duration.hours(6),
    });

    const fulfilment = exampleFunction(this, 'Fulfilment', 'example/fulfilment');
    const audit = exampleFunction(this, 'Audit', 'example/audit');
    this.endpoint.addProcessor(fulfilment, { name: 'fulfilment', eventTypes: ['payment_intent.*'], tokens: [this.ordersWrite] });
    this.endpoint.addProcessor(audit, { name: 'audit', tokens: [this.auditAppend] });
  }
}

/** An SNS topic for alarms: encrypted with a key CloudWatch may use, TLS-only. */
function alarmTopic(scope: Construct): sns.Topic {
  const key = new kms.Key(scope, 'AlarmTopicKey', { enableKeyRotation: true, description: 'Encrypts the webhook alarm topic.' });
  // CloudWatch publishes alarm notifications to the encrypted topic.
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  }));
  return new sns.Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'Webhook alarms' });
}

/** A processor function with its own role (no managed policy) and a log group with retention. */
function exampleFunction(scope: Construct, id: string, asset: string): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
  checkovSkips(logGroup, { id: 'CKV_AWS_158', comment: 'The example processors log event IDs and types only; CloudWatch Logs encrypts them at rest with service-managed keys.' });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Only X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource::*; X-Ray has no resource-level permissions.',
  });
  const fn = new lambda.Function(scope, id, {
    role,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(handlerAsset(asset)),
    timeout: Duration.seconds(30),
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
  });
  const polled = 'Invoked only by the SQS event source mapping; a webhook event that keeps failing moves to the processor\'s dead-letter queue. A function DLQ applies to asynchronous invocations only.';
  Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: polled });
  checkovSkips(fn,
    { id: 'CKV_AWS_116', comment: polled },
    { id: 'CKV_AWS_117', comment: 'Calls AWS APIs and the fulfilment and audit services over TLS; no VPC resource to reach.' },
    { id: 'CKV_AWS_115', comment: 'The event source mapping caps its concurrency (maxConcurrency).' },
    { id: 'CKV_AWS_173', comment: 'The environment holds table, processor and secret names only; tokens are read from Secrets Manager at run time.' });
  cfnLintIgnore(fn, 'W3005', 'aws-cdk-lib\'s Function depends on its role and the role\'s policy; the role entry duplicates the GetAtt on Role and is harmless.');
  return fn;
}

export function buildApp(app = new App()): { app: App; stack: StripeWebhooksStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new StripeWebhooksStack(app, 'HardenedWebhooksExample');
  return { app, stack };
}

if (require.main === module) {
  buildApp().app.synth();
}
