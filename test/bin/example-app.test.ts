import { App, Stack } from 'aws-cdk-lib';
import { buildApp } from '../../bin/example-app';

/**
 * cdk-nag's AwsSolutions pack over the example app. cdk-nag v3 reports through CDK's validation
 * plugins: synthesis throws with every unacknowledged finding, so a clean synth is the assertion.
 */
describe('example app', () => {
  test('synthesises with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const { app, stack } = buildApp(new App({ outdir: `${require('node:os').tmpdir()}/hw-example-${process.pid}` }));
    expect(() => app.synth()).not.toThrow();
    expect(Stack.of(stack).stackName).toBe('HardenedWebhooksExample');
  });

  test('a finding is not silently hidden: an unacknowledged violation fails synthesis', () => {
    const { app, stack } = buildApp(new App({ outdir: `${require('node:os').tmpdir()}/hw-example-bad-${process.pid}` }));
    // An unencrypted, DLQ-less queue violates AwsSolutions-SQS2/SQS3/SQS4.
    new (require('aws-cdk-lib/aws-sqs').Queue)(stack, 'Unsafe', { encryption: require('aws-cdk-lib/aws-sqs').QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });

  test('every acknowledgement names one finding and carries a specific reason', () => {
    const { stack } = buildApp(new App());
    const acknowledgements: [string, string][] = [];
    for (const node of stack.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type === 'aws:cdk:acknowledged-rules') acknowledgements.push(...Object.entries(entry.data as Record<string, string>));
      }
    }
    expect(acknowledgements.length).toBeGreaterThanOrEqual(6);
    for (const [id, reason] of acknowledgements) {
      // One finding per acknowledgement (no prefix or wildcard), with a reason specific to a webhook receiver.
      expect(id).toMatch(/^Annotation::(AwsSolutions-[A-Z]+\d+|Serverless-[A-Za-z]+)(\[[^\]]+\])?$/);
      expect(reason).toMatch(/webhook|signature|X-Ray|provider|sender|access log/i);
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  test('the example app has a Stripe endpoint with a fulfilment and an audit processor', () => {
    const { stack } = buildApp(new App());
    expect(stack.endpoint.processors.map((p) => [p.name, p.eventTypes])).toEqual([['fulfilment', ['payment_intent.*']], ['audit', []]]);
  });
});
