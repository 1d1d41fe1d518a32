import { CreateSecretCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UNSET_SECRET_PLACEHOLDER } from '../../../lambda/shared/contract';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { SigningSecretCache, parseSecretValue, type DroppedEntry } from '../../../lambda/verifier/secrets';
import { secretsManager, uniqueName } from '../../support/aws';

describe('parseSecretValue', () => {
  const none = { entries: [], dropped: [] };

  test('a plain value is one secret; a JSON list holds several, with optional expiry', () => {
    expect(parseSecretValue('whsec_abc')).toEqual({ entries: [{ value: 'whsec_abc' }], dropped: [] });
    expect(parseSecretValue('["new", {"value": "old", "validUntil": "2030-01-01T00:00:00Z"}]')).toEqual({
      entries: [{ value: 'new' }, { value: 'old', validUntilMs: Date.parse('2030-01-01T00:00:00Z') }],
      dropped: [],
    });
  });

  test('a value that does not start with [ or { is a literal secret, surrounding whitespace ignored', () => {
    expect(parseSecretValue('  whsec_[x]{y}\n')).toEqual({ entries: [{ value: 'whsec_[x]{y}' }], dropped: [] });
    expect(parseSecretValue('"quoted"')).toEqual({ entries: [{ value: '"quoted"' }], dropped: [] });
    expect(parseSecretValue('12345')).toEqual({ entries: [{ value: '12345' }], dropped: [] });
  });

  test('empty and placeholder values are unset: no secret and nothing reported', () => {
    expect(parseSecretValue(undefined)).toEqual(none);
    expect(parseSecretValue('   ')).toEqual(none);
    expect(parseSecretValue(UNSET_SECRET_PLACEHOLDER)).toEqual(none);
    expect(parseSecretValue('[]')).toEqual(none);
  });

  test.each([
    ['Z', '2030-01-01T00:00:00Z', Date.UTC(2030, 0, 1)],
    ['a +hh:mm offset', '2030-01-01T05:30:00+05:30', Date.UTC(2030, 0, 1)],
    ['a -hh:mm offset', '2029-12-31T19:00:00-05:00', Date.UTC(2030, 0, 1)],
    ['a fraction', '2030-01-01T00:00:00.250Z', Date.UTC(2030, 0, 1) + 250],
    ['no seconds', '2030-01-01T00:00Z', Date.UTC(2030, 0, 1)],
    ['a leap day', '2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['an instant already past (kept here; active() excludes it)', '2000-01-01T00:00:00Z', Date.UTC(2000, 0, 1)],
  ])('validUntil with %s is accepted', (_what, validUntil, ms) => {
    expect(parseSecretValue(JSON.stringify([{ value: 'old', validUntil }]))).toEqual({ entries: [{ value: 'old', validUntilMs: ms }], dropped: [] });
  });

  test('an entry object without validUntil never expires', () => {
    expect(parseSecretValue('[{"value": "old"}]')).toEqual({ entries: [{ value: 'old' }], dropped: [] });
  });

  // Each malformed item sits after a good one: it alone is dropped, with its index and reason.
  test.each([
    ['validUntil a number (epoch ms)', '{"value": "old", "validUntil": 1767225600000}', 'invalid_valid_until'],
    ['validUntil a number (epoch s)', '{"value": "old", "validUntil": 1767225600}', 'invalid_valid_until'],
    ['validUntil null', '{"value": "old", "validUntil": null}', 'invalid_valid_until'],
    ['validUntil a boolean', '{"value": "old", "validUntil": false}', 'invalid_valid_until'],
    ['validUntil an object', '{"value": "old", "validUntil": {"at": "2030-01-01T00:00:00Z"}}', 'invalid_valid_until'],
    ['validUntil a list', '{"value": "old", "validUntil": ["2030-01-01T00:00:00Z"]}', 'invalid_valid_until'],
    ['validUntil empty', '{"value": "old", "validUntil": ""}', 'invalid_valid_until'],
    ['validUntil not a date', '{"value": "old", "validUntil": "not a date"}', 'invalid_valid_until'],
    ['validUntil a date without time', '{"value": "old", "validUntil": "2030-01-01"}', 'invalid_valid_until'],
    ['validUntil without zone (local time)', '{"value": "old", "validUntil": "2030-01-01T00:00:00"}', 'invalid_valid_until'],
    ['validUntil with a space for T', '{"value": "old", "validUntil": "2030-01-01 00:00:00Z"}', 'invalid_valid_until'],
    ['validUntil with lower-case z', '{"value": "old", "validUntil": "2030-01-01T00:00:00z"}', 'invalid_valid_until'],
    ['validUntil with a +hhmm zone', '{"value": "old", "validUntil": "2030-01-01T00:00:00+0000"}', 'invalid_valid_until'],
    ['validUntil padded with spaces', '{"value": "old", "validUntil": " 2030-01-01T00:00:00Z"}', 'invalid_valid_until'],
    ['validUntil in RFC 2822 (Date.parse reads it)', '{"value": "old", "validUntil": "Tue, 01 Jan 2030 00:00:00 GMT"}', 'invalid_valid_until'],
    ['validUntil on 30 February (Date.parse rolls it into March)', '{"value": "old", "validUntil": "2030-02-30T00:00:00Z"}', 'invalid_valid_until'],
    ['validUntil on 29 February of a common year', '{"value": "old", "validUntil": "2030-02-29T00:00:00Z"}', 'invalid_valid_until'],
    ['validUntil at hour 24', '{"value": "old", "validUntil": "2030-01-01T24:00:00Z"}', 'invalid_valid_until'],
    ['validUntil in month 13', '{"value": "old", "validUntil": "2030-13-01T00:00:00Z"}', 'invalid_valid_until'],
    ['an expiry key misspelt', '{"value": "old", "validUntill": "2030-01-01T00:00:00Z"}', 'unknown_key'],
    ['an expiry key in another case', '{"value": "old", "ValidUntil": "2030-01-01T00:00:00Z"}', 'unknown_key'],
    ['an extra key next to a good expiry', '{"value": "old", "validUntil": "2030-01-01T00:00:00Z", "note": "roll #4"}', 'unknown_key'],
    ['a __proto__ key', '{"value": "old", "__proto__": {"validUntil": "2030-01-01T00:00:00Z"}}', 'unknown_key'],
    ['validUntil named twice (JSON.parse keeps the later one)', '{"value": "old", "validUntil": "2020-01-01T00:00:00Z", "validUntil": "2999-01-01T00:00:00Z"}', 'duplicate_key'],
    ['value named twice, spelt with an escape', '{"value": "old", "val\\u0075e": "other"}', 'duplicate_key'],
    ['value missing', '{"validUntil": "2030-01-01T00:00:00Z"}', 'invalid_value'],
    ['value a number', '{"value": 42}', 'invalid_value'],
    ['value null', '{"value": null}', 'invalid_value'],
    ['value an object', '{"value": {"value": "old"}}', 'invalid_value'],
    ['value empty', '{"value": ""}', 'empty_value'],
    ['value blank', '{"value": "  "}', 'empty_value'],
    ['a string entry empty', '""', 'empty_value'],
    ['a string entry blank', '" \\t"', 'empty_value'],
    ['the placeholder as a string entry', JSON.stringify(UNSET_SECRET_PLACEHOLDER), 'placeholder'],
    ['the placeholder as a value', JSON.stringify({ value: UNSET_SECRET_PLACEHOLDER }), 'placeholder'],
    ['a number', '1', 'not_an_entry'],
    ['null', 'null', 'not_an_entry'],
    ['a boolean', 'true', 'not_an_entry'],
    ['a nested list', '["old"]', 'not_an_entry'],
    ['an empty object', '{}', 'invalid_value'],
  ])('drops and reports an entry with %s', (_what, item, reason) => {
    expect(parseSecretValue(`["new", ${item}]`)).toEqual({ entries: [{ value: 'new' }], dropped: [{ index: 1, reason }] });
  });

  test.each([
    ['a list that is not JSON', '["new", "old",]', 'invalid_json'],
    ['an unterminated list', '["new"', 'invalid_json'],
    ['a lone [', '[', 'invalid_json'],
    ['an object that is not JSON', '{"value": "new"', 'invalid_json'],
    ['a single entry stored without its list', '{"value": "old", "validUntil": "2020-01-01T00:00:00Z"}', 'not_a_list'],
    ['an object of secrets', '{"new": "whsec_new"}', 'not_a_list'],
  ])('drops and reports the whole value when it is %s', (_what, raw, reason) => {
    expect(parseSecretValue(raw)).toEqual({ entries: [], dropped: [{ reason }] });
  });

  test('a secret listed twice is kept once, with the earliest expiry, the others reported', () => {
    const parsed = parseSecretValue('["old", {"value": "old", "validUntil": "2030-01-01T00:00:00Z"}, "new", {"value": "old", "validUntil": "2031-01-01T00:00:00Z"}]');
    expect(parsed).toEqual({
      entries: [{ value: 'old', validUntilMs: Date.parse('2030-01-01T00:00:00Z') }, { value: 'new' }],
      dropped: [{ index: 0, reason: 'duplicate_value' }, { index: 3, reason: 'duplicate_value' }],
    });
    expect(parseSecretValue('["new", "new"]')).toEqual({ entries: [{ value: 'new' }], dropped: [{ index: 1, reason: 'duplicate_value' }] });
  });

  test('several malformed entries are each reported, by index, and no report carries a secret', () => {
    const raw = '["s3cr3t-a", 1, null, {"value": "s3cr3t-b", "validUntil": 1}, {"value": "s3cr3t-c", "validUntill": "2030-01-01T00:00:00Z"}, {"value": "s3cr3t-d"}]';
    const parsed = parseSecretValue(raw);
    expect(parsed.entries).toEqual([{ value: 's3cr3t-a' }, { value: 's3cr3t-d' }]);
    expect(parsed.dropped).toEqual([
      { index: 1, reason: 'not_an_entry' }, { index: 2, reason: 'not_an_entry' },
      { index: 3, reason: 'invalid_valid_until' }, { index: 4, reason: 'unknown_key' },
    ]);
    expect(JSON.stringify(parsed.dropped)).not.toMatch(/s3cr3t/);
  });

  test('brackets and quotes inside values do not confuse the duplicate-key check', () => {
    expect(parseSecretValue('[{"value": "a\\"[{,\\"value\\":", "validUntil": "2030-01-01T00:00:00Z"}, "b,]}"]')).toEqual({
      entries: [{ value: 'a"[{,"value":', validUntilMs: Date.parse('2030-01-01T00:00:00Z') }, { value: 'b,]}' }],
      dropped: [],
    });
  });
});

describe('SigningSecretCache reports dropped entries', () => {
  const stub = (value: () => string) => {
    const calls = { count: 0 };
    const client = { send: async () => { calls.count += 1; return { SecretString: value() }; } } as unknown as SecretsManagerClient;
    return { client, calls };
  };

  test('the callback fires once per fetch, with every dropped entry, and not on cached reads', async () => {
    let now = 0;
    const reports: (readonly DroppedEntry[])[] = [];
    const { client, calls } = stub(() => '["new", {"value": "old", "validUntil": 1767225600000}, {"value": "older", "validUntill": "2030-01-01T00:00:00Z"}]');
    const cache = new SigningSecretCache(client, 'arn', 1000, () => now, (dropped) => reports.push(dropped));
    const results = await Promise.all([cache.active(), cache.active(), cache.active()]);
    expect(results.map((r) => r.values)).toEqual([['new'], ['new'], ['new']]);
    expect(calls.count).toBe(1);
    expect(reports).toEqual([[{ index: 1, reason: 'invalid_valid_until' }, { index: 2, reason: 'unknown_key' }]]);
    now = 999;
    await cache.active();
    expect(reports).toHaveLength(1);
    now = 1000;
    await cache.active();
    expect(reports.map((r) => r.length)).toEqual([2, 2]);
  });

  test('a whole value dropped is reported as one entry; nothing dropped, no call', async () => {
    const reports: (readonly DroppedEntry[])[] = [];
    await new SigningSecretCache(stub(() => '{"value": "old"}').client, 'arn', 1000, Date.now, (d) => reports.push(d)).active();
    expect(reports).toEqual([[{ reason: 'not_a_list' }]]);
    await new SigningSecretCache(stub(() => '["new", {"value": "old", "validUntil": "2030-01-01T00:00:00Z"}]').client, 'arn', 1000, Date.now, (d) => reports.push(d)).active();
    await new SigningSecretCache(stub(() => UNSET_SECRET_PLACEHOLDER).client, 'arn', 1000, Date.now, (d) => reports.push(d)).active();
    expect(reports).toHaveLength(1);
  });

  test('a well-formed entry past its validUntil is excluded, not reported as dropped', async () => {
    const reports: (readonly DroppedEntry[])[] = [];
    const raw = '["new", {"value": "old", "validUntil": "2030-01-01T00:00:00Z"}, {"value": "later", "validUntil": "2030-01-01T01:00:00+01:00"}]';
    const cache = new SigningSecretCache(stub(() => raw).client, 'arn', 1000, () => Date.parse('2030-01-01T00:00:00Z'), (d) => reports.push(d));
    expect((await cache.active()).values).toEqual(['new']);
    expect(reports).toEqual([]);
  });

  test('a callback that throws does not make the secret unreadable', async () => {
    const cache = new SigningSecretCache(stub(() => '["new", null]').client, 'arn', 1000, Date.now, () => { throw new Error('metrics down'); });
    expect((await cache.active()).values).toEqual(['new']);
  });

  test('an entry whose validUntil is a number or null is never accepted, whatever the time', async () => {
    const cache = new SigningSecretCache(stub(() => '[{"value": "old", "validUntil": 4102444800000}, {"value": "older", "validUntil": null}]').client, 'arn', 1000, () => 0);
    expect((await cache.active()).values).toEqual([]);
  });
});

describe('SigningSecretCache against moto Secrets Manager', () => {
  let client: SecretsManagerClient;
  beforeAll(() => {
    client = secretsManager();
  });

  async function secret(value?: string): Promise<string> {
    const created = await client.send(new CreateSecretCommand({ Name: uniqueName('signing'), ...(value === undefined ? {} : { SecretString: value }) }));
    return created.ARN as string;
  }

  test('a secret created without a value reads as unset, not as an outage', async () => {
    const cache = new SigningSecretCache(client, await secret(), 60_000);
    expect((await cache.active()).values).toEqual([]);
  });

  test('the value is cached for the TTL, then a new value takes effect without a redeploy', async () => {
    let now = 0;
    const arn = await secret(UNSET_SECRET_PLACEHOLDER);
    const cache = new SigningSecretCache(client, arn, 1000, () => now);
    expect((await cache.active()).values).toEqual([]);
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'whsec_live' }));
    now = 999;
    expect((await cache.active()).values).toEqual([]);
    now = 1000;
    expect((await cache.active()).values).toEqual(['whsec_live']);
  });

  test('an entry past its validUntil stops being accepted even before the next fetch', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z') - 1;
    const arn = await secret(JSON.stringify(['new', { value: 'old', validUntil: '2030-01-01T00:00:00Z' }]));
    const cache = new SigningSecretCache(client, arn, 3_600_000, () => now);
    expect((await cache.active()).values).toEqual(['new', 'old']);
    now += 1;
    expect((await cache.active()).values).toEqual(['new']);
  });

  test('malformed entries of the stored value fail closed and the callback gets their count once per fetch', async () => {
    const arn = await secret(JSON.stringify(['new', { value: 'old', validUntil: null }, { value: 'older', validUntill: '2030-01-01T00:00:00Z' }, { value: 'oldest', validUntil: 4102444800000 }]));
    const counts: number[] = [];
    const cache = new SigningSecretCache(client, arn, 60_000, Date.now, (dropped) => counts.push(dropped.length));
    expect((await cache.active()).values).toEqual(['new']);
    expect((await cache.active()).values).toEqual(['new']);
    expect(counts).toEqual([3]);
  });

  test('concurrent cold callers share one fetch', async () => {
    const arn = await secret('whsec_shared');
    let fetches = 0;
    const counting = { send: (command: unknown) => { fetches += 1; return client.send(command as never); } } as unknown as SecretsManagerClient;
    const cache = new SigningSecretCache(counting, arn, 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.active()));
    expect(results.every((r) => r.values[0] === 'whsec_shared')).toBe(true);
    expect(fetches).toBe(1);
  });

  test('a Secrets Manager failure is a DownstreamError (the verifier answers 503)', async () => {
    const failing = { send: async () => { throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' }); } } as unknown as SecretsManagerClient;
    await expect(new SigningSecretCache(failing, 'arn', 1000).active()).rejects.toBeInstanceOf(DownstreamError);
  });
});
