import { CredentialCache, defaultProvider, REFRESH_BEFORE_EXPIRY_MS } from '../../../lambda/bundling/lambda-credentials';

const fromEnvCalls = jest.fn();
const fromHttpCalls = jest.fn();
jest.mock('@aws-sdk/credential-provider-env', () => ({ fromEnv: () => () => fromEnvCalls() }));
jest.mock('@aws-sdk/credential-provider-http', () => ({ fromHttp: () => () => fromHttpCalls() }));

describe('the Lambda credential chain of the handler bundles', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[name];
    fromEnvCalls.mockReset();
    fromHttpCalls.mockReset();
  });
  afterAll(() => {
    process.env = saved;
  });

  test('environment credentials come first, and are read once however often the SDK asks', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/creds' });
    fromEnvCalls.mockResolvedValue({ accessKeyId: 'AKIA', secretAccessKey: 'secret' });
    const provider = defaultProvider({}, Date.now, new CredentialCache());
    const answers = await Promise.all([provider(), provider(), provider()]);
    await provider();
    expect(answers.map((c) => c.accessKeyId)).toEqual(['AKIA', 'AKIA', 'AKIA']);
    expect(fromEnvCalls).toHaveBeenCalledTimes(1);
    expect(fromHttpCalls).not.toHaveBeenCalled();
  });

  test('container credentials are fetched once, then again only when they are about to expire', async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://127.0.0.1:9/creds';
    let clock = 1_000_000;
    const expiration = new Date(clock + REFRESH_BEFORE_EXPIRY_MS + 60_000);
    fromHttpCalls.mockResolvedValueOnce({ accessKeyId: 'first', secretAccessKey: 's', expiration }).mockResolvedValueOnce({ accessKeyId: 'second', secretAccessKey: 's' });
    const provider = defaultProvider({}, () => clock, new CredentialCache());
    expect((await provider()).accessKeyId).toBe('first');
    clock += 59_000;
    expect((await provider()).accessKeyId).toBe('first');
    clock += 1_000;
    expect((await provider()).accessKeyId).toBe('second');
    expect(fromHttpCalls).toHaveBeenCalledTimes(2);
  });

  test('a failed fetch is not kept: the next call tries again', async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = '/v2/credentials';
    fromHttpCalls.mockRejectedValueOnce(new Error('endpoint down')).mockResolvedValueOnce({ accessKeyId: 'later', secretAccessKey: 's' });
    const provider = defaultProvider({}, Date.now, new CredentialCache());
    await expect(provider()).rejects.toThrow('endpoint down');
    expect((await provider()).accessKeyId).toBe('later');
  });

  test('the clients of one process share what was fetched: one container fetch for three clients', async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://127.0.0.1:9/creds';
    fromHttpCalls.mockResolvedValue({ accessKeyId: 'shared', secretAccessKey: 's', expiration: new Date(Date.now() + 3_600_000) });
    const cache = new CredentialCache();
    const [dynamoDb, sqs, secrets] = [defaultProvider({}, Date.now, cache), defaultProvider({}, Date.now, cache), defaultProvider({}, Date.now, cache)];
    const answers = await Promise.all([dynamoDb(), sqs(), secrets()]);
    await sqs();
    expect(answers.map((c) => c.accessKeyId)).toEqual(['shared', 'shared', 'shared']);
    expect(fromHttpCalls).toHaveBeenCalledTimes(1);
  });

  test('with neither source it fails, saying where a Lambda function gets credentials', async () => {
    await expect(defaultProvider({}, Date.now, new CredentialCache())()).rejects.toThrow(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_/);
  });
});
