import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsProxy, LambdaFunctionHost, SandboxClock, loadBundle } from '../../local/index';
import { motoEndpoint } from '../support/aws';

/**
 * The sandbox a bundle runs in: a file of the function's own that the bundle requires on first use
 * (the verifier's `s3.js`) is part of the same sandbox — its module scope reads the environment's
 * `process.env`, once per execution environment — and the endpoint variables the SDK reads all lead
 * to the proxy.
 */
describe('loadBundle: modules the bundle requires by path', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'hw-sandbox-'));
    // index.js loads lazy.js on its first call, as the verifier loads its S3 client.
    writeFileSync(path.join(work, 'index.js'), `
      let lazy;
      exports.handler = async () => {
        lazy ??= require('./lazy');
        return { ...lazy.read(), same: require('./lazy.js') === lazy, config: require('./config.json').name };
      };
      exports.missing = async () => require('./nope');
    `);
    writeFileSync(path.join(work, 'lazy.js'), `
      const endpoint = process.env.AWS_ENDPOINT_URL; // read at module load, like an SDK client's config
      const loadedAt = Date.now();
      let calls = 0;
      exports.read = () => ({ endpoint, loadedAt, calls: ++calls });
    `);
    writeFileSync(path.join(work, 'config.json'), '{"name":"probe"}');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const load = (endpoint: string, now?: () => number) => loadBundle({ file: path.join(work, 'index.js'), exportName: 'handler', env: { AWS_ENDPOINT_URL: endpoint }, now });

  test('evaluates it in the sandbox: its process.env and Date are the environment\'s, not the host\'s', async () => {
    const handler = load('http://127.0.0.1:1111', () => 1_234_000);
    expect(await handler({}, {} as never)).toEqual({ endpoint: 'http://127.0.0.1:1111', loadedAt: 1_234_000, calls: 1, same: true, config: 'probe' });
    expect(process.env.AWS_ENDPOINT_URL).toBeUndefined();
  });

  test('once per execution environment: the same instance on every call, a fresh one in another environment', async () => {
    const first = load('http://127.0.0.1:1111');
    const second = load('http://127.0.0.1:2222');
    await first({}, {} as never);
    expect(await first({}, {} as never)).toMatchObject({ endpoint: 'http://127.0.0.1:1111', calls: 2 });
    expect(await second({}, {} as never)).toMatchObject({ endpoint: 'http://127.0.0.1:2222', calls: 1 });
  });

  test('a path that names no file fails as Node\'s require does', async () => {
    const missing = loadBundle({ file: path.join(work, 'index.js'), exportName: 'missing', env: {} });
    await expect(missing({}, {} as never)).rejects.toMatchObject({ code: 'MODULE_NOT_FOUND', message: expect.stringContaining("'./nope'") });
  });
});

describe('LambdaFunctionHost: every endpoint variable leads to the proxy', () => {
  test('AWS_ENDPOINT_URL is the environment\'s listener; a service-specific AWS_ENDPOINT_URL_S3 from the template is dropped', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'hw-endpoints-'));
    writeFileSync(path.join(work, 'index.js'), 'exports.handler = async () => ({ ...process.env });');
    const proxy = AwsProxy.start({ target: motoEndpoint() });
    const host = new LambdaFunctionHost({
      logicalId: 'Probe', name: 'probe', arn: 'arn:aws:lambda:us-east-1:123456789012:function:probe', timeoutMs: 2000, memoryMb: 128, role: 'function',
      // Would send S3 calls around the proxy: neither counted, nor faulted, nor cut off with the environment.
      environment: { AWS_ENDPOINT_URL_S3: 'http://203.0.113.1:9', AWS_ENDPOINT_URL_SQS: 'http://203.0.113.1:9', HW_EVENT_BUCKET: 'bucket' },
      code: { bundleFile: path.join(work, 'index.js'), exportName: 'handler' },
    }, { proxy, region: 'us-east-1', accountId: '123456789012', clock: new SandboxClock(), log: () => undefined, extraEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: 'http://203.0.113.1:9' } });
    try {
      const outcome = await host.invoke({});
      expect(outcome.kind).toBe('result');
      const env = (outcome as { value: Record<string, string> }).value;
      expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Object.keys(env).filter((name) => name.startsWith('AWS_ENDPOINT_URL_'))).toEqual([]);
      expect(env.HW_EVENT_BUCKET).toBe('bucket');
    } finally {
      host.stop();
      await proxy.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
