#!/usr/bin/env node
import { App, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { HardenedWebhookEndpoint, WebhookProvider } from '../lib';
import { handlerAsset } from '../lib/assets';

/** A Stripe endpoint with two processors: fulfilment for payment intents, audit for everything. */
export class StripeWebhooksStack extends Stack {
  public readonly endpoint: HardenedWebhookEndpoint;

  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.endpoint = new HardenedWebhookEndpoint(this, 'Stripe', { provider: WebhookProvider.stripe() });

    const fulfilment = exampleFunction(this, 'Fulfilment', 'example/fulfilment');
    const audit = exampleFunction(this, 'Audit', 'example/audit');
    this.endpoint.addProcessor(fulfilment, { name: 'fulfilment', eventTypes: ['payment_intent.*'] });
    this.endpoint.addProcessor(audit, { name: 'audit' });
  }
}

/** A processor function with its own role (no managed policy) and a log group with retention. */
function exampleFunction(scope: Construct, id: string, asset: string): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Only X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource::*; X-Ray has no resource-level permissions.',
  });
  return new lambda.Function(scope, id, {
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
}

export function buildApp(app = new App()): { app: App; stack: StripeWebhooksStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new StripeWebhooksStack(app, 'HardenedWebhooksExample');
  return { app, stack };
}

if (require.main === module) {
  buildApp().app.synth();
}
