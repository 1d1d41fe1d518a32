import { CreateSecretCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UNSET_SECRET_PLACEHOLDER } from '../../../lambda/shared/contract';
import { DownstreamError } from '../../../lambda/verifier/errors';
import { SigningSecretCache, parseSecretValue } from '../../../lambda/verifier/secrets';
import { secretsManager, uniqueName } from '../../support/aws';

describe('parseSecretValue', () => {
  test('a plain value is one secret; a JSON list holds several, with optional expiry', () => {
    expect(parseSecretValue('whsec_abc')).toEqual([{ value: 'whsec_abc' }]);
    expect(parseSecretValue('["new", {"value": "old", "validUntil": "2030-01-01T00:00:00Z"}]')).toEqual([
      { value: 'new' },
      { value: 'old', validUntilMs: Date.parse('2030-01-01T00:00:00Z') },
    ]);
  });

  test('empty, placeholder and unusable values yield no secret (fail closed)', () => {
    expect(parseSecretValue(undefined)).toEqual([]);
    expect(parseSecretValue('   ')).toEqual([]);
    expect(parseSecretValue(UNSET_SECRET_PLACEHOLDER)).toEqual([]);
    expect(parseSecretValue('[]')).toEqual([]);
    expect(parseSecretValue('[1, null, {"value": ""}, {"value": "x", "validUntil": "not a date"}]')).toEqual([]);
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
