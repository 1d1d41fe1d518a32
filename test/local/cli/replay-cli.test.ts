import { replayDeduplicationId } from '../../../lambda/shared/contract';
import { CloudFormation } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  archiveRecordKey, archiveTimeKey, BUCKET_PREFIX, payloadKey, replayMarkerKey, type ArchiveRecord,
} from '../../../lambda/shared/contract';
import { runReplay } from '../../../local/cli/commands/replay';
import { main } from '../../../local/cli/main';
import { Output } from '../../../local/cli/output';
import { motoEndpoint, s3, uniqueName } from '../../support/aws';
import {
  archive, deployEndpoint, envelopesIn, inlineBytes, record, sha256Hex, timeEntry, type DeployedEndpoint,
} from './archive/support';
import { countsOf, sqs } from './redrive/support';

/**
 * `hardened-webhooks replay` and `archive show|list|erase` as an operator runs them: a stack name
 * (moto's CloudFormation, with the construct's verifier configuration and cdk paths), a processor,
 * and events archived in the endpoint's bucket as the verifier archives them.
 */
async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, new Output((text) => { stdout += text; }, (text) => { stderr += text; }));
  return { code, stdout, stderr };
}

const T0 = Date.UTC(2025, 0, 31, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

describe('hardened-webhooks replay and archive, against a deployed stack', () => {
  const bucketClient = s3();
  const queueClient = sqs();
  let endpoint: DeployedEndpoint;
  const aws = () => ['--stack', endpoint.stackName, '--endpoint-url', motoEndpoint(), '--region', 'us-east-1'];
  const replayArgs = (processor: string, ...rest: string[]) => ['replay', ...aws(), '--processor', processor, ...rest];

  // GIVEN an endpoint whose "orders" processor takes invoice.* and whose "audit" processor takes everything,
  const archived = {
    before: record('evt_before', T0 - 1, { groupId: 'cus_b' }),
    first: record('evt_first', T0),
    refund: record('evt_refund', T0 + 30_000, { type: 'charge.refunded', groupId: 'cus_b' }),
    last: record('evt_last', T0 + 59_999),
    boundary: record('evt_boundary', T0 + 60_000),
    binary: record('evt_binary', T0 + 3_600_000, { body: Buffer.from([0xff, 0x00, 0xfe, 0x80]).toString('base64'), bodyEncoding: 'base64', groupId: 'cus_c' }),
  };

  beforeAll(async () => {
    endpoint = await deployEndpoint({ processors: { orders: ['invoice.*'], audit: [] } });
    // AND events archived around the minute [T0, T0 + 60 s), one of them retried inside it (an orphan
    // time entry: its record keeps the first receipt), and an entry whose record was erased.
    await archive(bucketClient, endpoint.bucket, ...Object.values(archived));
    await timeEntry(bucketClient, endpoint.bucket, archived.before.id, T0 + 20_000);
    await timeEntry(bucketClient, endpoint.bucket, 'evt_erased_long_ago', T0 + 10_000);
  });

  afterAll(() => {
    bucketClient.destroy();
    queueClient.destroy();
  });

  test('by ID: exactly one message, the original\'s envelope and bytes, its group, the replay marker and the replay\'s deduplication ID', async () => {
    const before = Date.now();
    const run = await cli(replayArgs('orders', '--event', 'evt_first', '--replay-id', 'fix-1', '--json'));

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sent: 1, skipped: 0, failed: 0, replayId: 'fix-1', events: [{ id: 'evt_first', outcome: 'sent', byReference: false }] });
    const messages = await envelopesIn(queueClient, endpoint.queues.orders);
    expect(messages).toHaveLength(1);
    const [{ envelope, groupId, dedupId }] = messages;
    expect(envelope).toMatchObject({ v: 1, id: 'evt_first', type: 'invoice.paid', provider: 'stripe', receivedAt: archived.first.receivedAt, contentType: 'application/json' });
    expect(inlineBytes(envelope)).toEqual(Buffer.from(archived.first.body, 'utf8'));
    expect(envelope.bodyRef).toBeUndefined();
    expect(envelope.replay?.id).toBe('fix-1');
    expect(Date.parse(envelope.replay!.at)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(envelope.replay!.at)).toBeLessThanOrEqual(Date.now());
    expect(groupId).toBe('cus_a');
    expect(dedupId).toBe(replayDeduplicationId('evt_first', 'fix-1'));
    // Nothing went to the processor that was not named.
    expect(await countsOf(queueClient, endpoint.queues.audit)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('the same replay twice sends once: the second run finds its replay marker (already-replayed, exit 0); another replay ID is another message', async () => {
    const flags = { stack: endpoint.stackName, processor: 'orders', event: ['evt_last'], endpointUrl: motoEndpoint(), region: 'us-east-1', json: true };
    const outputs: string[] = [];
    const run = async (replayId: string, at: number) => {
      const output = new Output((text) => outputs.push(text), () => undefined);
      await runReplay({ ...flags, replayId }, output, { now: () => new Date(at) });
      return output.exitCode;
    };

    expect(await run('fix-2', T0 + 1)).toBe(0);
    expect(await run('fix-2', T0 + 2)).toBe(0);
    expect(await run('fix-3', T0 + 3)).toBe(0);
    const messages = await envelopesIn(queueClient, endpoint.queues.orders);

    // The second fix-2 is never sent: its marker in the event bucket says it was, however long ago
    // (SQS's deduplication lasts 5 minutes, the processor's record of the replay days).
    expect(messages.map((m) => [m.dedupId, m.envelope.replay])).toEqual([
      [replayDeduplicationId('evt_last', 'fix-2'), { id: 'fix-2', at: iso(T0 + 1) }], [replayDeduplicationId('evt_last', 'fix-3'), { id: 'fix-3', at: iso(T0 + 3) }],
    ]);
    expect(outputs.map((text) => JSON.parse(text)).map((r) => [r.sent, r.alreadyReplayed, r.failed])).toEqual([[1, 0, 0], [0, 1, 0], [1, 0, 0]]);
    expect(JSON.parse(outputs[1]).events).toEqual([expect.objectContaining({ id: 'evt_last', outcome: 'already-replayed' })]);

    const text = await cli(replayArgs('orders', '--event', 'evt_last', '--replay-id', 'fix-3'));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/already-replayed {2}evt_last {2}invoice\.paid {2}2025-01-31T10:00:59\.999Z {2}— replay fix-3 was already sent to orders/);
    expect(await countsOf(queueClient, endpoint.queues.orders)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('by time range: exactly the events first received in [since, until), in order; unsubscribed types skipped; orphan entries ignored', async () => {
    const run = await cli(replayArgs('orders', '--since', iso(T0), '--until', iso(T0 + 60_000), '--replay-id', 'range-1', '--json'));

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { sent: number; skipped: number; failed: number; orphans: number; events: Array<{ id: string; outcome: string }> };
    expect(result).toMatchObject({ sent: 2, skipped: 1, failed: 0, orphans: 2 });
    expect(result.events.map((e) => [e.id, e.outcome])).toEqual([['evt_first', 'sent'], ['evt_refund', 'skipped'], ['evt_last', 'sent']]);
    const messages = await envelopesIn(queueClient, endpoint.queues.orders);
    expect(messages.map((m) => [m.envelope.id, m.groupId, m.dedupId])).toEqual([
      ['evt_first', 'cus_a', replayDeduplicationId('evt_first', 'range-1')], ['evt_last', 'cus_a', replayDeduplicationId('evt_last', 'range-1')],
    ]);

    // A processor that takes every event gets the refund too, and an untyped event.
    const everything = await cli(replayArgs('audit', '--since', '2025-01-31', '--until', iso(T0 + 60_000), '--replay-id', 'range-1', '--json'));
    expect(JSON.parse(everything.stdout)).toMatchObject({ sent: 4, skipped: 0 });
    expect((await envelopesIn(queueClient, endpoint.queues.audit)).map((m) => m.envelope.id).sort()).toEqual(['evt_before', 'evt_first', 'evt_last', 'evt_refund']);
  });

  test('a body that is not UTF-8 is replayed byte for byte (base64 in the envelope)', async () => {
    const run = await cli(replayArgs('orders', '--event', 'evt_binary', '--replay-id', 'bin-1', '--json'));

    expect(run.code).toBe(0);
    const [message] = await envelopesIn(queueClient, endpoint.queues.orders);
    expect(message.envelope.bodyEncoding).toBe('base64');
    expect(inlineBytes(message.envelope)).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x80]));
  });

  test('a body whose message would be too large goes to the event bucket first, and the message carries its bodyRef', async () => {
    // 200,000 control characters: small as bytes, but JSON escapes each into six.
    const body = `{"id":"evt_large","pad":"${'\u0001'.repeat(200_000)}"}`;
    const large = record('evt_large', T0 + 7_200_000, { body });
    await archive(bucketClient, endpoint.bucket, large);

    const run = await cli(replayArgs('orders', '--event', 'evt_large', '--replay-id', 'big-1', '--json'));

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).events).toEqual([expect.objectContaining({ id: 'evt_large', outcome: 'sent', byReference: true })]);
    const [message] = await envelopesIn(queueClient, endpoint.queues.orders);
    const bytes = Buffer.from(body, 'utf8');
    const key = payloadKey('orders', sha256Hex('evt_large'), sha256Hex(bytes));
    expect(message.envelope).toMatchObject({ id: 'evt_large', body: '', bodyRef: { bucket: endpoint.bucket, key, bytes: bytes.length, sha256: sha256Hex(bytes) }, replay: { id: 'big-1' } });
    expect(Buffer.byteLength(message.body)).toBeLessThan(1024);
    const stored = await bucketClient.send(new GetObjectCommand({ Bucket: endpoint.bucket, Key: key }));
    // Buffer.equals: jest's toEqual walks a 200 KB buffer element by element, for seconds.
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  test('--dry-run lists IDs, types and times, sends nothing and prints no body', async () => {
    const json = await cli(replayArgs('orders', '--since', iso(T0), '--until', iso(T0 + 60_000), '--replay-id', 'dry-1', '--dry-run', '--json'));
    const text = await cli(replayArgs('orders', '--since', iso(T0), '--until', iso(T0 + 60_000), '--replay-id', 'dry-1', '--dry-run'));

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      dryRun: true, sent: 2, skipped: 1,
      events: [{ id: 'evt_first', type: 'invoice.paid', receivedAt: iso(T0), outcome: 'would-send' }, { id: 'evt_refund', outcome: 'skipped' }, { id: 'evt_last', outcome: 'would-send' }],
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Dry run — nothing sent.');
    expect(text.stdout).toMatch(/would-send\s+evt_first {2}invoice\.paid {2}2025-01-31T10:00:00\.000Z/);
    for (const output of [json.stdout, text.stdout]) expect(output).not.toMatch(/SECRET-|SIGNATURE-/);
    expect(await countsOf(queueClient, endpoint.queues.orders)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('an ID not in the archive fails (exit 1) and the others are still sent', async () => {
    const run = await cli(replayArgs('orders', '--event', 'evt_nope', '--event', 'evt_first', '--replay-id', 'fix-4'));

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('sent 1, skipped 0, already replayed 0, failed 1');
    expect(run.stdout).toMatch(/failed\s+evt_nope .*not in the archive/);
    expect((await envelopesIn(queueClient, endpoint.queues.orders)).map((m) => m.envelope.id)).toEqual(['evt_first']);
  });

  test('a record stored under another event\'s key is refused, never sent as that event', async () => {
    const forged: ArchiveRecord = record('evt_victim', T0 + 10_800_000);
    await bucketClient.send(new PutObjectCommand({ Bucket: endpoint.bucket, Key: archiveRecordKey(sha256Hex('evt_other')), Body: JSON.stringify(forged) }));

    const run = await cli(replayArgs('orders', '--event', 'evt_other', '--replay-id', 'fix-5', '--json'));

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).events).toEqual([expect.objectContaining({ id: 'evt_other', outcome: 'failed', reason: expect.stringContaining('does not hash to its key') })]);
    expect(await countsOf(queueClient, endpoint.queues.orders)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('usage errors exit 2 and name the flag; an unknown processor names the ones that exist', async () => {
    const badId = await cli(replayArgs('orders', '--event', 'evt_first', '--replay-id', 'fix 1/../x'));
    expect(badId).toMatchObject({ code: 2, stderr: expect.stringContaining('--replay-id: must be 1–64 ASCII letters, digits, ".", "_" or "-"') });
    const tooLong = await cli(replayArgs('orders', '--event', 'evt_first', '--replay-id', 'x'.repeat(65)));
    expect(tooLong.code).toBe(2);
    const both = await cli(replayArgs('orders', '--event', 'evt_first', '--since', '2025-01-31', '--until', '2025-02-01', '--replay-id', 'a'));
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('not both') });
    const half = await cli(replayArgs('orders', '--since', '2025-01-31', '--replay-id', 'a'));
    expect(half).toMatchObject({ code: 2, stderr: expect.stringContaining('--until: a time range needs both') });
    const zoneless = await cli(replayArgs('orders', '--since', '2025-01-31T10:00', '--until', '2025-02-01', '--replay-id', 'a'));
    expect(zoneless).toMatchObject({ code: 2, stderr: expect.stringContaining('--since: expected an ISO 8601 date') });
    const backwards = await cli(replayArgs('orders', '--since', '2025-02-01', '--until', '2025-01-31', '--replay-id', 'a'));
    expect(backwards).toMatchObject({ code: 2, stderr: expect.stringContaining('--until: must be later than --since') });
    const unknown = await cli(replayArgs('nope', '--event', 'evt_first', '--replay-id', 'a'));
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/has no processor "nope"\. Processors: audit, orders/) });
    expect(await countsOf(queueClient, endpoint.queues.orders)).toEqual({ visible: 0, inFlight: 0 });
  });

  test('archive show: names and times without --body; the body and header values only with it', async () => {
    const plain = await cli(['archive', 'show', ...aws(), '--event', 'evt_first']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('received: 2025-01-31T10:00:00.000Z');
    expect(plain.stdout).toContain('headers: content-type, stripe-signature');
    expect(plain.stdout).not.toMatch(/SECRET-|SIGNATURE-/);

    const json = await cli(['archive', 'show', ...aws(), '--event', 'evt_first', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ found: true, event: { id: 'evt_first', groupId: 'cus_a', bytes: Buffer.byteLength(archived.first.body), sha256: sha256Hex(archived.first.body) } });
    expect(json.stdout).not.toMatch(/SECRET-|SIGNATURE-/);

    const withBody = await cli(['archive', 'show', ...aws(), '--event', 'evt_first', '--body', '--json']);
    expect(JSON.parse(withBody.stdout).event).toMatchObject({ body: archived.first.body, headers: archived.first.headers });

    const missing = await cli(['archive', 'show', ...aws(), '--event', 'evt_nope']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('is not in the archive') });
  });

  test('archive list: the IDs, types and times first received in the range, no bodies', async () => {
    const run = await cli(['archive', 'list', ...aws(), '--since', iso(T0), '--until', iso(T0 + 60_000), '--json']);

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { events: Array<{ id: string; type: string; receivedAt: string }>; orphans: number };
    expect(result.events.map((e) => [e.id, e.type, e.receivedAt])).toEqual([
      ['evt_first', 'invoice.paid', iso(T0)], ['evt_refund', 'charge.refunded', iso(T0 + 30_000)], ['evt_last', 'invoice.paid', iso(T0 + 59_999)],
    ]);
    expect(result.orphans).toBe(2);
    expect(run.stdout).not.toMatch(/SECRET-|SIGNATURE-/);
  });

  test('text output shows control characters of an ID or type as escapes: an event cannot draw on the operator\'s terminal or forge a line', async () => {
    const sly = record('evt_\u001b[2J\nsent      evt_fake', T0 + 18_000_000, { type: 'invoice.paid\u009b31m' });
    await archive(bucketClient, endpoint.bucket, sly);

    const list = await cli(['archive', 'list', ...aws(), '--since', iso(T0 + 18_000_000), '--until', iso(T0 + 18_000_001)]);
    const dry = await cli(replayArgs('orders', '--event', sly.id, '--replay-id', 'esc-1', '--dry-run'));

    for (const run of [list, dry]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('evt_\\u001b[2J\\u000asent      evt_fake');
      expect(run.stdout).toContain('invoice.paid\\u009b31m');
      expect([run.stdout.includes('\u001b'), run.stdout.includes('\u009b')]).toEqual([false, false]);
    }
  });

  test('archive erase: record, time entry, every processor\'s payload objects and the replay markers go; the audit names the caller and the digest, not the ID or body', async () => {
    const body = `{"id":"evt_erase","pad":"${'\u0002'.repeat(200_000)}","card":"SECRET-erase"}`;
    const doomed = record('evt_erase', T0 + 14_400_000, { body });
    await archive(bucketClient, endpoint.bucket, doomed);
    // Its large body, put for both processors (by the verifier, or by replays).
    expect((await cli(replayArgs('orders', '--event', 'evt_erase', '--replay-id', 'e-1'))).code).toBe(0);
    expect((await cli(replayArgs('audit', '--event', 'evt_erase', '--replay-id', 'e-1'))).code).toBe(0);
    await envelopesIn(queueClient, endpoint.queues.orders);
    await envelopesIn(queueClient, endpoint.queues.audit);
    const digest = sha256Hex('evt_erase');
    const payloads = ['orders', 'audit'].map((name) => payloadKey(name, digest, sha256Hex(Buffer.from(body))));
    const markers = ['orders', 'audit'].map((name) => replayMarkerKey(digest, name, 'e-1'));
    expect(await keysUnder(`${BUCKET_PREFIX.ARCHIVE_REPLAYS}${digest}/`)).toEqual([...markers].sort());

    const run = await cli(['archive', 'erase', ...aws(), '--event', 'evt_erase', '--reason', 'GDPR request #4711', '--json']);

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { found: boolean; keysDeleted: string[]; auditKey: string; erasedBy: string };
    const timeKey = archiveTimeKey(Date.parse(doomed.receivedAt), digest);
    // A payload object is audited by its folder: its last part, the body's digest, would confirm a guess at the body.
    const payloadFolders = ['orders', 'audit'].map((name) => `${BUCKET_PREFIX.PAYLOADS}${name}/${digest}/…`);
    expect([...result.keysDeleted].sort()).toEqual([...payloadFolders, ...markers, timeKey, archiveRecordKey(digest)].sort());
    for (const key of [...payloads, ...markers, timeKey, archiveRecordKey(digest)]) expect(await keysUnder(key)).toEqual([]);
    expect(result.auditKey).toMatch(new RegExp(`^${BUCKET_PREFIX.ARCHIVE_ERASURES}\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z-${digest}\\.json$`));
    const auditText = await (await bucketClient.send(new GetObjectCommand({ Bucket: endpoint.bucket, Key: result.auditKey }))).Body!.transformToString();
    expect(JSON.parse(auditText)).toMatchObject({
      v: 1, eventDigest: digest, erasedBy: 'arn:aws:sts::123456789012:user/moto', reason: 'GDPR request #4711', recordFound: true, keysDeleted: result.keysDeleted,
    });
    expect(auditText).not.toContain('evt_erase');
    expect(auditText).not.toContain('SECRET-erase');
    // The other events are untouched.
    expect(await keysUnder(archiveRecordKey(sha256Hex('evt_first')))).toHaveLength(1);

    const again = await cli(['archive', 'erase', ...aws(), '--event', 'evt_erase', '--reason', 'GDPR request #4711']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining(`nothing to erase: ${endpoint.stackName}/Hooks`) });
    expect(await keysUnder(BUCKET_PREFIX.ARCHIVE_ERASURES)).toEqual([result.auditKey]);
  });

  test('--help of each command; erase warns that queued messages may still hold the body', async () => {
    for (const command of [['replay'], ['archive'], ['archive', 'show'], ['archive', 'list'], ['archive', 'erase']]) {
      const help = await cli([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: hardened-webhooks ${command.join(' ')}`);
    }
    const erase = await cli(['archive', 'erase', '--help']);
    expect(erase.stdout).toContain('messages still in the processors\' queues or dead-letter queues: they may hold the body');
    expect(erase.stdout).toContain('exits 0');
    expect((await cli(['replay', '--help'])).stdout).toContain('--json');
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    return ((await bucketClient.send(new ListObjectsV2Command({ Bucket: endpoint.bucket, Prefix: prefix }))).Contents ?? []).map((c) => c.Key!);
  }
});

describe('hardened-webhooks archive: finding the bucket', () => {
  const bucketClient = s3();
  afterAll(() => bucketClient.destroy());

  test('by the bucket\'s cdk path when the verifier configuration does not name it; the routing still comes from the configuration', async () => {
    const endpoint = await deployEndpoint({ processors: { orders: ['invoice.*'] }, bucketFoundBy: 'cdk-path' });
    await archive(bucketClient, endpoint.bucket, record('evt_path', T0));
    const aws = ['--stack', endpoint.stackName, '--endpoint-url', motoEndpoint(), '--region', 'us-east-1'];

    const list = await cli(['archive', 'list', ...aws, '--since', iso(T0), '--until', iso(T0 + 1), '--json']);
    const dry = await cli(['replay', ...aws, '--processor', 'orders', '--event', 'evt_path', '--replay-id', 'p-1', '--dry-run', '--json']);

    expect(JSON.parse(list.stdout)).toMatchObject({ bucket: endpoint.bucket, events: [{ id: 'evt_path' }] });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ bucket: endpoint.bucket, sent: 1 });
    expect(dry.stderr).toContain('does not archive events');
  });

  test('a stack without an event bucket, or an unknown stack, is a clear error', async () => {
    const stackName = uniqueName('NoBucket').replace(/[^A-Za-z0-9-]/g, '-');
    const cloudFormation = new CloudFormation({ endpoint: motoEndpoint(), region: 'us-east-1' });
    await cloudFormation.createStack({ StackName: stackName, TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }) });
    cloudFormation.destroy();
    const noBucket = await cli(['archive', 'list', '--stack', stackName, '--since', '2025-01-31', '--until', '2025-02-01', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1']);
    expect(noBucket).toMatchObject({ code: 1, stderr: expect.stringContaining(`stack "${stackName}" has no HardenedWebhookEndpoint with an event bucket`) });

    const missing = await cli(['archive', 'list', '--stack', 'NoSuchStack', '--since', '2025-01-31', '--until', '2025-02-01', '--endpoint-url', motoEndpoint(), '--region', 'us-east-1']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('stack "NoSuchStack" does not exist') });
  });
});
