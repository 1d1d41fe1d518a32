import { execFile } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { UNISSUED_TOKEN_PLACEHOLDER } from '../../../lambda/shared/contract';
import { parseTokenValue } from '../../../lambda/shared/token-value';
import { createBucket, motoEndpoint, s3, secretsManager, uniqueName } from '../../support/aws';

/**
 * The shipped handler bundles (assets/, `npm run build`) on the wire: each loaded by `require` in a
 * Node process of its own with a Lambda function's environment, its bundled SDK sending to a local
 * endpoint. What the bundling changes for Lambda (lambda/bundling/esbuild-options.cjs: the
 * credential chain, the event-stream stub, the client version kept from each package.json, the
 * schema keys written out) must leave what a deployed function does as it was: region, endpoint and
 * credentials from the environment, SigV4, the User-Agent's client versions, retries, modelled
 * errors with their fields, SQS's MD5 check, and the Lambda `Invoke` of a `TokenIssuer.fromFunction`.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const ACCESS_KEY = 'ASIABUNDLEDSDKTEST00';
const SIGNING_SECRET = 'whsec_bundled_sdk_test';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An HTTP server answering with `answer`, recording every request. */
async function fakeEndpoint(answer: (request: Received) => { status?: number; headers?: Record<string, string>; body: string }): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const { status = 200, headers = {}, body } = answer(request);
      res.writeHead(status, { 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

/** `require`s a bundle in a fresh Node process with `env`, runs `script` (which has `handler`) and returns what it prints as JSON. */
function runBundle(bundle: string, env: Record<string, string>, script: string): Promise<unknown> {
  const code = `const { handler } = require(${JSON.stringify(path.join(ROOT, 'assets', bundle, 'index.js'))});
(async () => { ${script} })().then((out) => process.stdout.write('\\n' + JSON.stringify(out)), (error) => { console.error(error); process.exit(1); });`;
  const lambdaEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'bundled-sdk-test',
    AWS_SESSION_TOKEN: 'bundled-sdk-test-session',
    AWS_LAMBDA_FUNCTION_NAME: 'bundled-sdk-test',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...env,
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', code], { env: lambdaEnv, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? 'null'));
    });
  });
}

function installedVersion(packageName: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', packageName, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The service a SigV4 `Authorization` header was signed for, and its access key and region. */
function signedFor(request: Received): { accessKey: string; region: string; service: string } | undefined {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(String(request.headers.authorization));
  return match ? { accessKey: match[1], region: match[2], service: match[3] } : undefined;
}

describe('the verifier bundle on the wire', () => {
  /**
   * Secrets Manager, DynamoDB (conditional writes against a real table's semantics, with one
   * throttled answer first) and SQS (with the body's MD5, which the SDK checks), as their JSON
   * protocols answer.
   */
  function awsLike() {
    const items = new Map<string, Record<string, unknown>>();
    let throttled = false;
    return (request: Received) => {
      // S3's REST protocol: a PutObject, answered as S3 answers it
      if (request.method === 'PUT') return { headers: { etag: `"${createHash('md5').update(request.body, 'latin1').digest('hex')}"` }, body: '' };
      const target = String(request.headers['x-amz-target']);
      const input = JSON.parse(request.body) as Record<string, any>;
      const json = (body: unknown, status = 200) => ({ status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
      switch (target) {
        case 'secretsmanager.GetSecretValue':
          return json({ ARN: input.SecretId, Name: 'signing', SecretString: SIGNING_SECRET, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1.7e9 });
        case 'DynamoDB_20120810.PutItem': {
          if (!throttled) {
            throttled = true;
            return json({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }, 400);
          }
          const key = JSON.stringify(input.Item.id);
          const old = items.get(key);
          if (old) return json({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: old }, 400);
          items.set(key, input.Item);
          return json({});
        }
        case 'DynamoDB_20120810.UpdateItem': {
          const key = JSON.stringify(input.Key.id);
          items.set(key, { ...items.get(key), [input.ExpressionAttributeNames['#state']]: input.ExpressionAttributeValues[':enqueued'] });
          return json({});
        }
        case 'AmazonSQS.SendMessage':
          return json({ MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'), SequenceNumber: '1' });
        default:
          return json({ __type: 'UnknownOperationException', message: target }, 400);
      }
    };
  }

  /**
   * A signed Stripe delivery, sent to the verifier bundle twice (as a sender's retry); returns the
   * responses, the requests the bundle sent, whether it loaded `fs/promises`, and whether it loaded
   * its lazy S3 module (assets/verifier/s3.js). `body` and `config` change the delivery and the
   * verifier's configuration.
   */
  async function deliverTwice(env: Record<string, string>, options: { body?: string; config?: Record<string, unknown> } = {}): Promise<{ responses: Array<[number, string]>; received: Received[]; fsPromisesLoaded: boolean; s3Loaded: boolean }> {
    const aws = await fakeEndpoint(awsLike());
    try {
      const body = options.body ?? JSON.stringify({ id: 'evt_bundled_1', type: 'payment_intent.succeeded', data: {} });
      const t = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', SIGNING_SECRET).update(`${t}.${body}`).digest('hex');
      const event = { httpMethod: 'POST', path: '/', headers: { 'Stripe-Signature': `t=${t},v1=${signature}`, 'content-type': 'application/json' }, multiValueHeaders: {}, body, isBase64Encoded: false, requestContext: { requestId: 'r1' } };
      // In a file, not the script: a large body would not fit on the command line
      const eventFile = path.join(home, `event-${randomUUID()}.json`);
      writeFileSync(eventFile, JSON.stringify(event));
      const out = await runBundle('verifier', {
        AWS_ENDPOINT_URL: aws.url,
        HOME: home,
        HW_VERIFIER_CONFIG: JSON.stringify({
          endpointName: 'Bundled/Endpoint', provider: { scheme: 'stripe', options: {} }, signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-AbCdEf',
          secretCacheTtlSeconds: 60, toleranceSeconds: 300, maxBodyBytes: 262144, tableName: 'claims', retentionSeconds: 604800,
          processors: [{ name: 'fulfilment', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/fulfilment.fifo', eventTypes: ['payment_intent.*'] }],
          ...options.config,
        }),
        ...env,
      }, `const event = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8')); const first = await handler(event, {}); const retry = await handler(event, {});
return { responses: [first, retry].map((r) => [r.statusCode, JSON.parse(r.body).status]), fsPromisesLoaded: process.moduleLoadList.includes('NativeModule fs/promises'),
  s3Loaded: Object.keys(require.cache).some((file) => file.endsWith(${JSON.stringify(path.join('assets', 'verifier', 's3.js'))})) };`) as { responses: Array<[number, string]>; fsPromisesLoaded: boolean; s3Loaded: boolean };
      return { ...out, received: aws.received };
    } finally {
      aws.server.close();
    }
  }

  /** An empty home directory: no `~/.aws` files, as in a Lambda function. */
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 'hw-bundled-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('a signed delivery is verified, claimed and enqueued once; its retry is answered from the claim', async () => {
    const { responses, received, fsPromisesLoaded } = await deliverTwice({});

    // THEN the delivery is accepted, and its retry (the claim's conditional write refused, with the stored item) is not enqueued again
    expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
    expect(received.map((r) => r.headers['x-amz-target'])).toEqual([
      'secretsmanager.GetSecretValue',
      'DynamoDB_20120810.PutItem', // throttled, then retried by the SDK's standard retry strategy
      'DynamoDB_20120810.PutItem',
      'AmazonSQS.SendMessage',
      'DynamoDB_20120810.UpdateItem',
      'DynamoDB_20120810.PutItem', // the retry's claim: ConditionalCheckFailedException with the stored item
    ]);
    // every request signed with the environment's credentials and region, for its service; the session token sent
    const services = { 'secretsmanager.GetSecretValue': 'secretsmanager', 'DynamoDB_20120810.PutItem': 'dynamodb', 'AmazonSQS.SendMessage': 'sqs', 'DynamoDB_20120810.UpdateItem': 'dynamodb' } as Record<string, string>;
    for (const request of received) {
      expect(signedFor(request)).toEqual({ accessKey: ACCESS_KEY, region: 'us-east-1', service: services[String(request.headers['x-amz-target'])] });
      expect(request.headers['x-amz-security-token']).toBe('bundled-sdk-test-session');
    }
    // the User-Agent names each bundled client with its version (kept from its package.json)
    const agent = (target: string) => String(received.find((r) => r.headers['x-amz-target'] === target)?.headers['user-agent']);
    expect(agent('secretsmanager.GetSecretValue')).toContain(`api/secrets-manager#${installedVersion('@aws-sdk/client-secrets-manager')}`);
    expect(agent('DynamoDB_20120810.PutItem')).toContain(`api/dynamodb#${installedVersion('@aws-sdk/client-dynamodb')}`);
    expect(agent('AmazonSQS.SendMessage')).toContain(`api/sqs#${installedVersion('@aws-sdk/client-sqs')}`);
    // with no shared config file to read, node:fs/promises was never loaded (lambda/bundling/fs-promises.ts)
    expect(fsPromisesLoaded).toBe(false);
  });

  test('a shared config file the environment names is still read (AWS_CONFIG_FILE, AWS_PROFILE), through fs/promises', async () => {
    const configFile = path.join(home, 'config');
    writeFileSync(configFile, '[profile bundled]\nsdk_ua_app_id = from-config-file\nmax_attempts = 1\n');
    try {
      const { responses, received, fsPromisesLoaded } = await deliverTwice({ AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'bundled' });
      // max_attempts = 1: the throttled claim is not retried and the delivery fails with a 503; the sender's retry is accepted
      expect(responses.map(([statusCode]) => statusCode)).toEqual([503, 200]);
      expect(received.map((r) => r.headers['x-amz-target'])).toEqual(['secretsmanager.GetSecretValue', 'DynamoDB_20120810.PutItem', 'DynamoDB_20120810.PutItem', 'AmazonSQS.SendMessage', 'DynamoDB_20120810.UpdateItem']);
      expect(String(received[0].headers['user-agent'])).toContain('app/from-config-file');
      expect(fsPromisesLoaded).toBe(true);
    } finally {
      rmSync(configFile, { force: true });
    }
  });

  test('without credentials in the environment, they come from the container endpoint, with the token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', async () => {
    const tokenFile = path.join(home, 'token');
    writeFileSync(tokenFile, 'container-authorization-token');
    const credentials = await fakeEndpoint(() => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ AccessKeyId: 'ASIAFROMCONTAINER000', SecretAccessKey: 'container-secret', Token: 'container-session', Expiration: new Date(Date.now() + 3_600_000).toISOString() }),
    }));
    try {
      const { responses, received } = await deliverTwice({
        AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${credentials.url}/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      });
      expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
      // fetched once for the whole process, the three clients sharing it (lambda/bundling/lambda-credentials.ts), with the file's token
      expect(credentials.received.map((r) => [r.url, r.headers.authorization])).toEqual([['/credentials', 'container-authorization-token']]);
      for (const request of received) {
        expect(signedFor(request)?.accessKey).toBe('ASIAFROMCONTAINER000');
        expect(request.headers['x-amz-security-token']).toBe('container-session');
      }
    } finally {
      credentials.server.close();
      rmSync(tokenFile, { force: true });
    }
  });

  describe('its event bucket: the S3 client is a file of its own (assets/verifier/s3.js), loaded on the first write', () => {
    const BUCKET = 'hw-bundled-events';
    /** A Stripe event of `size` bytes (JSON padded with letters): above 1 MiB, its message cannot carry it. */
    const largeBody = (id: string, size: number) => {
      const head = JSON.stringify({ id, type: 'payment_intent.succeeded', data: {}, pad: '' });
      return head.replace('"pad":""', `"pad":"${'a'.repeat(size - head.length)}"`);
    };
    const large = { maxBodyBytes: 4560 * 1024, eventBucket: BUCKET, archive: { headers: ['stripe-signature'] } };
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    test('the main bundle carries no S3 client and requires ./s3.js, which does; the folder\'s manifest and licences cover both files', () => {
      const main = readFileSync(path.join(ROOT, 'assets', 'verifier', 'index.js'), 'utf8');
      const lazy = readFileSync(path.join(ROOT, 'assets', 'verifier', 's3.js'), 'utf8');
      expect(main.match(/require\("\.\/s3\.js"\)/g)).toHaveLength(1);
      for (const marker of ['"@aws-sdk/client-s3"', '"PutObject"', 'x-amz-checksum-', 'ListObjectsV2']) {
        expect({ marker, inMain: main.includes(marker) }).toEqual({ marker, inMain: false });
      }
      for (const marker of ['"@aws-sdk/client-s3"', '"PutObject"', 'x-amz-checksum-']) expect({ marker, inLazy: lazy.includes(marker) }).toEqual({ marker, inLazy: true });
      // the main bundle stays within its budget (it was 251 KiB before the event bucket)
      expect(Buffer.byteLength(main)).toBeLessThanOrEqual(450 * 1024);
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'assets', 'verifier', 'bundled-packages.json'), 'utf8')) as Record<string, { version: string }>;
      expect(manifest['@aws-sdk/client-s3']).toEqual({ version: installedVersion('@aws-sdk/client-s3'), license: 'Apache-2.0' });
      expect(manifest['@aws-sdk/client-sqs']).toEqual({ version: installedVersion('@aws-sdk/client-sqs'), license: 'Apache-2.0' });
      expect(readFileSync(path.join(ROOT, 'assets', 'verifier', 'THIRD-PARTY-LICENSES.txt'), 'utf8')).toContain(`@aws-sdk/client-s3@${installedVersion('@aws-sdk/client-s3')} (Apache-2.0)`);
    });

    test('a small body on an endpoint with a bucket (and no archive) never loads s3.js and never calls S3', async () => {
      const { responses, received, s3Loaded } = await deliverTwice({}, { config: { eventBucket: BUCKET } });
      expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
      expect(received.filter((r) => r.method === 'PUT')).toEqual([]);
      expect(s3Loaded).toBe(false);
    });

    test('a large body with an archive: s3.js loads and writes the time entry, the record (If-None-Match) and the body, signed for S3, before the pointer is sent', async () => {
      const body = largeBody('evt_bundled_large', 1200 * 1024);
      const { responses, received, s3Loaded } = await deliverTwice({}, { body, config: large });
      expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
      expect(s3Loaded).toBe(true);
      const digest = sha256('evt_bundled_large');
      const key = `payloads/fulfilment/${digest}/${sha256(body)}`;
      // the writes, path-style on a local endpoint, in order, then the message; the retry (a duplicate) writes nothing
      const calls = received.map((r) => (r.method === 'PUT' ? `PUT ${decodeURIComponent(r.url.split('?')[0])}` : String(r.headers['x-amz-target'])));
      expect(calls.filter((c) => !c.startsWith('secretsmanager') && !c.startsWith('DynamoDB'))).toEqual([
        expect.stringMatching(new RegExp(`^PUT /${BUCKET}/archive/by-time/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d/${digest}$`)),
        `PUT /${BUCKET}/archive/by-id/${digest}.json`,
        `PUT /${BUCKET}/${key}`,
        'AmazonSQS.SendMessage',
      ]);
      const [, record, payload] = received.filter((r) => r.method === 'PUT');
      expect(record.headers['if-none-match']).toBe('*');
      expect(payload.headers['if-none-match']).toBeUndefined();
      expect(payload.body).toBe(body);
      expect(payload.headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
      expect(payload.headers['content-type']).toBe('application/octet-stream');
      // signed with the environment's credentials, for S3, naming the bundled S3 client and its version
      expect(signedFor(payload)).toEqual({ accessKey: ACCESS_KEY, region: 'us-east-1', service: 's3' });
      expect(payload.headers['x-amz-security-token']).toBe('bundled-sdk-test-session');
      expect(String(payload.headers['user-agent'])).toContain(`api/s3#${installedVersion('@aws-sdk/client-s3')}`);
      // the record is the event as received, with the archived header
      expect(JSON.parse(record.body)).toMatchObject({ v: 1, id: 'evt_bundled_large', provider: 'stripe', body, bodyEncoding: 'utf8', headers: { 'stripe-signature': expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) } });
      // the message points at the object
      const send = received.find((r) => r.headers['x-amz-target'] === 'AmazonSQS.SendMessage') as Received;
      const envelope = JSON.parse((JSON.parse(send.body) as { MessageBody: string }).MessageBody) as { body: string; bodyRef: unknown };
      expect(envelope).toMatchObject({ body: '', bodyRef: { bucket: BUCKET, key, bytes: Buffer.byteLength(body), sha256: sha256(body) } });
    });

    test('with container credentials, the S3 client shares the verifier\'s credential cache: one fetch for all four clients', async () => {
      const credentials = await fakeEndpoint(() => ({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ AccessKeyId: 'ASIAFROMCONTAINER000', SecretAccessKey: 'container-secret', Token: 'container-session', Expiration: new Date(Date.now() + 3_600_000).toISOString() }),
      }));
      try {
        const { responses, received } = await deliverTwice({
          AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: `${credentials.url}/credentials`,
        }, { body: largeBody('evt_bundled_container', 1100 * 1024), config: large });
        expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
        expect(credentials.received).toHaveLength(1);
        const puts = received.filter((r) => r.method === 'PUT');
        expect(puts).toHaveLength(3);
        for (const put of puts) expect([signedFor(put)?.accessKey, put.headers['x-amz-security-token']]).toEqual(['ASIAFROMCONTAINER000', 'container-session']);
      } finally {
        credentials.server.close();
      }
    });

    test('against moto: the objects s3.js writes are there, byte for byte', async () => {
      const client = s3();
      const bucket = await createBucket(client, 'hw-bundled');
      const body = largeBody('evt_bundled_moto', 2 * 1024 * 1024);
      const { responses } = await deliverTwice({ AWS_ENDPOINT_URL_S3: motoEndpoint() }, { body, config: { ...large, eventBucket: bucket } });
      expect(responses).toEqual([[200, 'accepted'], [200, 'duplicate']]);
      const read = async (key: string) => Buffer.from(await ((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      expect((await read(`payloads/fulfilment/${sha256('evt_bundled_moto')}/${sha256(body)}`)).toString('utf8')).toBe(body);
      expect(JSON.parse((await read(`archive/by-id/${sha256('evt_bundled_moto')}.json`)).toString('utf8'))).toMatchObject({ id: 'evt_bundled_moto', body });
    });
  });
});

describe('the rotation bundle on the wire', () => {
  test('a TokenIssuer.fromFunction issuer is invoked through the bundled Lambda client, and its token stored as AWSPENDING', async () => {
    // GIVEN a secret in moto, as the construct creates it, and an issuer function answering Invoke
    const client = secretsManager();
    const { ARN } = await client.send(new CreateSecretCommand({ Name: uniqueName('hw-bundled-rotation') }));
    const arn = ARN as string;
    await client.send(new RotateSecretCommand({ SecretId: arn, RotationRules: { AutomaticallyAfterDays: 30 } }));
    await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: UNISSUED_TOKEN_PLACEHOLDER }));
    const lambda = await fakeEndpoint(() => ({ headers: { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' }, body: JSON.stringify({ token: 'minted-by-the-issuer', tokenId: 'tok-1' }) }));
    try {
      const token = randomUUID();
      // WHEN Secrets Manager calls createSecret
      await runBundle('rotation', {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: motoEndpoint(),
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        HW_ROTATION_CONFIG: JSON.stringify({ tokenName: 'orders-write', secretArn: arn, graceSeconds: 3600, issuer: { kind: 'lambda', functionName: 'issuer-fn' } }),
      }, `await handler({ Step: 'createSecret', SecretId: ${JSON.stringify(arn)}, ClientRequestToken: ${JSON.stringify(token)} }); return null;`);

      // THEN the issuer was invoked synchronously with the mint request, signed for Lambda
      expect(lambda.received).toHaveLength(1);
      const [invoke] = lambda.received;
      expect([invoke.method, invoke.url]).toEqual(['POST', '/2015-03-31/functions/issuer-fn/invocations']);
      expect(invoke.headers['x-amz-invocation-type']).toBe('RequestResponse');
      expect(signedFor(invoke)).toEqual({ accessKey: 'testing', region: 'us-east-1', service: 'lambda' });
      expect(invoke.headers['user-agent']).toContain(`api/lambda#${installedVersion('@aws-sdk/client-lambda')}`);
      expect(JSON.parse(invoke.body)).toMatchObject({ action: 'mint', tokenName: 'orders-write', secretArn: arn, versionId: token });
      // AND its answer is the pending version
      const pending = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPENDING' }));
      expect(pending.VersionId).toBe(token);
      expect(parseTokenValue(pending.SecretString as string)).toMatchObject({ token: 'minted-by-the-issuer', tokenId: 'tok-1' });
    } finally {
      lambda.server.close();
    }
  });
});
