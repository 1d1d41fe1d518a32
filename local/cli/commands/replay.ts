import type { Command } from 'commander';
import {
  ArchiveInputError, archiveClients, describeRange, endpointOfProcessor, parseRange, printable, readStackArchives, type GivenClients,
} from '../archive';
import { CliError } from '../errors';
import type { Output } from '../output';
import { checkReplayId, replay, type ReplayedEvent, type ReplayResult, type ReplaySelection, type ReplayTarget } from '../replay';

interface ReplayFlags {
  readonly stack: string;
  readonly processor: string;
  readonly event?: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly replayId: string;
  readonly dryRun?: boolean;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
}

/** What a caller other than the command line (a test) can hand the command. */
export interface ReplayCommandOptions extends GivenClients {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export function registerReplay(root: Command, output: Output): void {
  root.command('replay')
    .description('send archived events to one processor\'s queue again, marked as a replay (the endpoint\'s archive must be on)')
    .requiredOption('--stack <name>', 'the deployed stack that holds the endpoint')
    .requiredOption('--processor <name>', 'the processor (or <endpoint>/<processor>)')
    .option('--event <id>', 'an archived event\'s ID; repeat for several', collect)
    .option('--since <time>', 'replay the events first received at or after this time (ISO 8601: 2025-01-31, 2025-01-31T10:00Z)')
    .option('--until <time>', '… and before this time (the range is [since, until))')
    .requiredOption('--replay-id <name>', 'names this replay: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit. '
      + 'The processor runs each event once per replay ID: the same ID again does nothing, a new ID runs it again')
    .option('--dry-run', 'list the events that would be sent (IDs, types, times); send nothing')
    .option('--region <region>', 'AWS Region (default: the SDK\'s)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a moto server (S3 is then addressed path-style)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Events go in order of first receipt, each in its original message group, with the original body
bytes (a body too large for a message is put in the event bucket and the message points at it).
Events of types the processor is not subscribed to are skipped. An event whose send fails holds
back the later events of its group. A replay ID already used for an event and this processor sends
nothing again ("already replayed"), for as long as the archive keeps the event. Exit status: 0 when
every selected event was sent, skipped or already replayed, 1 when any failed (or was not in the archive), 2 for a usage error. No body is printed.`)
    .action(async (flags: Record<string, unknown>) => runReplay(flags, output));
}

function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

export async function runReplay(raw: Record<string, unknown>, output: Output, options: ReplayCommandOptions = {}): Promise<void> {
  const flags = raw as unknown as ReplayFlags;
  const { selection, replayId } = usage(() => ({ selection: selectionOf(flags), replayId: checkReplayId(flags.replayId) }));
  const clients = archiveClients(flags, options);
  try {
    const stack = await readStackArchives(clients.cloudFormation, flags.stack, flags.processor);
    const processor = stack.processors[0];
    const endpoint = endpointOfProcessor(flags.stack, stack.endpoints, processor);
    if (endpoint.archived === false) output.progress(`note: endpoint ${endpoint.endpoint} does not archive events (its archive is off); only what its bucket still holds can be replayed`);
    const target: ReplayTarget = {
      endpoint: endpoint.endpoint, processor: processor.processor, queueUrl: processor.queue.url, bucket: endpoint.bucket, eventTypes: endpoint.route.eventTypes,
    };
    const result = await replay(clients.s3, clients.sqs, target, selection, { replayId, dryRun: flags.dryRun, now: options.now });
    if (result.failed > 0) output.exitCode = 1;
    if (flags.json) output.json({ processor: `${target.endpoint}/${target.processor}`, queue: target.queueUrl, bucket: target.bucket, ...result });
    else for (const line of describeResult(target, selection, result)) output.line(line);
  } finally {
    clients.release();
  }
}

/** The events asked for: IDs, or a complete time range; never both. */
function selectionOf(flags: ReplayFlags): ReplaySelection {
  const ids = flags.event ?? [];
  const ranged = flags.since !== undefined || flags.until !== undefined;
  if (ids.length > 0 && ranged) throw new ArchiveInputError('--event', 'give event IDs or a time range (--since and --until), not both');
  if (ids.length > 0) {
    if (ids.some((id) => id === '')) throw new ArchiveInputError('--event', 'an event ID must not be empty');
    return { eventIds: ids };
  }
  if (!ranged) throw new ArchiveInputError('--event', 'name the events: --event ID (repeatable), or --since and --until');
  if (flags.since === undefined || flags.until === undefined) throw new ArchiveInputError(flags.since === undefined ? '--since' : '--until', 'a time range needs both --since and --until');
  return { range: parseRange(flags.since, flags.until) };
}

/** Runs input checks; a bad flag is a usage error (exit status 2). */
export function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ArchiveInputError) throw new CliError(error.message, 2, { cause: error });
    throw error;
  }
}

function describeResult(target: ReplayTarget, selection: ReplaySelection, result: ReplayResult): string[] {
  const name = `${target.endpoint}/${target.processor}`;
  const what = 'range' in selection ? `events received in ${describeRange(selection.range)}` : `${new Set(selection.eventIds).size} named events`;
  const lines = result.dryRun
    ? [`Dry run — nothing sent. Replay ${result.replayId} of ${what} to ${name}: would send ${result.sent}, skip ${result.skipped}, already replayed ${result.alreadyReplayed}, failed ${result.failed}`]
    : [`Replay ${result.replayId} of ${what} to ${name}: sent ${result.sent}, skipped ${result.skipped}, already replayed ${result.alreadyReplayed}, failed ${result.failed}`];
  for (const event of result.events) lines.push(`  ${describeEvent(event)}`);
  if ((result.orphans ?? 0) > 0) lines.push(`  (${result.orphans} time-index entries named no record of the range: retries of events first received earlier, or erased events)`);
  if (result.failed > 0) lines.push('  fix what made them fail, then run the same command again: events already sent with this replay ID run only once');
  return lines;
}

function describeEvent(event: ReplayedEvent): string {
  const parts = [event.outcome.padEnd(10), printable(event.id), event.type === undefined ? '(no type)' : printable(event.type), event.receivedAt ?? ''];
  if (event.byReference) parts.push('(body by reference)');
  if (event.reason) parts.push(`— ${printable(event.reason)}`);
  return parts.filter((part) => part !== '').join('  ');
}
