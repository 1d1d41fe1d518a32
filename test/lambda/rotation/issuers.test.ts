import {
  DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createRotationHandler, loadRotationConfig } from '../../../lambda/rotation';
import { IssuerError, RotationConfigError } from '../../../lambda/rotation/errors';
import { issuerFor, LambdaIssuer, RandomIssuer } from '../../../lambda/rotation/issuers';
import { SdkLambdaInvoker, type LambdaSdk } from '../../../lambda/rotation/invoker';
import { rotationStep, type RotationDependencies } from '../../../lambda/rotation/rotation';
import type { RotationConfig, TokenIssuerRequest } from '../../../lambda/shared/contract';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hardened-webhooks/Example/orders-write-AbCdEf';
const CONFIG: RotationConfig = { tokenName: 'orders-write', secretArn: ARN, graceSeconds: 86400, issuer: { kind: 'random', length: 64 } };
const REQUEST: TokenIssuerRequest = { v: 1, action: 'mint', tokenName: 'orders-write', secretArn: ARN, versionId: 'v-1' };

describe('RandomIssuer', () => {
  test('mints `length` base64url characters from the CSPRNG, and tests them', async () => {
    const issuer = new RandomIssuer(43);
    const { token } = await issuer.mint();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(issuer.test({} as never, { v: 1, token, issuedAt: '' })).resolves.toBeUndefined();
    await expect(issuer.test({} as never, { v: 1, token: `${token}!`, issuedAt: '' })).rejects.toThrow(/expected 43 base64url characters/);
  });

  test('two tokens differ', async () => {
    const issuer = new RandomIssuer(64);
    expect((await issuer.mint()).token).not.toBe((await issuer.mint()).token);
  });
});

describe('SdkLambdaInvoker (the default invoker) with a fake SDK', () => {
  function fakeSdk(answer: { FunctionError?: string; Payload?: string } | Error) {
    const sent: Array<{ FunctionName: string; InvocationType: string; Payload: Uint8Array }> = [];
    const sdk: LambdaSdk = {
      LambdaClient: class {
        public async send(command: unknown) {
          sent.push((command as { input: (typeof sent)[number] }).input);
          if (answer instanceof Error) throw answer;
          return { StatusCode: 200, FunctionError: answer.FunctionError, Payload: answer.Payload === undefined ? undefined : new TextEncoder().encode(answer.Payload) };
        }
      },
      InvokeCommand: class {
        public constructor(public readonly input: unknown) {}
      },
    };
    return { sdk, sent };
  }

  test('invokes synchronously with the JSON request and returns the JSON answer', async () => {
    const { sdk, sent } = fakeSdk({ Payload: '{"token":"t"}' });
    const answer = await new SdkLambdaInvoker(() => sdk).invoke('issuer-fn', REQUEST);
    expect(answer).toEqual({ token: 't' });
    expect(sent).toHaveLength(1);
    expect(sent[0].FunctionName).toBe('issuer-fn');
    expect(sent[0].InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(sent[0].Payload))).toEqual(REQUEST);
  });

  test('an empty answer is null (activate and revoke may return nothing)', async () => {
    await expect(new SdkLambdaInvoker(() => fakeSdk({ Payload: '' }).sdk).invoke('f', REQUEST)).resolves.toBeNull();
  });

  test('a function error becomes an IssuerError with its type and message, never the whole payload', async () => {
    const { sdk } = fakeSdk({ FunctionError: 'Unhandled', Payload: JSON.stringify({ errorType: 'PartnerDown', errorMessage: 'HTTP 503', trace: ['secret stuff'] }) });
    const error = await new SdkLambdaInvoker(() => sdk).invoke('f', REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as Error).message).toBe('issuer mint failed: f raised Unhandled: PartnerDown: HTTP 503');
  });

  test('a non-JSON answer and a failed call become IssuerErrors with the cause', async () => {
    await expect(new SdkLambdaInvoker(() => fakeSdk({ Payload: 'oops' }).sdk).invoke('f', REQUEST)).rejects.toThrow(/answered something that is not JSON/);
    const denied = new Error('AccessDenied');
    const error = await new SdkLambdaInvoker(() => fakeSdk(denied).sdk).invoke('f', REQUEST).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'IssuerError', message: 'issuer mint failed: invoking f failed', cause: denied });
  });

  test('the SDK is loaded once, on first use', async () => {
    const load = jest.fn(() => fakeSdk({ Payload: '{}' }).sdk);
    const invoker = new SdkLambdaInvoker(load);
    expect(load).not.toHaveBeenCalled();
    await invoker.invoke('f', REQUEST);
    await invoker.invoke('f', REQUEST);
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe('configuration', () => {
  test('loadRotationConfig reads HW_ROTATION_CONFIG and refuses what it cannot use', () => {
    expect(loadRotationConfig({ HW_ROTATION_CONFIG: JSON.stringify(CONFIG) })).toEqual(CONFIG);
    expect(() => loadRotationConfig({})).toThrow(new RotationConfigError('HW_ROTATION_CONFIG is not set'));
    expect(() => loadRotationConfig({ HW_ROTATION_CONFIG: '{' })).toThrow(/is not JSON/);
    expect(() => loadRotationConfig({ HW_ROTATION_CONFIG: JSON.stringify({ ...CONFIG, graceSeconds: -1 }) })).toThrow(/graceSeconds must be a non-negative number; got -1/);
  });

  test('issuerFor builds the configured issuer', () => {
    expect(issuerFor({ kind: 'random', length: 64 }, () => { throw new Error('not needed'); })).toBeInstanceOf(RandomIssuer);
    expect(issuerFor({ kind: 'lambda', functionName: 'f' }, () => ({ invoke: async () => ({}) }))).toBeInstanceOf(LambdaIssuer);
    expect(() => issuerFor({ kind: 'other' } as never, () => ({ invoke: async () => ({}) }))).toThrow(/unknown issuer kind "other"/);
  });

  test('the handler reads its configuration on the first invocation, not at import', async () => {
    const handler = createRotationHandler({ config: CONFIG, client: new SecretsManagerClient({ region: 'us-east-1' }) });
    await expect(handler({ unknown: true })).rejects.toThrow(/neither a Secrets Manager rotation step/);
  });
});

// Real Secrets Manager behaviour moto cannot reproduce, via aws-sdk-client-mock on one client instance.
describe('Secrets Manager behaviour beyond the emulator', () => {
  function mocked() {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const deps: RotationDependencies = { client, issuer: new RandomIssuer(64), config: CONFIG, clock: () => 0, log: () => undefined };
    return { mock, deps };
  }

  test('createSecret fills the empty AWSPENDING version RotateSecret created (GetSecretValue: ResourceNotFound)', async () => {
    // GIVEN Secrets Manager created version t-1 with AWSPENDING and no value
    const { mock, deps } = mocked();
    mock.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-0': ['AWSCURRENT'], 't-1': ['AWSPENDING'] } });
    mock.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' }).resolves({ SecretString: 'HARDENED_WEBHOOKS_TOKEN_NOT_ISSUED' });
    mock.on(GetSecretValueCommand, { SecretId: ARN, VersionId: 't-1', VersionStage: 'AWSPENDING' })
      .rejects(new ResourceNotFoundException({ message: 'no value', $metadata: {} }));
    mock.on(PutSecretValueCommand).resolves({});
    // WHEN
    await rotationStep({ Step: 'createSecret', SecretId: ARN, ClientRequestToken: 't-1' }, deps);
    // THEN the value is stored under that version as AWSPENDING
    const puts = mock.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input).toMatchObject({ SecretId: ARN, ClientRequestToken: 't-1', VersionStages: ['AWSPENDING'] });
  });

  test('an access error reading the pending version is not mistaken for "not created yet"', async () => {
    const { mock, deps } = mocked();
    mock.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-0': ['AWSCURRENT'], 't-1': ['AWSPENDING'] } });
    mock.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSCURRENT' }).resolves({ SecretString: 'x' });
    mock.on(GetSecretValueCommand, { SecretId: ARN, VersionId: 't-1', VersionStage: 'AWSPENDING' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(rotationStep({ Step: 'createSecret', SecretId: ARN, ClientRequestToken: 't-1' }, deps)).rejects.toThrow('denied');
    expect(mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('removing a label a concurrent run already removed succeeds; a real failure does not', async () => {
    // GIVEN finishSecret, where removing AWSPENDING fails
    const { mock, deps } = mocked();
    mock.on(DescribeSecretCommand)
      .resolvesOnce({ RotationEnabled: true, VersionIdsToStages: { 'v-0': ['AWSCURRENT'], 't-1': ['AWSPENDING'] } })
      .resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-0': ['AWSPREVIOUS'], 't-1': ['AWSCURRENT'] } });
    mock.on(UpdateSecretVersionStageCommand, { VersionStage: 'AWSCURRENT' }).resolves({});
    mock.on(UpdateSecretVersionStageCommand, { VersionStage: 'AWSPENDING' }).rejects(Object.assign(new Error('not attached'), { name: 'InvalidParameterException' }));
    // WHEN / THEN the label is already gone: success
    await expect(rotationStep({ Step: 'finishSecret', SecretId: ARN, ClientRequestToken: 't-1' }, deps)).resolves.toBeUndefined();

    // GIVEN the label is still attached after the failure
    mock.reset();
    mock.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-0': ['AWSCURRENT'], 't-1': ['AWSPENDING'] } });
    mock.on(UpdateSecretVersionStageCommand, { VersionStage: 'AWSPENDING' }).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(rotationStep({ Step: 'finishSecret', SecretId: ARN, ClientRequestToken: 't-1' }, deps)).rejects.toThrow('throttled');
  });
});
