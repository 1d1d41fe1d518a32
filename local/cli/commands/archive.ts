import type { Command } from 'commander';
import { archiveRecordKey, type ArchiveRecord } from '../../../lambda/shared/contract';
import {
  archiveClients, bodyOf, checkErasureInput, describeRange, eraseEvent, parseRange, printable, readRecord, readStackArchives, scanRange, selectEndpoint, sha256Hex,
  type ArchiveEndpoint, type EraseResult, type GivenClients,
} from '../archive';
import type { Output } from '../output';
import { usage } from './replay';

interface ArchiveFlags {
  readonly stack: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly json?: boolean;
}

interface ShowFlags extends ArchiveFlags {
  readonly event: string;
  readonly body?: boolean;
}

interface ListFlags extends ArchiveFlags {
  readonly since: string;
  readonly until: string;
}

interface EraseFlags extends ArchiveFlags {
  readonly event: string;
  readonly reason: string;
}

/** What a caller other than the command line (a test) can hand the commands. */
interface ArchiveCommandOptions extends GivenClients {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export function registerArchive(root: Command, output: Output): void {
  const archive = root.command('archive')
    .description('show, list and erase the events an endpoint archived (its archive prop)');
  const common = (command: Command) => command
    .requiredOption('--stack <name>', 'the deployed stack that holds the endpoint')
    .option('--endpoint <path>', 'the endpoint (its construct ID or path); required when the stack has several with an event bucket')
    .option('--region <region>', 'AWS Region (default: the SDK\'s)')
    .option('--endpoint-url <url>', 'AWS endpoint, e.g. a moto server (S3 is then addressed path-style)')
    .option('--json', 'print the result as JSON');

  common(archive.command('show')
    .description('show one archived event: ID, type, provider, time, group and header names (no body unless --body)')
    .requiredOption('--event <id>', 'the event ID')
    .option('--body', 'also print the exact signed body and the header values as received (with the body they may be sent to the endpoint again: treat them as secret)'))
    .action(async (flags: Record<string, unknown>) => runArchiveShow(flags, output));

  common(archive.command('list')
    .description('list the events first received in a time range: IDs, types, times (no bodies)')
    .requiredOption('--since <time>', 'from this time, inclusive (ISO 8601: 2025-01-31, 2025-01-31T10:00Z)')
    .requiredOption('--until <time>', 'to this time, exclusive'))
    .action(async (flags: Record<string, unknown>) => runArchiveList(flags, output));

  common(archive.command('erase')
    .description('erase one event from the event bucket (archive record, time-index entry, replay markers, every processor\'s large-body objects), after writing an audit object')
    .requiredOption('--event <id>', 'the event ID')
    .requiredOption('--reason <text>', 'why (a ticket or request reference), kept in the audit object; must not contain the event ID')
    .addHelpText('after', `
The audit object (archive/erasures/<time>-<digest>.json) holds the event ID's SHA-256 digest, never
the ID: when, who (the caller's ARN, from STS), the reason and the keys deleted.

Erasing an event that is not there (already erased, expired, never received) changes nothing,
says so, writes no audit object and exits 0: the command is safe to run again, and an erasure cut
short is completed by running it again. Exit status 1 when a call failed, 2 for a usage error.

Not erased by this command:
  - messages still in the processors' queues or dead-letter queues: they may hold the body
    (inline when it is small), until they are processed, redriven or expire;
  - the time-index entries of the provider's retries in other minutes (empty objects that hold
    only the digest), which expire with the archive's retention.`))
    .action(async (flags: Record<string, unknown>) => runArchiveErase(flags, output));
}

/** The endpoint whose bucket the command reads. */
async function locate(flags: ArchiveFlags, cloudFormation: Parameters<typeof readStackArchives>[0]): Promise<ArchiveEndpoint> {
  const stack = await readStackArchives(cloudFormation, flags.stack);
  return selectEndpoint(flags.stack, stack.endpoints, flags.endpoint);
}

async function runArchiveShow(raw: Record<string, unknown>, output: Output, options: ArchiveCommandOptions = {}): Promise<void> {
  const flags = raw as unknown as ShowFlags;
  const clients = archiveClients(flags, options);
  try {
    const endpoint = await locate(flags, clients.cloudFormation);
    const record = await readRecord(clients.s3, endpoint.bucket, flags.event);
    const key = archiveRecordKey(sha256Hex(flags.event));
    if (record === undefined) {
      output.exitCode = 1;
      if (flags.json) output.json({ endpoint: endpoint.endpoint, bucket: endpoint.bucket, key, found: false });
      else output.error(`event ${printable(JSON.stringify(flags.event))} is not in the archive of ${endpoint.endpoint} (s3://${endpoint.bucket}/${key}): never received, expired or erased`);
      return;
    }
    const summary = { ...summarize(record), headerNames: Object.keys(record.headers).sort(), bytes: bodyOf(record).length, bodyEncoding: record.bodyEncoding, sha256: sha256Hex(bodyOf(record)) };
    if (flags.json) {
      output.json({ endpoint: endpoint.endpoint, bucket: endpoint.bucket, key, found: true, event: { ...summary, ...(flags.body ? { headers: record.headers, body: record.body } : {}) } });
      return;
    }
    output.line(`${printable(record.id)}  (s3://${endpoint.bucket}/${key})`);
    for (const [label, value] of [['type', record.type], ['provider', record.provider], ['received', record.receivedAt], ['group', record.groupId],
      ['content type', record.contentType], ['JSON field', record.jsonField]] as const) {
      if (value !== undefined) output.line(`  ${label}: ${printable(value)}`);
    }
    if (!flags.body) {
      output.line(`  headers: ${summary.headerNames.map(printable).join(', ') || '(none)'}`);
      output.line(`  body: ${summary.bytes} bytes, SHA-256 ${summary.sha256} (print it with --body)`);
      return;
    }
    for (const name of summary.headerNames) output.line(`  header ${printable(name)}: ${printable(record.headers[name])}`);
    output.line(`  body: ${summary.bytes} bytes, SHA-256 ${summary.sha256}${record.bodyEncoding === 'base64' ? ', not UTF-8: in base64 below' : ''}`);
    output.line(record.body);
  } finally {
    clients.release();
  }
}

async function runArchiveList(raw: Record<string, unknown>, output: Output, options: ArchiveCommandOptions = {}): Promise<void> {
  const flags = raw as unknown as ListFlags;
  const range = usage(() => parseRange(flags.since, flags.until));
  const clients = archiveClients(flags, options);
  try {
    const endpoint = await locate(flags, clients.cloudFormation);
    const events: Array<ReturnType<typeof summarize>> = [];
    const scan = await scanRange(clients.s3, endpoint.bucket, range, async (records) => {
      events.push(...records.map(summarize));
    });
    // An object under the archive's keys that is not a record the verifier wrote is worth a look.
    if (scan.invalid.length > 0) output.exitCode = 1;
    if (flags.json) {
      output.json({
        endpoint: endpoint.endpoint, bucket: endpoint.bucket, since: new Date(range.sinceMs).toISOString(), until: new Date(range.untilMs).toISOString(),
        events, orphans: scan.orphans, invalid: scan.invalid.map((error) => ({ key: error.key, reason: error.message })),
      });
      return;
    }
    output.line(`${endpoint.endpoint}: ${events.length} events first received in ${describeRange(range)}`);
    for (const event of events) output.line(`  ${event.receivedAt}  ${printable(event.id)}  ${event.type === undefined ? '(no type)' : printable(event.type)}  group ${printable(event.groupId)}`);
    for (const error of scan.invalid) output.line(`  warning: ${error.message}`);
  } finally {
    clients.release();
  }
}

async function runArchiveErase(raw: Record<string, unknown>, output: Output, options: ArchiveCommandOptions = {}): Promise<void> {
  const flags = raw as unknown as EraseFlags;
  usage(() => checkErasureInput(flags.event, flags.reason));
  const clients = archiveClients(flags, options);
  try {
    const endpoint = await locate(flags, clients.cloudFormation);
    const result = await eraseEvent(clients.s3, clients.sts, {
      bucket: endpoint.bucket, eventId: flags.event, reason: flags.reason, processors: (endpoint.routes ?? []).map((route) => route.name), now: options.now,
    });
    if (flags.json) output.json({ endpoint: endpoint.endpoint, bucket: endpoint.bucket, ...result });
    else for (const line of describeErasure(endpoint, result)) output.line(line);
  } finally {
    clients.release();
  }
}

function describeErasure(endpoint: ArchiveEndpoint, result: EraseResult): string[] {
  const warning = result.versioning === 'unknown'
    ? ['  warning: these credentials may not read the bucket\'s versioning (s3:GetBucketVersioning); objects were deleted as in an unversioned bucket '
      + '(the construct\'s). If versioning was turned on, older versions remain: erase again with that permission']
    : [];
  if (!result.found) {
    return [`nothing to erase: ${endpoint.endpoint} (s3://${endpoint.bucket}) holds no record, payload object or replay marker of event digest ${result.eventDigest} `
      + '(already erased, expired, or never received); no audit object written', ...warning];
  }
  return [
    `erased event digest ${result.eventDigest} from s3://${endpoint.bucket}: ${result.keysDeleted.length} objects${result.recordFound ? '' : ' (no archive record: payload objects and replay markers only)'}`,
    ...result.keysDeleted.map((key) => `  deleted ${key}`),
    `  audit: s3://${endpoint.bucket}/${result.auditKey} (by ${result.erasedBy})`,
    '  messages still in the processors\' queues or dead-letter queues may hold the body',
    ...warning,
  ];
}

/** What may be shown of an event without --body: names and times. */
function summarize(record: ArchiveRecord) {
  return {
    id: record.id,
    ...(record.type === undefined ? {} : { type: record.type }),
    provider: record.provider,
    receivedAt: record.receivedAt,
    groupId: record.groupId,
    ...(record.contentType === undefined ? {} : { contentType: record.contentType }),
    ...(record.jsonField === undefined ? {} : { jsonField: record.jsonField }),
  };
}
