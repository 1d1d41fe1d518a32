import {
  DeleteMessageCommand, GetQueueAttributesCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
  SQSServiceException, StartMessageMoveTaskCommand, UnsupportedOperation, type ListMessageMoveTasksResultEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  isMoveTaskRefused, MoveTaskRefusedError, MoveTaskRunningError, MoveTaskTimeoutError, redrive, SqsCallError, type RedriveOptions, type RedriveProgress,
} from '../../../../local/cli/redrive';

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Stack-fulfilmentDLQ.fifo';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Stack-fulfilmentDLQ.fifo';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Stack-fulfilmentQueue.fifo';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Stack-fulfilmentQueue.fifo';
const STARTED = Date.UTC(2025, 5, 1, 12);

/** An SDK error as SQS's JSON protocol delivers it. */
function awsError(name: string, status = 400): SQSServiceException {
  return new SQSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} from SQS` });
}

/** A mocked SQS whose queues are a processor's pair, with 3 messages waiting in the DLQ and `left` there once they are moved. */
function mockedSqs(left = 0) {
  const client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);
  const dlq = (visible: number) => ({ Attributes: { QueueArn: DLQ_ARN, FifoQueue: 'true', ApproximateNumberOfMessages: String(visible) } });
  mock.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL }).resolvesOnce(dlq(3)).resolves(dlq(left));
  mock.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL }).resolves({
    Attributes: { QueueArn: QUEUE_ARN, FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }) },
  });
  return { client, mock };
}

/** A clock that moves only when the code under test sleeps; the sleeps are recorded. */
function fakeTime() {
  let now = STARTED;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

function task(entry: Partial<ListMessageMoveTasksResultEntry>): ListMessageMoveTasksResultEntry {
  return { SourceArn: DLQ_ARN, DestinationArn: QUEUE_ARN, StartedTimestamp: STARTED + 200, ApproximateNumberOfMessagesToMove: 3, ...entry };
}

function options(time: ReturnType<typeof fakeTime>, extra: Partial<RedriveOptions> = {}): RedriveOptions {
  return { source: DLQ_URL, destination: QUEUE_URL, wait: { sleep: time.sleep, now: time.now }, loop: { waitTimeSeconds: 0 }, ...extra };
}

describe('redrive with a message move task (stubbed SQS)', () => {
  test('starts a task from the DLQ to its queue and polls until COMPLETED, backing off between polls', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    mock.on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [task({ TaskHandle: 'handle-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 0 })] })
      .resolvesOnce({ Results: [task({ TaskHandle: 'handle-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 2 })] })
      // Once ended, SQS lists the task without its handle: it is known by its start time.
      .resolves({ Results: [task({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 }), task({ Status: 'COMPLETED', StartedTimestamp: STARTED - 86_400_000 })] });
    const time = fakeTime();
    const events: RedriveProgress[] = [];

    const result = await redrive(client, options(time, { mode: 'move-task', maxMessagesPerSecond: 50, onProgress: (e) => events.push(e) }));

    expect(mock.commandCalls(StartMessageMoveTaskCommand)[0].args[0].input).toEqual({ SourceArn: DLQ_ARN, DestinationArn: QUEUE_ARN, MaxNumberOfMessagesPerSecond: 50 });
    expect(result).toMatchObject({ mode: 'move-task', moved: 3, failed: 0, heldBack: 0, remaining: 0, complete: true, moveTask: { taskHandle: 'handle-1', status: 'COMPLETED', toMove: 3 } });
    expect(time.sleeps).toEqual([1000, 1500]);
    expect(events.map((e) => e.kind)).toEqual(['checked', 'move-task-started', 'move-task-progress', 'move-task-progress', 'move-task-progress']);
    expect(mock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('a task that ended before the first poll is found as the latest one started after the request', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-2' });
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [task({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 })] });
    const time = fakeTime();

    const result = await redrive(client, options(time, { mode: 'auto' }));

    expect(result).toMatchObject({ mode: 'move-task', moved: 3, complete: true });
    expect(time.sleeps).toEqual([]);
  });

  test('a COMPLETED task that leaves messages in the DLQ (in flight, or dead-lettered meanwhile) is not complete', async () => {
    const { client, mock } = mockedSqs(2);
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-5' });
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [task({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 })] });

    const result = await redrive(client, options(fakeTime(), { mode: 'move-task' }));

    expect(result).toMatchObject({ mode: 'move-task', moved: 3, failed: 0, heldBack: 2, remaining: 2, complete: false });
  });

  test('a FAILED task is reported with its reason and what it did not move', async () => {
    const { client, mock } = mockedSqs(2);
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-3' });
    mock.on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [task({ TaskHandle: 'handle-3', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1 })] })
      .resolves({ Results: [task({ Status: 'FAILED', ApproximateNumberOfMessagesMoved: 1, FailureReason: 'AWS.SimpleQueueService.KmsAccessDenied' })] });

    const result = await redrive(client, options(fakeTime(), { mode: 'move-task' }));

    expect(result).toMatchObject({ mode: 'move-task', moved: 1, failed: 2, heldBack: 0, remaining: 2, complete: false, moveTask: { status: 'FAILED', failureReason: 'AWS.SimpleQueueService.KmsAccessDenied' } });
  });

  test('a task still running at the deadline: a typed timeout with the handle; the polls never overshoot the deadline', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-4' });
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [task({ TaskHandle: 'handle-4', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1 })] });
    const time = fakeTime();

    const attempt = redrive(client, options(time, { mode: 'move-task', wait: { ...options(time).wait, timeoutMs: 20_000 } }));

    await expect(attempt).rejects.toBeInstanceOf(MoveTaskTimeoutError);
    await expect(attempt).rejects.toThrow(/still running after 20 s \(1 messages moved so far\).*handle-4/);
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(10_000);
  });

  test('"auto" falls back to the loop when SQS refuses the task (UnsupportedOperation), and the loop keeps group, body and attributes', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).rejects(new UnsupportedOperation({ message: 'FIFO redrive not supported here', $metadata: { httpStatusCode: 400 } }));
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    const message = {
      MessageId: '0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001',
      ReceiptHandle: 'rh-1',
      Body: '{"v":1,"id":"evt_9"}',
      Attributes: { MessageGroupId: 'cus_Z', ApproximateReceiveCount: '6' },
      MessageAttributes: { 'hw-event-id': { DataType: 'String', StringValue: 'evt_9' }, 'hw-provider': { DataType: 'String', StringValue: 'stripe' } },
    };
    mock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message] }).resolves({ Messages: [] });
    mock.on(SendMessageCommand).resolves({ MessageId: 'new' });
    mock.on(DeleteMessageCommand).resolves({});
    const events: RedriveProgress[] = [];

    const result = await redrive(client, options(fakeTime(), { onProgress: (e) => events.push(e) }));

    expect(result).toMatchObject({ mode: 'loop', moved: 1, complete: true, fallbackReason: 'UnsupportedOperation: FIFO redrive not supported here' });
    expect(events.find((e) => e.kind === 'fallback')).toBeDefined();
    const sent = mock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent).toMatchObject({ QueueUrl: QUEUE_URL, MessageBody: message.Body, MessageGroupId: 'cus_Z', MessageAttributes: message.MessageAttributes });
    expect(sent.MessageDeduplicationId).toBe('evt_9#redrive-0b7d4a4e-5b7b-4c62-9d1e-1f3c51b0c001');
    expect(mock.commandCalls(DeleteMessageCommand)[0].args[0].input).toEqual({ QueueUrl: DLQ_URL, ReceiptHandle: 'rh-1' });
  });

  test('"move-task" mode does not fall back: a refusal is a typed error pointing at the loop', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).rejects(awsError('InvalidParameterValue'));

    await expect(redrive(client, options(fakeTime(), { mode: 'move-task' }))).rejects.toThrow(MoveTaskRefusedError);
    await expect(redrive(client, options(fakeTime(), { mode: 'move-task' }))).rejects.toThrow(/Use mode "loop"/);
    expect(mock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('"auto" does not fall back on errors that are not refusals (AccessDenied): they are reported', async () => {
    const { client, mock } = mockedSqs();
    mock.on(StartMessageMoveTaskCommand).rejects(awsError('AccessDenied', 403));

    await expect(redrive(client, options(fakeTime()))).rejects.toThrow(SqsCallError);
    await expect(redrive(client, options(fakeTime()))).rejects.toThrow(`StartMessageMoveTask on ${DLQ_ARN} failed: AccessDenied: AccessDenied from SQS`);
    expect(mock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('the loop never runs beside a move task of the same DLQ', async () => {
    const { client, mock } = mockedSqs();
    mock.on(ListMessageMoveTasksCommand).resolves({ Results: [task({ TaskHandle: 'other', Status: 'RUNNING' })] });

    await expect(redrive(client, options(fakeTime(), { mode: 'loop' }))).rejects.toBeInstanceOf(MoveTaskRunningError);
    expect(mock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('the loop goes on, with a warning, when running tasks cannot be listed for want of permission', async () => {
    const { client, mock } = mockedSqs();
    mock.on(ListMessageMoveTasksCommand).rejects(awsError('AccessDenied', 403));
    mock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    const events: RedriveProgress[] = [];

    const result = await redrive(client, options(fakeTime(), { mode: 'loop', onProgress: (e) => events.push(e) }));

    expect(result).toMatchObject({ mode: 'loop', moved: 0 });
    expect(events).toContainEqual({ kind: 'warning', message: expect.stringMatching(/could not check for a running move task: ListMessageMoveTasks .* AccessDenied/) });
  });
});

describe('isMoveTaskRefused: which errors mean "SQS will not run a move task here"', () => {
  test.each([
    ['UnsupportedOperation', 400],
    ['AWS.SimpleQueueService.UnsupportedOperation', 400],
    ['InvalidParameterValue', 400],
    ['InvalidParameterValueException', 400],
    ['UnknownOperationException', 400],
    ['InvalidAction', 400],
    ['NotImplemented', 501],
    ['Anything', 501],
  ])('%s (HTTP %i) is a refusal', (name, status) => {
    expect(isMoveTaskRefused(awsError(name, status))).toBe(true);
  });

  test.each([
    ['AccessDenied', 403],
    ['RequestThrottled', 400],
    ['ResourceNotFoundException', 400],
    ['QueueDoesNotExist', 400],
    ['InternalError', 500],
  ])('%s (HTTP %i) is not', (name, status) => {
    expect(isMoveTaskRefused(awsError(name, status))).toBe(false);
  });

  test('an unparseable HTTP 500 (how moto answers an action it does not implement) is a refusal; a network error is not', () => {
    const unparseable = Object.assign(new SyntaxError('Unexpected token \'<\'\n  Deserialization error: to see the raw response…'), { $metadata: { httpStatusCode: 500 } });
    expect(isMoveTaskRefused(unparseable)).toBe(true);
    expect(isMoveTaskRefused(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))).toBe(false);
    expect(isMoveTaskRefused(undefined)).toBe(false);
  });
});
