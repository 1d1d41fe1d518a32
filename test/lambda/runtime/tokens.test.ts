import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient, type SecretsManagerClient as Client } from '@aws-sdk/client-secrets-manager';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsMetricsSink, ScopedTokens, TokenConfigError, TokenUnavailableError, UnknownTokenError } from '../../../lambda/runtime';
import { tokenMetricId, UNISSUED_TOKEN_PLACEHOLDER } from '../../../lambda/shared/contract';
import { motoEndpoint, secretsManager, uniqueName } from '../../support/aws';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function tokenValue(token: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, token, issuedAt: '2026-03-01T00:00:00.000Z', ...extra });
}

/** The secret's name, from an ARN `arn:…:secret:<name>-<6 characters>` (what the usage metric is keyed by). */
function secretNameOf(arn: string): string {
  const name = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1];
  if (!name) throw new Error(`not a secret ARN: ${arn}`);
  return name;
}

async function secretHolding(client: Client, value: string): Promise<string> {
  const { ARN } = await client.send(new CreateSecretCommand({ Name: uniqueName('hw-runtime-token'), SecretString: value }));
  return ARN as string;
}

/** Captures what is written to stdout (Powertools writes EMF there) and parses the EMF lines. */
function captureStdout() {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim() !== ''));
    return true;
  });
  return {
    emf: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => '_aws' in record),
    restore: () => spy.mockRestore(),
  };
}

interface Setup {
  readonly tokens: ScopedTokens;
  readonly arn: string;
  readonly client: Client;
  /** GetSecretValue calls the runtime made. */
  readonly reads: () => unknown[];
  now: number;
}

async function setup(initial = tokenValue('tok-1'), ttlSeconds = 300): Promise<Setup> {
  const client = secretsManager();
  const arn = await secretHolding(client, initial);
  const send = jest.spyOn(client, 'send');
  const s: Setup = {
    arn,
    client,
    reads: () => send.mock.calls.map(([command]) => command).filter((command) => command.constructor.name === 'GetSecretValueCommand').map((command) => command.input),
    now: T0,
    tokens: new ScopedTokens({
      secretArns: { 'orders-write': arn },
      processorName: 'fulfilment',
      cacheTtlSeconds: ttlSeconds,
      client,
      metrics: new PowertoolsMetricsSink(new Metrics({ namespace: 'HardenedWebhooks', serviceName: 'test' })),
      clock: () => s.now,
    }),
  };
  return s;
}

/** Rotation as the runtime sees it: a new AWSCURRENT version. */
async function rotateTo(s: Setup, value: string): Promise<void> {
  await s.client.send(new PutSecretValueCommand({ SecretId: s.arn, SecretString: value }));
}

let stdout: ReturnType<typeof captureStdout>;
beforeEach(() => {
  stdout = captureStdout();
});
afterEach(() => stdout.restore());

describe('tokens.get', () => {
  test('returns the AWSCURRENT token and serves it from memory within the TTL', async () => {
    const s = await setup();
    expect(await s.tokens.get('orders-write')).toBe('tok-1');
    s.now += 299_000;
    expect(await s.tokens.get('orders-write')).toBe('tok-1');
    expect(s.reads()).toEqual([{ SecretId: s.arn, VersionStage: 'AWSCURRENT' }]);
  });

  test('after a rotation, the new token is served once the TTL has passed', async () => {
    const s = await setup();
    await s.tokens.get('orders-write');
    await rotateTo(s, tokenValue('tok-2'));
    s.now += 299_000;
    expect(await s.tokens.get('orders-write')).toBe('tok-1');
    s.now += 1_000;
    expect(await s.tokens.get('orders-write')).toBe('tok-2');
    expect(s.reads()).toHaveLength(2);
  });

  test('invalidate (the API refused the token) makes the next get read the secret again', async () => {
    const s = await setup();
    await s.tokens.get('orders-write');
    await rotateTo(s, tokenValue('tok-2'));
    s.tokens.invalidate('orders-write');
    expect(await s.tokens.get('orders-write')).toBe('tok-2');
    s.tokens.invalidate();
    await s.tokens.get('orders-write');
    expect(s.reads()).toHaveLength(3);
  });

  test('a token past its expiresAt is read again before the TTL', async () => {
    const s = await setup(tokenValue('short-lived', { expiresAt: new Date(T0 + 10_000).toISOString() }));
    await s.tokens.get('orders-write');
    await rotateTo(s, tokenValue('tok-2'));
    s.now += 10_000;
    expect(await s.tokens.get('orders-write')).toBe('tok-2');
  });

  test('a token whose expiresAt is still ahead is served from memory like any other', async () => {
    const s = await setup(tokenValue('long-lived', { expiresAt: new Date(T0 + 3_600_000).toISOString() }));
    await s.tokens.get('orders-write');
    s.now += 60_000;
    expect(await s.tokens.get('orders-write')).toBe('long-lived');
    expect(s.reads()).toHaveLength(1);
  });

  test('invalidate(name) forgets that token only', async () => {
    const client = secretsManager();
    const send = jest.spyOn(client, 'send');
    const tokens = new ScopedTokens({
      secretArns: { first: await secretHolding(client, tokenValue('tok-a')), second: await secretHolding(client, tokenValue('tok-b')) },
      client, metrics: { count: () => undefined },
    });
    await tokens.get('first');
    await tokens.get('second');
    send.mockClear();
    tokens.invalidate('first');
    expect(await tokens.get('second')).toBe('tok-b');
    expect(send).not.toHaveBeenCalled();
    expect(await tokens.get('first')).toBe('tok-a');
    expect(send).toHaveBeenCalledTimes(1);
  });

  test('concurrent first calls share one read', async () => {
    const s = await setup();
    const values = await Promise.all([s.tokens.get('orders-write'), s.tokens.get('orders-write'), s.tokens.get('orders-write')]);
    expect(values).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(s.reads()).toHaveLength(1);
  });

  test('a TTL of 0 reads on every call', async () => {
    const s = await setup(tokenValue('tok-1'), 0);
    await s.tokens.get('orders-write');
    await s.tokens.get('orders-write');
    expect(s.reads()).toHaveLength(2);
  });
});

describe('usage metric', () => {
  test('each get records exactly one TokenUsage data point (EMF), by token and by token and processor, cached or not', async () => {
    // GIVEN
    const s = await setup();
    // WHEN three uses, one of them read from Secrets Manager
    await s.tokens.get('orders-write');
    await s.tokens.get('orders-write');
    await s.tokens.get('orders-write');
    // THEN three EMF records, each one data point
    const records = stdout.emf();
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(record).toEqual({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [{ Namespace: 'HardenedWebhooks', Dimensions: [['Token'], ['Token', 'Processor']], Metrics: [{ Name: 'TokenUsage', Unit: 'Count' }] }],
        },
        // the secret's name (unique per account and Region), read from its ARN — not the token's name
        Token: secretNameOf(s.arn),
        Processor: 'fulfilment',
        TokenUsage: 1,
      });
    }
  });

  test('an injected sink receives the counts; without a processor name, by token only', async () => {
    const saved = process.env.HW_PROCESSOR_NAME;
    delete process.env.HW_PROCESSOR_NAME;
    try {
      const client = secretsManager();
      const counts: unknown[] = [];
      const arn = await secretHolding(client, tokenValue('tok-1'));
      const tokens = new ScopedTokens({ secretArns: { 'orders-write': arn }, client, metrics: { count: (...args) => void counts.push(args) } });
      await tokens.get('orders-write');
      expect(counts).toEqual([['TokenUsage', [{ Token: secretNameOf(arn) }]]]);
      expect(stdout.emf()).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.HW_PROCESSOR_NAME = saved;
    }
  });

  test('with the endpoint known (HW_ENDPOINT_NAME, set by addProcessor), the by-processor set carries it: processor names are unique per endpoint only', async () => {
    const client = secretsManager();
    const counts: unknown[] = [];
    const arn = await secretHolding(client, tokenValue('tok-1'));
    const tokens = new ScopedTokens({ secretArns: { 'orders-write': arn }, client, processorName: 'audit', endpointName: 'Payments/Stripe', metrics: { count: (...args) => void counts.push(args) } });
    await tokens.get('orders-write');
    expect(counts).toEqual([['TokenUsage', [{ Token: secretNameOf(arn) }, { Token: secretNameOf(arn), Endpoint: 'Payments/Stripe', Processor: 'audit' }]]]);
  });

  test('the Token dimension is the secret name from a Secrets Manager ARN (any partition, names with slashes); anything else is used as it is', () => {
    expect(tokenMetricId('arn:aws:secretsmanager:eu-west-1:111111111111:secret:hardened-webhooks/Payments/orders-write-AbC123')).toBe('hardened-webhooks/Payments/orders-write');
    expect(tokenMetricId('arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:a-b-c-XyZ789')).toBe('a-b-c');
    // not an ARN, or no 6-character suffix: unchanged
    expect(tokenMetricId('orders-write')).toBe('orders-write');
    expect(tokenMetricId('arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-write')).toBe('arn:aws:secretsmanager:eu-west-1:111111111111:secret:orders-write');
    expect(tokenMetricId('arn:aws:sqs:eu-west-1:111111111111:secret:orders-write-AbC123')).toBe('arn:aws:sqs:eu-west-1:111111111111:secret:orders-write-AbC123');
  });

  test('a failed get records nothing', async () => {
    const s = await setup(UNISSUED_TOKEN_PLACEHOLDER);
    await expect(s.tokens.get('orders-write')).rejects.toThrow(TokenUnavailableError);
    await expect(s.tokens.get('other')).rejects.toThrow(UnknownTokenError);
    expect(stdout.emf()).toEqual([]);
  });
});

describe('errors', () => {
  test('a name the processor was not granted names the ones it was', async () => {
    const s = await setup();
    await expect(s.tokens.get('refunds-write')).rejects.toThrow('no scoped token named "refunds-write" was granted to this processor; granted: orders-write');
  });

  test('UnknownTokenError is typed, carries the name, and lists every granted name — or none', async () => {
    const client = secretsManager();
    const two = new ScopedTokens({ secretArns: { 'orders-write': 'arn:1', 'refunds-read': 'arn:2' }, client });
    await expect(two.get('audit')).rejects.toMatchObject({
      name: 'UnknownTokenError', tokenName: 'audit',
      message: 'no scoped token named "audit" was granted to this processor; granted: orders-write, refunds-read',
    });
    const none = new ScopedTokens({ secretArns: {}, client });
    await expect(none.get('audit')).rejects.toThrow('no scoped token named "audit" was granted to this processor; granted: none');
  });

  test('the placeholder (no rotation has completed) is never handed out', async () => {
    const s = await setup(UNISSUED_TOKEN_PLACEHOLDER);
    await expect(s.tokens.get('orders-write')).rejects.toThrow(/no token has been issued yet/);
  });

  test('a value that is not a token value, and a failed read, are unavailable with the cause — and the value is never echoed', async () => {
    const s = await setup('hunter2-not-json');
    const error = (await s.tokens.get('orders-write').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect(error.message).toBe('scoped token "orders-write" is unavailable: its secret does not hold a token value');
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error.cause)).not.toContain('hunter2');
    const missing = new ScopedTokens({ secretArns: { gone: `${s.arn}-deleted` }, client: s.client, metrics: { count: () => undefined } });
    await expect(missing.get('gone')).rejects.toMatchObject({ name: 'TokenUnavailableError', message: expect.stringContaining('reading its secret failed'), cause: expect.anything() });
  });

  test('a read failure is not cached: the next get tries again', async () => {
    const s = await setup(UNISSUED_TOKEN_PLACEHOLDER);
    await expect(s.tokens.get('orders-write')).rejects.toThrow(TokenUnavailableError);
    await rotateTo(s, tokenValue('tok-1'));
    expect(await s.tokens.get('orders-write')).toBe('tok-1');
  });
});

describe('configuration from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** The configuration error the first use of tokens configured with `options` throws. */
  function configError(options: ConstructorParameters<typeof ScopedTokens>[0]): Error {
    try {
      new ScopedTokens({ client: new SecretsManagerClient({}), ...options }).names();
    } catch (error) {
      return error as Error;
    }
    throw new Error('the configuration was accepted');
  }

  test('reads HW_TOKENS, HW_TOKEN_CACHE_TTL_SECONDS and HW_PROCESSOR_NAME on first use', async () => {
    const client = secretsManager();
    const arn = await secretHolding(client, tokenValue('env-token'));
    process.env.HW_TOKENS = JSON.stringify({ 'audit-append': arn });
    process.env.HW_TOKEN_CACHE_TTL_SECONDS = '60';
    process.env.HW_PROCESSOR_NAME = 'audit';
    const reads = jest.spyOn(client, 'send');
    let now = T0;
    const tokens = new ScopedTokens({ client, clock: () => now, metrics: new PowertoolsMetricsSink(new Metrics({ namespace: 'HardenedWebhooks' })) });
    expect(tokens.names()).toEqual(['audit-append']);
    expect(await tokens.get('audit-append')).toBe('env-token');
    now += 60_000;
    await tokens.get('audit-append');
    expect(reads).toHaveBeenCalledTimes(2);
    expect(stdout.emf().map((record) => record.Processor)).toEqual(['audit', 'audit']);
  });

  test('a malformed HW_TOKENS is a configuration error', () => {
    process.env.HW_TOKENS = '["not", "a", "map"]';
    expect(() => new ScopedTokens({ client: new SecretsManagerClient({}) }).names()).toThrow(TokenConfigError);
    process.env.HW_TOKENS = '{';
    expect(() => new ScopedTokens({ client: new SecretsManagerClient({}) }).names()).toThrow(/HW_TOKENS is not JSON/);
  });

  test('HW_TOKENS that is not JSON: a TokenConfigError with the parse error as cause', () => {
    process.env.HW_TOKENS = '{';
    const error = configError({});
    expect(error).toMatchObject({ name: 'TokenConfigError', message: 'HW_TOKENS is not JSON' });
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  // Every JSON value but an object of strings is refused, each for its own reason: null, a
  // non-object (whose Object.values would pass), and an ARN that is not a string.
  test.each(['null', '"arn:aws:secretsmanager:x"', '5', '{"orders-write": 5}', '{"orders-write": null}'])('HW_TOKENS=%s is refused as not a map of name → ARN', (value) => {
    process.env.HW_TOKENS = value;
    expect(configError({})).toMatchObject({ name: 'TokenConfigError', message: 'HW_TOKENS must be a JSON object of token name → secret ARN' });
  });

  test.each([
    ['a negative option', { cacheTtlSeconds: -1 }, undefined, 'got -1'],
    ['a non-number in HW_TOKEN_CACHE_TTL_SECONDS', {}, 'soon', 'got NaN'],
    ['a negative HW_TOKEN_CACHE_TTL_SECONDS', {}, '-5', 'got -5'],
    ['an infinite option', { cacheTtlSeconds: Infinity }, undefined, 'got Infinity'],
  ])('a cache TTL that is not a non-negative number (%s) is a configuration error', (_, options, env, got) => {
    if (env === undefined) delete process.env.HW_TOKEN_CACHE_TTL_SECONDS;
    else process.env.HW_TOKEN_CACHE_TTL_SECONDS = env;
    expect(configError({ secretArns: {}, ...options })).toMatchObject({
      name: 'TokenConfigError', message: `the token cache TTL must be a non-negative number of seconds; ${got}`,
    });
  });

  test('an empty HW_TOKEN_CACHE_TTL_SECONDS means the default (300 s), not 0', async () => {
    process.env.HW_TOKEN_CACHE_TTL_SECONDS = '';
    const client = secretsManager();
    const arn = await secretHolding(client, tokenValue('tok'));
    const reads = jest.spyOn(client, 'send');
    let now = T0;
    const tokens = new ScopedTokens({ secretArns: { t: arn }, client, clock: () => now, metrics: { count: () => undefined } });
    await tokens.get('t');
    now += 299_000;
    await tokens.get('t');
    expect(reads).toHaveBeenCalledTimes(1);
    now += 1_000;
    await tokens.get('t');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  test('with no client and no sink, the token is read with a client built from the environment and its use recorded as EMF', async () => {
    // The environment a Lambda function gives the SDK, pointed at the emulator.
    Object.assign(process.env, { AWS_ENDPOINT_URL: motoEndpoint(), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    delete process.env.AWS_PROFILE;
    delete process.env.HW_PROCESSOR_NAME;
    const arn = await secretHolding(secretsManager(), tokenValue('from-default-client'));
    const tokens = new ScopedTokens({ secretArns: { 'orders-write': arn } });
    expect(await tokens.get('orders-write')).toBe('from-default-client');
    expect(stdout.emf()).toEqual([{
      _aws: { Timestamp: expect.any(Number), CloudWatchMetrics: [{ Namespace: 'HardenedWebhooks', Dimensions: [['Token']], Metrics: [{ Name: 'TokenUsage', Unit: 'Count' }] }] },
      Token: secretNameOf(arn),
      TokenUsage: 1,
    }]);
  });

  test('no HW_TOKENS: no tokens', () => {
    delete process.env.HW_TOKENS;
    expect(new ScopedTokens({ client: new SecretsManagerClient({}) }).names()).toEqual([]);
  });

  test('the runtime exports a shared `tokens`', async () => {
    const runtime = await import('../../../lambda/runtime');
    expect(runtime.tokens).toBeInstanceOf(ScopedTokens);
  });
});
