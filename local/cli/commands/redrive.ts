import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError } from '../errors';
import type { Output } from '../output';
import { discoverProcessors, inspectDlq, redrive, type ProcessorQueues, type RedriveMode, type RedriveProgress } from '../redrive';

interface RedriveFlags {
  readonly stack: string;
  readonly processor?: string;
  readonly dryRun?: boolean;
  readonly mode: RedriveMode;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
}

export async function runRedrive(raw: Record<string, unknown>, output: Output): Promise<void> {
  const flags = raw as unknown as RedriveFlags;
  const config = { ...(flags.region ? { region: flags.region } : {}), ...(flags.endpointUrl ? { endpoint: flags.endpointUrl } : {}) };
  const cloudFormation = new CloudFormation(config);
  const sqs = new SQSClient(config);
  try {
    const found = await discoverProcessors(cloudFormation, { stackName: flags.stack, processor: flags.processor });
    if (found.length > 1) {
      throw new CliError(`stack ${flags.stack} has ${found.length} processors: name one with --processor (${found.map(nameOf).join(', ')})`, 2);
    }
    const target = found[0];
    if (flags.dryRun) await dryRun(sqs, target, flags, output);
    else await move(sqs, target, flags, output);
  } finally {
    cloudFormation.destroy();
    sqs.destroy();
  }
}

async function dryRun(sqs: SQSClient, target: ProcessorQueues, flags: RedriveFlags, output: Output): Promise<void> {
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

async function move(sqs: SQSClient, target: ProcessorQueues, flags: RedriveFlags, output: Output): Promise<void> {
  const result = await redrive(sqs, {
    source: target.deadLetterQueue.url,
    destination: target.queue.url,
    mode: flags.mode,
    onProgress: (event) => flags.json || output.progress(describeProgress(event)),
  });
  if (!result.complete || result.failed > 0) output.exitCode = 1;
  if (flags.json) {
    output.json({ processor: nameOf(target), ...result });
    return;
  }
  output.line(`${nameOf(target)}: moved ${result.moved}, failed ${result.failed} (${result.mode}${result.fallbackReason ? `; the move task was refused: ${result.fallbackReason}` : ''})`);
  output.line(`  dead-letter queue now: ${result.after.visible} visible, ${result.after.inFlight} in flight`);
}

function describeProgress(event: RedriveProgress): string {
  const { kind, ...rest } = event as { kind: string } & Record<string, unknown>;
  return `${kind} ${Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(' ')}`;
}

function nameOf(target: ProcessorQueues): string {
  return `${target.endpoint}/${target.processor}`;
}
