import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError } from '../errors';
import type { Output } from '../output';
import {
  discoverProcessors, inspectDlq, redrive, type ProcessorQueues, type RedriveMode, type RedriveProgress, type RedriveResult, type SqsApi,
} from '../redrive';

interface RedriveFlags {
  readonly stack: string;
  readonly processor?: string;
  readonly dryRun?: boolean;
  readonly mode: RedriveMode;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
}

/** What a caller other than the command line (a test) can hand the command. */
export interface RedriveCommandOptions {
  /** The SQS client, which the caller keeps (and destroys). @default an SQSClient for --region and --endpoint-url */
  readonly sqs?: SqsApi;
  /** Stops a move as Ctrl-C does. */
  readonly signal?: AbortSignal;
}

/** The signals that stop a move: Ctrl-C, and what a supervisor or container runtime sends. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function runRedrive(raw: Record<string, unknown>, output: Output, options: RedriveCommandOptions = {}): Promise<void> {
  const flags = raw as unknown as RedriveFlags;
  const config = { ...(flags.region ? { region: flags.region } : {}), ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}) };
  const cloudFormation = new CloudFormation(config);
  const { sqs, release } = sqsClient(config, options.sqs);
  try {
    const found = await discoverProcessors(cloudFormation, { stackName: flags.stack, processor: flags.processor });
    if (found.length > 1) {
      throw new CliError(`stack ${flags.stack} has ${found.length} processors: name one with --processor (${found.map(nameOf).join(', ')})`, 2);
    }
    const target = found[0];
    if (flags.dryRun) await dryRun(sqs, target, flags, output);
    else await moveUntilStopped(sqs, target, flags, output, options.signal);
  } finally {
    cloudFormation.destroy();
    release();
  }
}

/** The caller's client, or one of our own, destroyed when the command ends. */
function sqsClient(config: { region?: string; endpoint?: string }, given: SqsApi | undefined): { sqs: SqsApi; release: () => void } {
  if (given) return { sqs: given, release: () => undefined };
  const client = new SQSClient(config);
  return { sqs: client, release: () => client.destroy() };
}

async function dryRun(sqs: SqsApi, target: ProcessorQueues, flags: RedriveFlags, output: Output): Promise<void> {
  const inspection = await inspectDlq(sqs, target.deadLetterQueue.url, { onProgress: (event) => flags.json || output.progress(`listed ${event.listed}…`) });
  if (flags.json) {
    output.json({ dryRun: true, processor: nameOf(target), queue: target.queue.url, deadLetterQueue: target.deadLetterQueue.url, ...inspection });
    return;
  }
  output.line(`Dry run — nothing moved. ${nameOf(target)}: dead-letter queue ${target.deadLetterQueue.url}`);
  output.line(`  messages: ${inspection.counts.visible} visible, ${inspection.counts.inFlight} in flight, ${inspection.counts.delayed} delayed`);
  for (const [type, count] of Object.entries(inspection.byType)) output.line(`  ${type}: ${count}`);
  for (const message of inspection.messages) {
    output.line(`  ${message.eventId ?? '(no event ID)'}  ${message.eventType ?? '(no type)'}  group ${message.groupId ?? '-'}  received ${message.receiveCount ?? '?'}×`);
  }
  if (!inspection.complete) output.line('  (not every message could be listed: a FIFO queue hands out at most 10 of a group at a time)');
  if (inspection.notRestored > 0) output.line(`  warning: ${inspection.notRestored} listed messages could not be made visible again; they reappear after the visibility timeout`);
}

/**
 * The move, stopped by the first SIGINT or SIGTERM (or the caller's signal): the loop ends after the
 * message it is sending and makes the batch in hand visible again, where a killed process would
 * leave it invisible, its groups locked, until the visibility timeout. The listeners go as soon as
 * one signal arrived, so a second one ends the process at once (a move task being waited for, or a
 * slow call, does not watch the signal); they also go when the move ends.
 */
async function moveUntilStopped(sqs: SqsApi, target: ProcessorQueues, flags: RedriveFlags, output: Output, external: AbortSignal | undefined): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const onSignal = (signal: NodeJS.Signals) => {
    removeListeners();
    output.progress(`${signal}: stopping after the current message, making the messages in hand visible again (a move task goes on in SQS); `
      + `${signal === 'SIGINT' ? 'Ctrl-C' : signal} again quits at once`);
    stop();
  };
  const removeListeners = () => {
    for (const name of STOP_SIGNALS) process.removeListener(name, onSignal);
    external?.removeEventListener('abort', stop);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  if (external?.aborted) stop();
  else external?.addEventListener('abort', stop);
  try {
    await move(sqs, target, flags, output, controller.signal);
  } finally {
    removeListeners();
  }
}

async function move(sqs: SqsApi, target: ProcessorQueues, flags: RedriveFlags, output: Output, signal: AbortSignal): Promise<void> {
  const result = await redrive(sqs, {
    source: target.deadLetterQueue.url,
    destination: target.queue.url,
    mode: flags.mode,
    signal,
    onProgress: (event) => flags.json || output.progress(describeProgress(event)),
  });
  if (!result.complete) output.exitCode = 1;
  if (flags.json) {
    output.json({ processor: nameOf(target), ...result });
    return;
  }
  for (const line of describeResult(nameOf(target), result)) output.line(line);
}

/** The result for a person: counts first, then one line for each thing left to do. */
function describeResult(name: string, result: RedriveResult): string[] {
  const how = `${result.mode}${result.fallbackReason ? `; the move task was refused: ${result.fallbackReason}` : ''}`;
  const lines = [`${name}: moved ${result.moved}, failed ${result.failed}, held back ${result.heldBack} (${how})`];
  if (result.notDeleted > 0) {
    lines.push(`  ${result.notDeleted} sent but still in the dead-letter queue (delete failed): run redrive again within 5 minutes and SQS drops the copies`
      + ' (later, they are delivered again and the processor skips events it already processed)');
  }
  if (result.loop?.stopped === 'aborted') lines.push('  interrupted: the messages in hand were made visible again');
  if (result.loop?.stopped === 'too-many-failures') lines.push('  stopped: too many sends failed in a row (is the queue reachable, and may these credentials send to it?)');
  if ((result.loop?.unreleased ?? 0) > 0) lines.push(`  warning: ${result.loop?.unreleased} messages could not be made visible again; they reappear after the visibility timeout`);
  lines.push(`  dead-letter queue now: ${result.after.visible} visible, ${result.after.inFlight} in flight, ${result.after.delayed} delayed`);
  if (result.remaining > 0) lines.push(`  not complete: ${result.remaining} messages remain in the dead-letter queue${remainingHint(result)}`);
  return lines;
}

function remainingHint(result: RedriveResult): string {
  if (result.after.inFlight > 0) {
    return `; the ${result.after.inFlight} in flight lock their groups until their visibility timeout ends and they become visible: run redrive again then`;
  }
  return result.failed > 0 ? '; fix what made the sends fail, then run redrive again' : '; run redrive again';
}

function describeProgress(event: RedriveProgress): string {
  const { kind, ...rest } = event as { kind: string } & Record<string, unknown>;
  return `${kind} ${Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(' ')}`;
}

function nameOf(target: ProcessorQueues): string {
  return `${target.endpoint}/${target.processor}`;
}
