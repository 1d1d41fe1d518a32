import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { archiveRecordKey, type ArchiveRecord } from '../../../../lambda/shared/contract';
import {
  ArchiveInputError, listTimeIndex, parseInstant, parseRange, scanRange, type S3Api, type TimeRange,
} from '../../../../local/cli/archive';
import { createBucket, s3 } from '../../../support/aws';
import { archive, record, sha256Hex, timeEntry } from './support';

describe('time range flags', () => {
  test.each([
    ['2025-01-31', Date.UTC(2025, 0, 31)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2025-01-31T10:00Z', Date.UTC(2025, 0, 31, 10)],
    ['2025-01-31T10:00:05Z', Date.UTC(2025, 0, 31, 10, 0, 5)],
    ['2025-01-31T10:00:05.123Z', Date.UTC(2025, 0, 31, 10, 0, 5, 123)],
    ['2025-01-31T11:00:00+01:00', Date.UTC(2025, 0, 31, 10)],
    ['2025-01-31T05:30:00-04:30', Date.UTC(2025, 0, 31, 10)],
  ])('%s is %d', (value, ms) => {
    expect(parseInstant('--since', value)).toBe(ms);
  });

  test.each([
    '2025-01-31T10:00', // no zone: the machine's local time, another range elsewhere
    '2025-02-30', '2025-02-29', '2025-13-01', '2025-01-31T24:00Z', '2025-01-31T10:60Z', '2025-01-31T10:00:60Z',
    'yesterday', '1738317600000', '2025-1-31', ' 2025-01-31', '',
  ])('%j is refused, naming the flag', (value) => {
    expect(() => parseInstant('--until', value)).toThrow(ArchiveInputError);
    expect(() => parseInstant('--until', value)).toThrow(/^--until: expected an ISO 8601 date/);
  });

  test('the range is half-open and must not be empty', () => {
    expect(parseRange('2025-01-31', '2025-02-01')).toEqual({ sinceMs: Date.UTC(2025, 0, 31), untilMs: Date.UTC(2025, 1, 1) });
    expect(() => parseRange('2025-01-31', '2025-01-31')).toThrow(/--until: must be later than --since/);
  });
});

describe('scanRange against moto', () => {
  const client = s3();
  afterAll(() => client.destroy());

  const at = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2025, 0, 31, h, m, s, ms);
  const range = (since: number, until: number): TimeRange => ({ sinceMs: since, untilMs: until });

  async function scan(bucket: string, r: TimeRange, s3Client: S3Api = client): Promise<{ ids: string[]; batches: string[][]; orphans: number; invalid: string[] }> {
    const batches: string[][] = [];
    const result = await scanRange(s3Client, bucket, r, async (records) => { batches.push(records.map((x) => x.id)); });
    return { ids: batches.flat(), batches, orphans: result.orphans, invalid: result.invalid.map((e) => e.message) };
  }

  test('mid-minute bounds: the minutes are listed whole, but only records received in [since, until) are kept, one minute at a time, in receipt order', async () => {
    const bucket = await createBucket(client, 'scan');
    await archive(client, bucket,
      record('early_in_first_minute', at(10, 0, 10)), record('at_since', at(10, 0, 20)), record('b_same_ms', at(10, 0, 30)), record('a_same_ms', at(10, 0, 30)),
      record('hour_later', at(11, 4, 59, 999)), record('at_until', at(11, 5, 30)), record('next_minute', at(11, 6)), record('day_before', at(10, 0) - 86_400_000));

    const found = await scan(bucket, range(at(10, 0, 20), at(11, 5, 30)));

    expect(found.batches).toEqual([['at_since', 'a_same_ms', 'b_same_ms'], ['hour_later']]);
    // The first and last minutes' other records were listed, read and left out.
    expect(found.orphans).toBe(2);
  });

  test('flags with a zone offset, to the millisecond across minutes: [since, until) keeps the first millisecond and drops the last', async () => {
    const bucket = await createBucket(client, 'scan');
    const T = at(10, 0);
    await archive(client, bucket,
      record('before', T - 1), record('at_since', T), record('mid', T + 61_000), record('last_ms', T + 120_000 - 1), record('at_until', T + 120_000));

    // 11:00+01:00 is 10:00Z.
    const found = await scan(bucket, parseRange('2025-01-31T11:00+01:00', '2025-01-31T10:02Z'));

    expect(found.ids).toEqual(['at_since', 'mid', 'last_ms']);
    expect(found.orphans).toBe(0);
  });

  test('a retry\'s entry, an entry whose record is gone and a key the verifier never writes: none is an event twice or at all', async () => {
    const bucket = await createBucket(client, 'scan');
    await archive(client, bucket, record('first', at(10, 0, 5)), record('retried_later', at(9, 59, 59)));
    await timeEntry(client, bucket, 'first', at(10, 1));       // its retry, a minute later, inside the range
    await timeEntry(client, bucket, 'retried_later', at(10, 2)); // a retry of one first received before the range
    await timeEntry(client, bucket, 'erased', at(10, 3));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'archive/by-time/2025-01-31T10:04/not-a-digest', Body: new Uint8Array(0) }));

    const found = await scan(bucket, range(at(10, 0), at(10, 10)));

    expect(found.ids).toEqual(['first']);
    expect(found.orphans).toBe(3);
  });

  test('pages: the listing follows continuation tokens and stops at the first key past the range', async () => {
    const bucket = await createBucket(client, 'scan');
    const ids = Array.from({ length: 7 }, (_, i) => `evt_${i}`);
    await archive(client, bucket, ...ids.map((id, i) => record(id, at(10, i))), record('after', at(10, 30)));
    const lists: Array<{ StartAfter?: unknown; ContinuationToken?: unknown }> = [];
    const smallPages: S3Api = {
      send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        if (command.constructor.name === 'ListObjectsV2Command') {
          command.input.MaxKeys = 2;
          lists.push({ StartAfter: command.input.StartAfter, ContinuationToken: command.input.ContinuationToken });
        }
        return client.send(command as never);
      }) as S3Api['send'],
    };

    expect((await listTimeIndex(smallPages, bucket, range(at(10, 1), at(10, 6)))).map((e) => e.digest)).toEqual(ids.slice(1, 6).map((id) => sha256Hex(id)));
    // Three pages hold minutes 01–06; the one with 06 ends the listing, "after" is never listed.
    expect(lists).toHaveLength(3);
    expect(lists[0]).toEqual({ StartAfter: 'archive/by-time/2025-01-31T10:01', ContinuationToken: undefined });
    expect(lists.slice(1).every((l) => l.StartAfter === undefined && typeof l.ContinuationToken === 'string')).toBe(true);
  });

  test('objects that are not valid records are reported, never handed on', async () => {
    const bucket = await createBucket(client, 'scan');
    const put = async (id: string, content: string | ArchiveRecord) => {
      await timeEntry(client, bucket, id, at(10, 0));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: archiveRecordKey(sha256Hex(id)), Body: typeof content === 'string' ? content : JSON.stringify(content) }));
    };
    await archive(client, bucket, record('good', at(10, 0)));
    await put('not_json', '{"v":1,');
    await put('v2', { ...record('v2', at(10, 0)), v: 2 as 1 });
    await put('bad_base64', record('bad_base64', at(10, 0), { body: '/w==x', bodyEncoding: 'base64' }));
    await put('moved', record('someone_else', at(10, 0)));
    await put('sloppy_time', record('sloppy_time', at(10, 0), { receivedAt: '2025-01-31T10:00:00Z' }));

    const found = await scan(bucket, range(at(10, 0), at(10, 1)));

    expect(found.ids).toEqual(['good']);
    expect(found.invalid.sort()).toEqual([
      `archive object ${archiveRecordKey(sha256Hex('bad_base64'))} is not a valid archive record: body is not canonical base64`,
      `archive object ${archiveRecordKey(sha256Hex('moved'))} is not a valid archive record: its event ID does not hash to its key`,
      `archive object ${archiveRecordKey(sha256Hex('not_json'))} is not a valid archive record: not JSON`,
      `archive object ${archiveRecordKey(sha256Hex('sloppy_time'))} is not a valid archive record: receivedAt is not an ISO 8601 instant`,
      `archive object ${archiveRecordKey(sha256Hex('v2'))} is not a valid archive record: version 2, this CLI reads version 1`,
    ].sort());
    expect(found.orphans).toBe(0);
  });

  test('an S3 failure is an error naming the call and bucket, not an empty archive', async () => {
    const bucket = await createBucket(client, 'scan');
    const denied = { send: async () => { throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }); } } as unknown as S3Api;

    await expect(scan(bucket, range(at(10, 0), at(10, 1)), denied)).rejects.toThrow(`ListObjectsV2 s3://${bucket}/archive/by-time/ failed: AccessDenied: Access Denied`);
    expect((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
  });
});
