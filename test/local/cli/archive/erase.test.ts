import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { archiveRecordKey, archiveTimeKey, payloadKey, replayMarkerKey } from '../../../../lambda/shared/contract';
import {
  ArchiveInputError, AuditWriteError, CallerUnknownError, eraseEvent, type S3Api, type StsApi,
} from '../../../../local/cli/archive';
import { createBucket, motoEndpoint, s3 } from '../../../support/aws';
import { archive, record, sha256Hex } from './support';

/** `archive erase` against moto's S3 and STS: what it deletes, what it keeps, and its audit object. */
const T0 = Date.UTC(2025, 0, 31, 10);
const NOW = new Date(Date.UTC(2025, 2, 1, 12));

describe('eraseEvent', () => {
  const client = s3();
  const sts = new STSClient({ endpoint: motoEndpoint(), region: 'us-east-1' });
  afterAll(() => {
    client.destroy();
    sts.destroy();
  });

  async function putPayload(bucket: string, processor: string, id: string, body = 'large body SECRET'): Promise<string> {
    const key = payloadKey(processor, sha256Hex(id), sha256Hex(body));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return key;
  }

  const keys = async (bucket: string, prefix = '') => ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((c) => c.Key!).sort();

  test('payload objects of a processor no longer configured go too (found under payloads/); another event\'s objects stay', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_gone', T0), record('evt_kept', T0));
    const erased = [await putPayload(bucket, 'orders', 'evt_gone'), await putPayload(bucket, 'retired', 'evt_gone'), await putPayload(bucket, 'retired', 'evt_gone', 'another body')];
    const kept = await putPayload(bucket, 'retired', 'evt_kept');

    const result = await eraseEvent(client, sts, { bucket, eventId: 'evt_gone', reason: 'ticket 1', processors: ['orders', 'audit'], now: () => NOW });

    const digest = sha256Hex('evt_gone');
    expect(erased).toHaveLength(3);
    // A payload object is named by its folder (the event's digest), never by its body's digest.
    const folders = [`payloads/orders/${digest}/…`, `payloads/retired/${digest}/…`];
    expect([...result.keysDeleted].sort()).toEqual([...folders, archiveTimeKey(T0, digest), archiveRecordKey(digest)].sort());
    expect(result.keysDeleted.join()).not.toContain(sha256Hex('another body'));
    expect(result.auditKey).toBe(`archive/erasures/2025-03-01T12:00:00.000Z-${digest}.json`);
    expect(await keys(bucket)).toEqual([
      result.auditKey, archiveTimeKey(T0, sha256Hex('evt_kept')), archiveRecordKey(sha256Hex('evt_kept')), kept,
    ].sort());
  });

  test('payload objects without a record (an archive that is off, or expired first) are erased and audited', async () => {
    const bucket = await createBucket(client, 'erase');
    const payload = await putPayload(bucket, 'orders', 'evt_large');

    const result = await eraseEvent(client, sts, { bucket, eventId: 'evt_large', reason: 'ticket 2', processors: ['orders'], now: () => NOW });

    const folder = `payloads/orders/${sha256Hex('evt_large')}/…`;
    expect(payload.startsWith(folder.slice(0, -1))).toBe(true);
    expect(result).toMatchObject({ found: true, recordFound: false, keysDeleted: [folder] });
    expect(await keys(bucket, 'payloads/')).toEqual([]);
    const audit = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: result.auditKey! }))).Body!.transformToString());
    expect(audit).toEqual({
      v: 1, eventDigest: sha256Hex('evt_large'), erasedAt: NOW.toISOString(), erasedBy: 'arn:aws:sts::123456789012:user/moto', reason: 'ticket 2',
      bucket, keysDeleted: [folder], recordFound: false, versioning: 'off',
    });
  });

  test('in a bucket with versioning, every version and delete marker of the event\'s keys goes, and nothing else', async () => {
    const bucket = await createBucket(client, 'erase');
    await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await archive(client, bucket, record('evt_v', T0), record('evt_other', T0));
    const payload = await putPayload(bucket, 'orders', 'evt_v');
    await putPayload(bucket, 'orders', 'evt_v'); // a second version of the same object
    // The record "deleted" without its versions: its newest version is a delete marker, its data an older version.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: archiveRecordKey(sha256Hex('evt_v')) }));

    const result = await eraseEvent(client, sts, { bucket, eventId: 'evt_v', reason: 'ticket 3', processors: ['orders'], now: () => NOW });

    expect(result.versioning).toBe('on');
    // Two payload versions, the time entry (found from the record's older version), the record and its delete marker.
    expect(result.keysDeleted).toHaveLength(5);
    expect(result.keysDeleted.every((key) => /\?versionId=.+$/.test(key))).toBe(true);
    const left = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const leftKeys = [...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])].map((v) => v.Key);
    const digest = sha256Hex('evt_v');
    for (const key of [payload, archiveTimeKey(T0, digest), archiveRecordKey(digest)]) expect(leftKeys).not.toContain(key);
    expect(leftKeys).toContain(archiveRecordKey(sha256Hex('evt_other')));
    expect(leftKeys).toContain(result.auditKey);
  });

  test('credentials that may not read the bucket\'s versioning: the objects are still erased, and the result and audit say versioning is unknown', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_u', T0));
    const noVersioning: S3Api = {
      send: (async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'GetBucketVersioningCommand') throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        return client.send(command as never);
      }) as S3Api['send'],
    };

    const result = await eraseEvent(noVersioning, sts, { bucket, eventId: 'evt_u', reason: 'ticket 6', processors: [] });

    expect(result).toMatchObject({ found: true, versioning: 'unknown' });
    expect(await keys(bucket, 'archive/by-')).toEqual([]);
    const audit = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: result.auditKey! }))).Body!.transformToString());
    expect(audit.versioning).toBe('unknown');
  });

  test('an absent event: nothing deleted, no audit object, and no error (running an erasure again is safe)', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_other', T0));

    const result = await eraseEvent(client, sts, { bucket, eventId: 'evt_never', reason: 'ticket 4', processors: ['orders'] });

    expect(result).toMatchObject({ found: false, keysDeleted: [], eventDigest: sha256Hex('evt_never') });
    expect(result.auditKey).toBeUndefined();
    expect(await keys(bucket, 'archive/erasures/')).toEqual([]);
  });

  test('refused before any call: a reason that names the event, an empty or overlong reason', async () => {
    const noCalls = { send: async () => { throw new Error('no call expected'); } };
    const erase = (reason: string) => eraseEvent(noCalls as unknown as S3Api, noCalls as unknown as StsApi, { bucket: 'b', eventId: 'evt_123', reason, processors: [] });

    await expect(erase('customer asked to erase evt_123')).rejects.toThrow(/--reason: must not contain the event ID/);
    await expect(erase('  ')).rejects.toThrow(ArchiveInputError);
    await expect(erase('x'.repeat(1001))).rejects.toThrow(/at most 1000 characters/);
  });

  test('without the caller\'s identity nothing is erased', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_kept', T0));
    const noIdentity = { send: async () => { throw Object.assign(new Error('expired token'), { name: 'ExpiredToken' }); } } as unknown as StsApi;

    await expect(eraseEvent(client, noIdentity, { bucket, eventId: 'evt_kept', reason: 'r', processors: [] })).rejects.toThrow(CallerUnknownError);
    expect(await keys(bucket, 'archive/by-id/')).toEqual([archiveRecordKey(sha256Hex('evt_kept'))]);
  });

  test('an audit object that cannot be written: nothing is erased (the audit comes first), and the error never names the ID', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_secretive', T0));
    const noAudit = failingPuts(client, 'archive/erasures/');

    const error = await eraseEvent(noAudit, sts, { bucket, eventId: 'evt_secretive', reason: 'ticket 5', processors: [] }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuditWriteError);
    const message = (error as Error).message;
    expect(message).toContain('so nothing was erased');
    expect(message).toContain(sha256Hex('evt_secretive'));
    expect(message).not.toContain('evt_secretive');
    expect(await keys(bucket, 'archive/')).toEqual([archiveTimeKey(T0, sha256Hex('evt_secretive')), archiveRecordKey(sha256Hex('evt_secretive'))].sort());
  });

  test('the event\'s replay markers go too (every processor and replay ID), before the record; another event\'s markers stay', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_replayed', T0), record('evt_other', T0));
    const digest = sha256Hex('evt_replayed');
    const markers = [replayMarkerKey(digest, 'orders', 'fix-1'), replayMarkerKey(digest, 'orders', 'fix-2'), replayMarkerKey(digest, 'retired', 'fix-1')];
    const kept = replayMarkerKey(sha256Hex('evt_other'), 'orders', 'fix-1');
    for (const key of [...markers, kept]) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0) }));
    const deletes: string[] = [];
    const recording: S3Api = {
      send: ((command: { constructor: { name: string }; input: { Key?: string } }) => {
        if (command.constructor.name === 'DeleteObjectCommand') deletes.push(command.input.Key ?? '');
        return client.send(command as never);
      }) as S3Api['send'],
    };

    const result = await eraseEvent(recording, sts, { bucket, eventId: 'evt_replayed', reason: 'ticket 7', processors: [], now: () => NOW });

    // Markers hold no event data (a digest, a processor, a replay ID): the audit names them as they are.
    expect([...result.keysDeleted].sort()).toEqual([...markers, archiveTimeKey(T0, digest), archiveRecordKey(digest)].sort());
    expect(await keys(bucket, 'archive/replays/')).toEqual([kept]);
    // The record last: while it exists, running the erasure again finds everything else.
    expect(deletes.at(-1)).toBe(archiveRecordKey(digest));
    expect([...deletes].sort()).toEqual([...result.keysDeleted].sort());
  });

  test('replay markers without a record (they outlive it by as long as the replay came after the event) are erased and audited', async () => {
    const bucket = await createBucket(client, 'erase');
    const key = replayMarkerKey(sha256Hex('evt_expired'), 'orders', 'fix-1');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0) }));

    const result = await eraseEvent(client, sts, { bucket, eventId: 'evt_expired', reason: 'ticket 8', processors: [], now: () => NOW });

    expect(result).toMatchObject({ found: true, recordFound: false, keysDeleted: [key] });
    expect(await keys(bucket)).toEqual([result.auditKey]);
  });

  test('an erasure killed as it writes its audit has deleted nothing; running it again erases everything and writes exactly one audit entry', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_gdpr', T0));
    const digest = sha256Hex('evt_gdpr');
    // The process dies as it is about to write the audit object.
    const dying = failingPuts(client, 'archive/erasures/', 'ProcessKilled');

    await expect(eraseEvent(dying, sts, { bucket, eventId: 'evt_gdpr', reason: 'ticket 9', processors: [] })).rejects.toThrow();
    expect(await keys(bucket, 'archive/')).toEqual([archiveTimeKey(T0, digest), archiveRecordKey(digest)].sort());

    const again = await eraseEvent(client, sts, { bucket, eventId: 'evt_gdpr', reason: 'ticket 9', processors: [], now: () => NOW });

    expect(again).toMatchObject({ found: true, recordFound: true });
    expect(await keys(bucket, 'archive/')).toEqual([`archive/erasures/${NOW.toISOString()}-${digest}.json`]);
  });

  test('an erasure cut short after its audit is written is on record, and running it again finishes it with a second entry', async () => {
    const bucket = await createBucket(client, 'erase');
    await archive(client, bucket, record('evt_cut', T0));
    const digest = sha256Hex('evt_cut');
    const dies = failingDeletes(client, archiveRecordKey(digest));

    await expect(eraseEvent(dies, sts, { bucket, eventId: 'evt_cut', reason: 'ticket 6', processors: [], now: () => NOW })).rejects.toThrow();
    expect(await keys(bucket, 'archive/erasures/')).toEqual([`archive/erasures/${NOW.toISOString()}-${digest}.json`]);
    expect(await keys(bucket, 'archive/by-id/')).toEqual([archiveRecordKey(digest)]);

    const later = new Date(NOW.getTime() + 1000);
    const rerun = await eraseEvent(client, sts, { bucket, eventId: 'evt_cut', reason: 'ticket 6', processors: [], now: () => later });
    expect(rerun.found).toBe(true);
    expect(await keys(bucket, 'archive/by-id/')).toEqual([]);
    expect(await keys(bucket, 'archive/erasures/')).toHaveLength(2);
  });
});

/** An S3 client whose DeleteObject of `key` fails (as if the process died there); everything else goes through. */
function failingDeletes(real: S3Client, key: string): S3Api {
  return {
    send: ((command: { constructor: { name: string }; input: { Key?: string } }) => (command.constructor.name === 'DeleteObjectCommand' && command.input.Key === key
      ? Promise.reject(Object.assign(new Error('injected: the process died here'), { name: 'InjectedFailure' }))
      : real.send(command as never))) as S3Api['send'],
  };
}

/** An S3 client whose PutObject under `prefix` fails (before reaching moto); everything else goes through. */
function failingPuts(real: S3Client, prefix: string, errorName = 'AccessDenied'): S3Api {
  return {
    send: (async (command: { constructor: { name: string }; input: { Key?: string } }) => {
      if (command.constructor.name === 'PutObjectCommand' && command.input.Key?.startsWith(prefix)) {
        throw Object.assign(new Error(errorName === 'AccessDenied' ? 'Access Denied' : 'injected: the process died here'), { name: errorName });
      }
      return real.send(command as never);
    }) as S3Api['send'],
  };
}
