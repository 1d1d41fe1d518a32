import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { runRedrive, type RedriveCommandOptions } from '../../../local/cli/commands/redrive';
import { main } from '../../../local/cli/main';
import { Output } from '../../../local/cli/output';
import type { SqsApi } from '../../../local/cli/redrive';
import { motoEndpoint, uniqueName } from '../../support/aws';
import {
  arnOf, countsOf, delivery, drainAll, eventIdsByGroup, failingClient, receiveAll, sendToDlq, sqs, type QueuePair,
} from './redrive/support';

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

/** The command function itself, for what the command line cannot inject: a failing SQS client, a signal. */
async function command(flags: Record<string, unknown>, options?: RedriveCommandOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const output = new Output((text) => { stdout += text; }, (text) => { stderr += text; });
  await runRedrive(flags, output, options);
  return { code: output.exitCode, stdout, stderr };
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

/** Deploys a stack with one processor (moto's CloudFormation) and returns its queues. */
async function deployProcessor(stackName: string, client: ReturnType<typeof sqs>): Promise<QueuePair> {
  const cloudFormation = new CloudFormation({ endpoint: motoEndpoint(), region: 'us-east-1' });
  try {
    await cloudFormation.createStack({ StackName: stackName, TemplateBody: processorTemplate(stackName) });
    const { StackResources = [] } = await cloudFormation.describeStackResources({ StackName: stackName });
    const url = (logicalId: string) => StackResources.find((resource) => resource.LogicalResourceId === logicalId)?.PhysicalResourceId as string;
    const [queueUrl, dlqUrl] = [url('HooksordersQueue'), url('HooksordersDeadLetterQueue')];
    return { queueUrl, dlqUrl, queueArn: await arnOf(client, queueUrl), dlqArn: await arnOf(client, dlqUrl) };
  } finally {
    cloudFormation.destroy();
  }
}

const newStackName = () => uniqueName('Redrive').replace(/[^A-Za-z0-9-]/g, '-');

describe('hardened-webhooks redrive --stack --processor', () => {
  const stackName = newStackName();
  const client = sqs();
  let pair: QueuePair;
  const common = ['--stack', stackName, '--processor', 'orders', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1', '--json'];

  beforeAll(async () => {
    pair = await deployProcessor(stackName, client);
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

describe('hardened-webhooks redrive: what is left, and stopping', () => {
  const client = sqs();
  afterAll(() => client.destroy());

  const jsonArgs = (stackName: string) => ['redrive', '--stack', stackName, '--processor', 'orders', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1', '--json'];
  const loopFlags = (stackName: string) => ({ stack: stackName, processor: 'orders', mode: 'loop', endpointUrl: motoEndpoint(), region: 'us-east-1' });
  const fiveEvents = ['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_5'].map((id, i) => delivery(id, i % 2 === 0 ? 'cus_a' : 'cus_b'));

  async function withDeadLetters(deliveries = fiveEvents): Promise<{ stackName: string; pair: QueuePair }> {
    const stackName = newStackName();
    const pair = await deployProcessor(stackName, client);
    await sendToDlq(client, pair, deliveries);
    return { stackName, pair };
  }

  test('deletes failing after their sends: exit 1 and the text says so; a rerun within 5 minutes ends with each event once, in order', async () => {
    const { stackName, pair } = await withDeadLetters([0, 1, 2, 3, 4].flatMap((i) => [delivery(`g1_${i}`, 'g1'), delivery(`g2_${i}`, 'g2')]));
    let deletes = 0;
    const flaky = failingClient(client, (c) => c.constructor.name === 'DeleteMessageCommand' && ++deletes % 4 === 0);

    const first = await command(loopFlags(stackName), { sqs: flaky });

    expect(first.code).toBe(1);
    expect(first.stdout).toContain('moved 8, failed 0, held back 0 (loop)');
    expect(first.stdout).toContain('2 sent but still in the dead-letter queue (delete failed): run redrive again within 5 minutes and SQS drops the copies');
    const second = await cli(jsonArgs(stackName));
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ moved: 2, failed: 0, notDeleted: 0, heldBack: 0, remaining: 0, complete: true });
    expect(eventIdsByGroup(await drainAll(client, pair.queueUrl))).toEqual({ g1: ['g1_0', 'g1_1', 'g1_2', 'g1_3', 'g1_4'], g2: ['g2_0', 'g2_1', 'g2_2', 'g2_3', 'g2_4'] });
  });

  test('messages left in flight (a killed run\'s batch) move nothing: not complete, exit 1, and the text says how many remain and when they come back', async () => {
    const { stackName, pair } = await withDeadLetters();
    for (let i = 0; i < 2; i++) await client.send(new ReceiveMessageCommand({ QueueUrl: pair.dlqUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 43200, WaitTimeSeconds: 0 }));

    const json = await cli(jsonArgs(stackName));
    const text = await command(loopFlags(stackName));

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ moved: 0, heldBack: 5, remaining: 5, complete: false, after: { visible: 3, inFlight: 2 } });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('moved 0, failed 0, held back 5 (loop)');
    expect(text.stdout).toContain('not complete: 5 messages remain in the dead-letter queue; the 2 in flight lock their groups until their visibility timeout ends');
  });

  test('a failed send: the text counts the messages held back behind it, and exit 1', async () => {
    const { stackName } = await withDeadLetters();
    const flaky = failingClient(client, (c) => c.constructor.name === 'SendMessageCommand' && String(c.input.MessageDeduplicationId).startsWith('evt_1#'));

    const run = await command(loopFlags(stackName), { sqs: flaky });

    // evt_1 failed; evt_3 and evt_5 (its group, cus_a) wait behind it; cus_b moved.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('moved 2, failed 1, held back 2 (loop)');
    expect(run.stdout).toContain('not complete: 3 messages remain in the dead-letter queue; fix what made the sends fail, then run redrive again');
  });

  test('SIGINT (Ctrl-C) mid-run stops after the current message, makes the batch in hand visible again, exits 1 and removes its listeners', async () => {
    const { stackName, pair } = await withDeadLetters();
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const during: { SIGINT: NodeJS.SignalsListener[]; SIGTERM: NodeJS.SignalsListener[] } = { SIGINT: [], SIGTERM: [] };
    // Ctrl-C once the first message has moved: the run's own listener is called, as Node calls it on the signal.
    const interrupting: SqsApi = {
      send: (async (c: { constructor: { name: string } }) => {
        const answer = await client.send(c as never);
        if (c.constructor.name === 'DeleteMessageCommand' && during.SIGINT.length === 0) {
          for (const name of ['SIGINT', 'SIGTERM'] as const) during[name] = process.listeners(name).filter((l) => !before[name].includes(l));
          for (const listener of during.SIGINT) listener('SIGINT');
        }
        return answer;
      }) as SqsApi['send'],
    };

    const run = await command(loopFlags(stackName), { sqs: interrupting });

    expect([during.SIGINT.length, during.SIGTERM.length]).toEqual([1, 1]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SIGINT: stopping after the current message');
    expect(run.stdout).toContain('moved 1, failed 0, held back 4 (loop)');
    expect(run.stdout).toContain('interrupted: the messages in hand were made visible again');
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 4, inFlight: 0 });
    expect(process.listeners('SIGINT')).toEqual(before.SIGINT);
    expect(process.listeners('SIGTERM')).toEqual(before.SIGTERM);
  });

  test('an aborted signal handed to the command stops the move before it takes a message', async () => {
    const { stackName, pair } = await withDeadLetters();

    const run = await command({ ...loopFlags(stackName), json: true }, { signal: AbortSignal.abort() });

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ moved: 0, heldBack: 5, complete: false, loop: { stopped: 'aborted' } });
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 5, inFlight: 0 });
  });
});

describe('hardened-webhooks redrive --dry-run | head', () => {
  const client = sqs();
  afterAll(() => client.destroy());

  /** The package's bin (compiled local/dist), its stdout a pipe whose reader is gone before the first line. */
  function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
    const bin = path.join(__dirname, '..', '..', '..', 'local', 'bin', 'hardened-webhooks-local.js');
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  }

  // The EPIPE of a write to a closed stdout must not surface as an unhandled 'error' event.
  test('a reader that stops early (head) ends the output quietly: no stack trace, exit 0', async () => {
    const stackName = newStackName();
    const pair = await deployProcessor(stackName, client);
    await sendToDlq(client, pair, [delivery('evt_1', 'cus_a'), delivery('evt_2', 'cus_b')]);

    const run = await runWithClosedStdout(['redrive', '--stack', stackName, '--processor', 'orders', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1', '--dry-run']);

    expect(run.stderr).not.toContain('EPIPE');
    expect(run.code).toBe(0);
    expect(await countsOf(client, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  });
});
