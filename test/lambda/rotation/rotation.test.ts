import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand,
  RotateSecretCommand, UntagResourceCommand, type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as path from 'node:path';
import type { Context, SecretsManagerRotationEventStep } from 'aws-lambda';
import { loadBundle } from '../../../local/lambda';
import { IssuerError, RotationStateError, TokenTestFailedError } from '../../../lambda/rotation/errors';
import { LambdaIssuer, RandomIssuer, type Issuer } from '../../../lambda/rotation/issuers';
import type { LambdaInvoker } from '../../../lambda/rotation/invoker';
import { handleRotationEvent, revokeExpiredPrevious, rotationStep, type LogEntry, type RotationDependencies } from '../../../lambda/rotation/rotation';
import {
  REVOKE_PREVIOUS_ACTION, TOKEN_TAGS, UNISSUED_TOKEN_PLACEHOLDER, type RotationConfig, type TokenIssuerRequest,
} from '../../../lambda/shared/contract';
import { parseTokenValue } from '../../../lambda/shared/token-value';
import { secretsManager, uniqueName } from '../../support/aws';

// Drives the rotation function's steps directly against moto's Secrets Manager (moto's RotateSecret
// would try to invoke a Lambda itself), the way Secrets Manager calls them.

const GRACE_SECONDS = 3600;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

interface Harness {
  readonly client: SecretsManagerClient;
  readonly arn: string;
  readonly initialVersion: string;
  readonly deps: (issuer: Issuer) => RotationDependencies;
  readonly logs: LogEntry[];
  now: number;
}

async function harness(): Promise<Harness> {
  const client = secretsManager();
  const { ARN } = await client.send(new CreateSecretCommand({ Name: uniqueName('hw-token') }));
  const arn = ARN as string;
  // With no version yet, moto only turns rotation on; then the placeholder CloudFormation writes.
  await client.send(new RotateSecretCommand({ SecretId: arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
  const { VersionId } = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: UNISSUED_TOKEN_PLACEHOLDER }));
  const logs: LogEntry[] = [];
  const h: Harness = {
    client,
    arn,
    initialVersion: VersionId as string,
    logs,
    now: T0,
    deps: (issuer) => ({
      client,
      issuer,
      config: config(arn),
      clock: () => h.now,
      log: (entry) => logs.push(entry),
    }),
  };
  return h;
}

function config(secretArn: string): RotationConfig {
  return { tokenName: 'orders-write', secretArn, graceSeconds: GRACE_SECONDS, issuer: { kind: 'random', length: 64 } };
}

const step = (h: Harness, issuer: Issuer, Step: SecretsManagerRotationEventStep, token: string): Promise<void> =>
  rotationStep({ Step, SecretId: h.arn, ClientRequestToken: token }, h.deps(issuer));

async function rotate(h: Harness, issuer: Issuer, token = randomUUID()): Promise<string> {
  for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(h, issuer, name, token);
  return token;
}

/** Version ID → sorted labels, versions without labels left out. */
async function stages(h: Harness): Promise<Record<string, string[]>> {
  const { VersionIdsToStages = {} } = await h.client.send(new DescribeSecretCommand({ SecretId: h.arn }));
  return Object.fromEntries(Object.entries(VersionIdsToStages).filter(([, labels]) => labels.length > 0).map(([id, labels]) => [id, [...labels].sort()]));
}

async function tags(h: Harness): Promise<Record<string, string>> {
  const { Tags = [] } = await h.client.send(new DescribeSecretCommand({ SecretId: h.arn }));
  return Object.fromEntries(Tags.map((tag) => [tag.Key, tag.Value]));
}

async function valueAt(h: Harness, stage: string): Promise<string | undefined> {
  return (await h.client.send(new GetSecretValueCommand({ SecretId: h.arn, VersionStage: stage }))).SecretString;
}

/** Everything a step could change: labels, every version's value, the tags. */
async function snapshot(h: Harness): Promise<unknown> {
  const { Versions = [] } = await h.client.send(new ListSecretVersionIdsCommand({ SecretId: h.arn, IncludeDeprecated: true }));
  const values: Record<string, string | undefined> = {};
  for (const version of Versions) {
    values[version.VersionId as string] = (await h.client.send(new GetSecretValueCommand({ SecretId: h.arn, VersionId: version.VersionId }))).SecretString;
  }
  return { stages: await stages(h), values, tags: await tags(h) };
}

/** A fake issuer function: records every request, answers per action. */
class FakeIssuerFunction implements LambdaInvoker {
  public readonly requests: TokenIssuerRequest[] = [];
  public testAnswer: unknown = { ok: true };
  public mintAnswer: (request: TokenIssuerRequest) => unknown = (request) => ({
    token: `partner_${request.versionId}`,
    tokenId: `id-${request.versionId}`,
    expiresAt: '2027-01-01T00:00:00.000Z',
    metadata: { scope: 'orders:write' },
  });

  public async invoke(functionName: string, request: TokenIssuerRequest): Promise<unknown> {
    expect(functionName).toBe('arn:aws:lambda:us-east-1:123456789012:function:partner-issuer');
    this.requests.push(request);
    switch (request.action) {
      case 'mint': return this.mintAnswer(request);
      case 'test': return this.testAnswer;
      default: return {};
    }
  }

  public actions(): string[] {
    return this.requests.map((request) => `${request.action}:${request.versionId}`);
  }
}

const lambdaIssuer = (fake: FakeIssuerFunction) => new LambdaIssuer('arn:aws:lambda:us-east-1:123456789012:function:partner-issuer', fake);

describe('a rotation with the random issuer', () => {
  test('moves the stages as specified: new version AWSPENDING, then AWSCURRENT; the old one AWSPREVIOUS', async () => {
    // GIVEN a secret holding the placeholder
    const h = await harness();
    const issuer = new RandomIssuer(64);
    const token = randomUUID();

    // WHEN createSecret runs
    await step(h, issuer, 'createSecret', token);
    // THEN the new version is AWSPENDING and AWSCURRENT is untouched
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
    const pending = parseTokenValue((await h.client.send(new GetSecretValueCommand({ SecretId: h.arn, VersionId: token, VersionStage: 'AWSPENDING' }))).SecretString as string);
    expect(pending).toEqual({ v: 1, token: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/), issuedAt: '2026-03-01T12:00:00.000Z' });

    // WHEN setSecret and testSecret run, nothing moves
    await step(h, issuer, 'setSecret', token);
    await step(h, issuer, 'testSecret', token);
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });

    // WHEN finishSecret runs
    h.now = T0 + 5000;
    await step(h, issuer, 'finishSecret', token);
    // THEN the new token is AWSCURRENT, the placeholder AWSPREVIOUS, AWSPENDING is gone, and the switch time is recorded
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(parseTokenValue(await valueAt(h, 'AWSCURRENT') as string).token).toBe(pending.token);
    expect(await tags(h)).toEqual({ [TOKEN_TAGS.CURRENT_VERSION]: token, [TOKEN_TAGS.CURRENT_SINCE]: '2026-03-01T12:00:05.000Z' });
  });

  test.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)('re-running %s changes nothing', async (again) => {
    // GIVEN a rotation that has run up to and including the step
    const h = await harness();
    const issuer = new RandomIssuer(64);
    const token = randomUUID();
    const order = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
    for (const name of order.slice(0, order.indexOf(again) + 1)) await step(h, issuer, name, token);
    const before = await snapshot(h);
    // WHEN the same step runs again (Secrets Manager retries)
    h.now += 60_000;
    await step(h, issuer, again, token);
    // THEN labels, values and tags are as they were
    expect(await snapshot(h)).toEqual(before);
  });

  test('a second rotation retires the previous version and keeps one AWSPREVIOUS', async () => {
    const h = await harness();
    const issuer = new RandomIssuer(64);
    const first = await rotate(h, issuer);
    h.now += 86_400_000;
    const second = await rotate(h, issuer);
    expect(await stages(h)).toEqual({ [first]: ['AWSPREVIOUS'], [second]: ['AWSCURRENT'] });
  });
});

describe('the ClientRequestToken checks', () => {
  test('a step for a version the secret does not have is refused (createSecret excepted)', async () => {
    const h = await harness();
    await expect(step(h, new RandomIssuer(64), 'setSecret', randomUUID())).rejects.toThrow(/has no stage for rotation/);
    await expect(step(h, new RandomIssuer(64), 'finishSecret', randomUUID())).rejects.toThrow(RotationStateError);
  });

  test('a step for a version that is not AWSPENDING is refused', async () => {
    const h = await harness();
    const first = await rotate(h, new RandomIssuer(64));
    await rotate(h, new RandomIssuer(64));
    // `first` is now AWSPREVIOUS
    await expect(step(h, new RandomIssuer(64), 'testSecret', first)).rejects.toThrow(`version ${first} of the secret is not AWSPENDING`);
  });

  test('any step for the AWSCURRENT version does nothing', async () => {
    const h = await harness();
    const token = await rotate(h, new RandomIssuer(64));
    const before = await snapshot(h);
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(h, new RandomIssuer(64), name, token);
    expect(await snapshot(h)).toEqual(before);
    expect(h.logs.filter((entry) => entry.msg.includes('already AWSCURRENT'))).toHaveLength(4);
  });

  test('a secret without rotation enabled is refused', async () => {
    const h = await harness();
    const other = (await h.client.send(new CreateSecretCommand({ Name: uniqueName('hw-plain'), SecretString: 'x' }))).ARN as string;
    const deps = { ...h.deps(new RandomIssuer(64)), config: config(other) };
    await expect(rotationStep({ Step: 'createSecret', SecretId: other, ClientRequestToken: randomUUID() }, deps)).rejects.toThrow(/is not enabled for rotation/);
  });

  test('a secret other than the configured one is refused before any call', async () => {
    const h = await harness();
    await expect(rotationStep({ Step: 'createSecret', SecretId: `${h.arn}-other`, ClientRequestToken: randomUUID() }, h.deps(new RandomIssuer(64))))
      .rejects.toThrow(`this function rotates ${h.arn} only`);
  });
});

describe('a failing testSecret', () => {
  test('leaves AWSCURRENT as it was; a later successful attempt finishes the same version', async () => {
    // GIVEN a first token, and an issuer whose test of the next one fails
    const h = await harness();
    const fake = new FakeIssuerFunction();
    const first = await rotate(h, lambdaIssuer(fake));
    const currentBefore = await valueAt(h, 'AWSCURRENT');
    fake.testAnswer = { ok: false, reason: 'partner API answered 401' };
    const token = randomUUID();
    await step(h, lambdaIssuer(fake), 'createSecret', token);
    await step(h, lambdaIssuer(fake), 'setSecret', token);

    // WHEN testSecret runs
    await expect(step(h, lambdaIssuer(fake), 'testSecret', token)).rejects.toThrow(new TokenTestFailedError('partner API answered 401'));

    // THEN AWSCURRENT is the first token still
    expect(await valueAt(h, 'AWSCURRENT')).toBe(currentBefore);
    expect(await stages(h)).toMatchObject({ [first]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });

    // WHEN the issuer recovers and Secrets Manager retries
    fake.testAnswer = { ok: true };
    await step(h, lambdaIssuer(fake), 'testSecret', token);
    await step(h, lambdaIssuer(fake), 'finishSecret', token);
    expect(await stages(h)).toEqual({ [first]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
  });

  test('a test answer without "ok" fails too; a thrown issuer error fails as a test failure', async () => {
    const h = await harness();
    const fake = new FakeIssuerFunction();
    const token = randomUUID();
    await step(h, lambdaIssuer(fake), 'createSecret', token);
    fake.testAnswer = { fine: true };
    await expect(step(h, lambdaIssuer(fake), 'testSecret', token)).rejects.toThrow(/without a boolean "ok"/);
    const throwing: LambdaInvoker = { invoke: async (_fn, request) => { throw new IssuerError(request.action, 'boom'); } };
    await expect(step(h, new LambdaIssuer('f', throwing), 'testSecret', token)).rejects.toThrow(TokenTestFailedError);
    expect(await stages(h)).toMatchObject({ [h.initialVersion]: ['AWSCURRENT'] });
  });
});

describe('the issuer function contract', () => {
  test('mint, activate, test per rotation; the token two generations back is revoked when the next rotation starts', async () => {
    // GIVEN an issuer function
    const h = await harness();
    const fake = new FakeIssuerFunction();

    // WHEN three rotations run
    const first = await rotate(h, lambdaIssuer(fake));
    const second = await rotate(h, lambdaIssuer(fake));
    const third = await rotate(h, lambdaIssuer(fake));

    // THEN the function was asked exactly this (the placeholder is never sent)
    expect(fake.actions()).toEqual([
      `mint:${first}`, `activate:${first}`, `test:${first}`,
      `mint:${second}`, `activate:${second}`, `test:${second}`,
      `revoke:${first}`, `mint:${third}`, `activate:${third}`, `test:${third}`,
    ]);
    const tokenOf = (version: string) => ({ value: `partner_${version}`, tokenId: `id-${version}`, expiresAt: '2027-01-01T00:00:00.000Z', metadata: { scope: 'orders:write' } });
    const base = { v: 1, tokenName: 'orders-write', secretArn: h.arn };
    expect(fake.requests[0]).toEqual({ ...base, action: 'mint', versionId: first });
    expect(fake.requests[1]).toEqual({ ...base, action: 'activate', versionId: first, token: tokenOf(first) });
    expect(fake.requests[2]).toEqual({ ...base, action: 'test', versionId: first, token: tokenOf(first) });
    expect(fake.requests[6]).toEqual({ ...base, action: 'revoke', versionId: first, token: tokenOf(first) });

    // AND the stored value carries what mint returned
    expect(parseTokenValue(await valueAt(h, 'AWSCURRENT') as string)).toEqual({
      v: 1, token: `partner_${third}`, tokenId: `id-${third}`, expiresAt: '2027-01-01T00:00:00.000Z', metadata: { scope: 'orders:write' }, issuedAt: new Date(h.now).toISOString(),
    });
    expect(await stages(h)).toEqual({ [second]: ['AWSPREVIOUS'], [third]: ['AWSCURRENT'] });
  });

  test.each([
    ['no token', {}, /"token" must be a string of 1–8192 characters/],
    ['an empty token', { token: '' }, /"token" must be a string/],
    ['a numeric tokenId', { token: 't', tokenId: 7 }, /"tokenId" must be a string/],
    ['a bad expiry', { token: 't', expiresAt: 'soon' }, /"expiresAt" must be an ISO 8601 date/],
    ['non-string metadata', { token: 't', metadata: { n: 1 } }, /"metadata" must be an object of strings/],
    ['null', null, /not a JSON object/],
  ])('a mint answer with %s fails createSecret and stores nothing', async (_what, answer, message) => {
    const h = await harness();
    const fake = new FakeIssuerFunction();
    fake.mintAnswer = () => answer;
    const token = randomUUID();
    await expect(step(h, lambdaIssuer(fake), 'createSecret', token)).rejects.toThrow(message);
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSCURRENT'] });
  });

  test('a pending token left by an unfinished rotation is revoked before the next one mints', async () => {
    const h = await harness();
    const fake = new FakeIssuerFunction();
    const abandoned = randomUUID();
    await step(h, lambdaIssuer(fake), 'createSecret', abandoned);
    await step(h, lambdaIssuer(fake), 'setSecret', abandoned);
    const next = await rotate(h, lambdaIssuer(fake));
    expect(fake.actions()).toEqual([`mint:${abandoned}`, `activate:${abandoned}`, `revoke:${abandoned}`, `mint:${next}`, `activate:${next}`, `test:${next}`]);
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSPREVIOUS'], [next]: ['AWSCURRENT'] });
  });
});

describe('the grace sweep', () => {
  test('revokes the previous token only once the grace is over, then has nothing to do', async () => {
    // GIVEN two rotations: `first` became AWSPREVIOUS at T
    const h = await harness();
    const fake = new FakeIssuerFunction();
    const first = await rotate(h, lambdaIssuer(fake));
    h.now += 7 * 86_400_000;
    const replacedAt = h.now;
    const second = await rotate(h, lambdaIssuer(fake));
    fake.requests.length = 0;

    // WHEN the sweep runs within the grace, nothing happens
    h.now = replacedAt + GRACE_SECONDS * 1000 - 1;
    expect(await revokeExpiredPrevious(h.deps(lambdaIssuer(fake)))).toEqual({ revoked: false, reason: 'in-grace' });
    expect(fake.requests).toEqual([]);

    // WHEN it runs once the grace is over
    h.now = replacedAt + GRACE_SECONDS * 1000;
    expect(await handleRotationEvent({ action: REVOKE_PREVIOUS_ACTION }, h.deps(lambdaIssuer(fake)))).toEqual({ revoked: true, versionId: first });
    // THEN the issuer revoked it and AWSPREVIOUS is gone: services checking the secret refuse it
    expect(fake.actions()).toEqual([`revoke:${first}`]);
    expect(await stages(h)).toEqual({ [second]: ['AWSCURRENT'] });

    // AND a second sweep has nothing to do
    expect(await revokeExpiredPrevious(h.deps(lambdaIssuer(fake)))).toEqual({ revoked: false, reason: 'no-previous' });
    expect(fake.requests).toHaveLength(1);
  });

  test('the placeholder is retired without calling the issuer', async () => {
    const h = await harness();
    const fake = new FakeIssuerFunction();
    const token = await rotate(h, lambdaIssuer(fake));
    h.now += GRACE_SECONDS * 1000;
    expect(await revokeExpiredPrevious(h.deps(lambdaIssuer(fake)))).toEqual({ revoked: true, versionId: h.initialVersion });
    expect(fake.actions().filter((action) => action.startsWith('revoke'))).toEqual([]);
    expect(await stages(h)).toEqual({ [token]: ['AWSCURRENT'] });
  });

  test('when the replacement time is unknown, the grace starts now rather than revoking early', async () => {
    const h = await harness();
    const token = await rotate(h, new RandomIssuer(64));
    await h.client.send(new UntagResourceCommand({ SecretId: h.arn, TagKeys: [TOKEN_TAGS.CURRENT_SINCE, TOKEN_TAGS.CURRENT_VERSION] }));
    h.now += 30 * 86_400_000;
    expect(await revokeExpiredPrevious(h.deps(new RandomIssuer(64)))).toEqual({ revoked: false, reason: 'grace-started' });
    expect(await tags(h)).toEqual({ [TOKEN_TAGS.CURRENT_VERSION]: token, [TOKEN_TAGS.CURRENT_SINCE]: new Date(h.now).toISOString() });
    h.now += GRACE_SECONDS * 1000;
    expect(await revokeExpiredPrevious(h.deps(new RandomIssuer(64)))).toMatchObject({ revoked: true });
  });

  test('an event that is neither a step nor the sweep is refused', async () => {
    const h = await harness();
    await expect(handleRotationEvent({ hello: 'world' }, h.deps(new RandomIssuer(64)))).rejects.toThrow(RotationStateError);
  });
});

describe('the bundled handler (assets/rotation/index.js)', () => {
  test('rotates a secret end to end from its environment, and runs the sweep', async () => {
    // GIVEN the bundle configured as the construct configures it, its (bundled) SDK pointed at moto,
    // loaded as a fresh module instance with that environment, as a new execution environment loads it
    const h = await harness();
    const handler = loadBundle({
      file: path.join(__dirname, '..', '..', '..', 'assets', 'rotation', 'index.js'),
      exportName: 'handler',
      env: {
        ...(process.env as Record<string, string>),
        HW_ROTATION_CONFIG: JSON.stringify(config(h.arn)),
        AWS_ENDPOINT_URL_SECRETS_MANAGER: process.env.HW_MOTO_ENDPOINT ?? '',
      },
    });
    const invoke = (event: unknown) => handler(event, {} as Context);
    const token = randomUUID();
    // WHEN Secrets Manager calls the four steps
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await invoke({ Step, SecretId: h.arn, ClientRequestToken: token });
    }
    // THEN
    expect(await stages(h)).toEqual({ [h.initialVersion]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
    expect(await invoke({ action: REVOKE_PREVIOUS_ACTION })).toEqual({ revoked: false, reason: 'in-grace' });
  });
});
