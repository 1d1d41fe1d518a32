import { execFile } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { UNISSUED_TOKEN_PLACEHOLDER } from '../../../lambda/shared/contract';
import { parseTokenValue } from '../../../lambda/shared/token-value';
import { motoEndpoint, secretsManager, uniqueName } from '../../support/aws';

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

  /** A signed Stripe delivery, sent to the verifier bundle twice (as a sender's retry); returns the responses, the requests the bundle sent and whether it loaded `fs/promises`. */
  async function deliverTwice(env: Record<string, string>): Promise<{ responses: Array<[number, string]>; received: Received[]; fsPromisesLoaded: boolean }> {
    const aws = await fakeEndpoint(awsLike());
    try {
      const body = JSON.stringify({ id: 'evt_bundled_1', type: 'payment_intent.succeeded', data: {} });
      const t = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', SIGNING_SECRET).update(`${t}.${body}`).digest('hex');
      const event = { httpMethod: 'POST', path: '/', headers: { 'Stripe-Signature': `t=${t},v1=${signature}`, 'content-type': 'application/json' }, multiValueHeaders: {}, body, isBase64Encoded: false, requestContext: { requestId: 'r1' } };
      const out = await runBundle('verifier', {
        AWS_ENDPOINT_URL: aws.url,
        HOME: home,
        HW_VERIFIER_CONFIG: JSON.stringify({
          endpointName: 'Bundled/Endpoint', provider: { scheme: 'stripe', options: {} }, signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-AbCdEf',
          secretCacheTtlSeconds: 60, toleranceSeconds: 300, maxBodyBytes: 262144, tableName: 'claims', retentionSeconds: 604800,
          processors: [{ name: 'fulfilment', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/fulfilment.fifo', eventTypes: ['payment_intent.*'] }],
        }),
        ...env,
      }, `const event = ${JSON.stringify(event)}; const first = await handler(event, {}); const retry = await handler(event, {});
return { responses: [first, retry].map((r) => [r.statusCode, JSON.parse(r.body).status]), fsPromisesLoaded: process.moduleLoadList.includes('NativeModule fs/promises') };`) as { responses: Array<[number, string]>; fsPromisesLoaded: boolean };
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
