import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { main } from '../../../local/cli/main';
import { Output } from '../../../local/cli/output';
import { motoEndpoint, uniqueName } from '../../support/aws';
import { arnOf, countsOf, delivery, eventIdsByGroup, receiveAll, sendToDlq, sqs, type QueuePair } from './redrive/support';

/**
 * `hardened-webhooks redrive` as an operator runs it: only a stack name and a processor name, the
 * queues found from the deployed stack (moto's CloudFormation, with the construct's cdk paths).
 */
async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, new Output((text) => { stdout += text; }, (text) => { stderr += text; }));
  return { code, stdout, stderr };
}

/** The part of an endpoint's template redrive reads: one processor's FIFO queue and FIFO dead-letter queue. */
function processorTemplate(stackName: string): string {
  const queue = (path: string, properties: Record<string, unknown>) => ({ Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, ...properties }, Metadata: { 'aws:cdk:path': path } });
  return JSON.stringify({
    Resources: {
      // Named here only because moto, unlike CloudFormation, does not add .fifo to a generated FIFO queue name.
      HooksordersDeadLetterQueue: queue(`${stackName}/Hooks/orders/DeadLetterQueue/Resource`, { QueueName: `${stackName}-orders-dlq.fifo`, MessageRetentionPeriod: 1209600 }),
      HooksordersQueue: queue(`${stackName}/Hooks/orders/Queue/Resource`, {
        QueueName: `${stackName}-orders.fifo`,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['HooksordersDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 },
      }),
    },
  });
}

describe('hardened-webhooks redrive --stack --processor', () => {
  const stackName = uniqueName('Redrive').replace(/[^A-Za-z0-9-]/g, '-');
  const client = sqs();
  let pair: QueuePair;
  const common = ['--stack', stackName, '--processor', 'orders', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1', '--json'];

  beforeAll(async () => {
    const cloudFormation = new CloudFormation({ endpoint: motoEndpoint(), region: 'us-east-1' });
    await cloudFormation.createStack({ StackName: stackName, TemplateBody: processorTemplate(stackName) });
    const { StackResources = [] } = await cloudFormation.describeStackResources({ StackName: stackName });
    const url = (logicalId: string) => StackResources.find((resource) => resource.LogicalResourceId === logicalId)?.PhysicalResourceId as string;
    const [queueUrl, dlqUrl] = [url('HooksordersQueue'), url('HooksordersDeadLetterQueue')];
    pair = { queueUrl, dlqUrl, queueArn: await arnOf(client, queueUrl), dlqArn: await arnOf(client, dlqUrl) };
    cloudFormation.destroy();
    // GIVEN five dead-lettered events in two customers' message groups
    await sendToDlq(client, pair, [
      delivery('evt_1', 'cus_a', 'invoice.paid'), delivery('evt_2', 'cus_b', 'invoice.paid'), delivery('evt_3', 'cus_a', 'charge.refunded'),
      delivery('evt_4', 'cus_a', 'invoice.paid'), delivery('evt_5', 'cus_b', 'charge.refunded'),
    ]);
  });

  afterAll(() => client.destroy());

  test('--dry-run lists counts, event IDs and types, moves nothing, and prints no message body', async () => {
    const { code, stdout } = await cli(['redrive', ...common, '--dry-run']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { dryRun: boolean; processor: string; byType: Record<string, number>; messages: Array<{ eventId: string }> };
    expect(result).toMatchObject({ dryRun: true, processor: `${stackName}/Hooks/orders`, byType: { 'invoice.paid': 3, 'charge.refunded': 2 } });
    expect(result.messages.map((message) => message.eventId).sort()).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_5']);
    expect(stdout).not.toContain('SECRET-');
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 5, inFlight: 0 });
    expect(await countsOf(client, pair.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('then redrive moves every message back in group order (moto refuses move tasks: the loop runs)', async () => {
    const { code, stdout } = await cli(['redrive', ...common]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ mode: 'loop', moved: 5, failed: 0, complete: true });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(eventIdsByGroup(await receiveAll(client, pair.queueUrl))).toEqual({ cus_a: ['evt_1', 'evt_3', 'evt_4'], cus_b: ['evt_2', 'evt_5'] });
  });

  test('an unknown processor or stack is a clear error naming what exists', async () => {
    const wrongProcessor = await cli(['redrive', ...common.map((arg) => (arg === 'orders' ? 'nope' : arg))]);
    expect(wrongProcessor).toMatchObject({ code: 1, stderr: expect.stringContaining('has no processor "nope". Processors: ') });
    expect(wrongProcessor.stderr).toContain('orders');
    const wrongStack = await cli(['redrive', ...common.map((arg) => (arg === stackName ? 'NoSuchStack' : arg))]);
    expect(wrongStack).toMatchObject({ code: 1, stderr: expect.stringContaining('stack "NoSuchStack" does not exist') });
  });
});
