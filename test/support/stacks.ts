import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HardenedWebhookEndpoint, type HardenedWebhookEndpointProps } from '../../lib';

/** A processor function whose code does not matter to template tests. */
export function placeholderFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  });
}

export function endpointStack(props: HardenedWebhookEndpointProps): { stack: Stack; endpoint: HardenedWebhookEndpoint } {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', props);
  return { stack, endpoint };
}

export function template(stack: Stack): Template {
  return Template.fromStack(stack);
}
