import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HardenedWebhookEndpoint, ScopedToken, TokenIssuer, WebhookProvider, type ScopedTokenProps } from '../../lib';
import { handlerAsset } from '../../lib/private/assets';

function tokenStack(props: Partial<ScopedTokenProps> = {}): { stack: Stack; token: ScopedToken; template: Template } {
  const stack = new Stack(new App(), 'Tokens');
  const token = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write', ...props });
  return { stack, token, template: Template.fromStack(stack) };
}

function rotationConfig(template: Template, stack: Stack, token: ScopedToken): Record<string, unknown> {
  const fn = template.toJSON().Resources[stack.getLogicalId(token.rotationFunction.node.defaultChild as lambda.CfnFunction)];
  const joined = fn.Properties.Environment.Variables.HW_ROTATION_CONFIG as { 'Fn::Join': [string, unknown[]] };
  // Replace each intrinsic with a marker so the JSON parses.
  const text = joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`)).join('');
  return JSON.parse(text) as Record<string, unknown>;
}

function testFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('rotation')) });
}

describe('ScopedToken defaults', () => {
  const { stack, token, template } = tokenStack();

  test('a secret named by its scope, encrypted with its own rotating key, holding the not-issued placeholder', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: {
        Name: 'hardened-webhooks/Tokens/orders-write',
        KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(token.encryptionKey.node.defaultChild as kms.CfnKey), 'Arn'] },
        SecretString: 'HARDENED_WEBHOOKS_TOKEN_NOT_ISSUED',
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    template.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('rotates every 30 days with the bundled rotation function, starting at deployment', () => {
    template.hasResource('AWS::SecretsManager::RotationSchedule', {
      Properties: {
        SecretId: stack.resolve(token.secret.secretArn),
        RotationLambdaARN: { 'Fn::GetAtt': [stack.getLogicalId(token.rotationFunction.node.defaultChild as lambda.CfnFunction), 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        RotateImmediatelyOnUpdate: true,
      },
      DependsOn: Match.arrayWith([stack.getLogicalId(token.node.findChild('InvokedBySecretsManager') as lambda.CfnPermission)]),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
    });
  });

  test('only Secrets Manager, for this secret in this account, may invoke the rotation function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceArn: stack.resolve(token.secret.secretArn),
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  test('the rotation configuration names the token, the secret, a one-day grace and a 64-character random issuer', () => {
    expect(rotationConfig(template, stack, token)).toEqual({
      tokenName: 'orders-write',
      secretArn: `<${JSON.stringify(stack.resolve(token.secret.secretArn)).replace(/"/g, "'")}>`,
      graceSeconds: 86400,
      issuer: { kind: 'random', length: 64 },
    });
  });

  test('a schedule sends the revoke-previous event to the rotation function every 15 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [stack.getLogicalId(token.rotationFunction.node.defaultChild as lambda.CfnFunction), 'Arn'] },
        Input: '{"action":"hardened-webhooks:revoke-previous"}',
        RetryPolicy: { MaximumRetryAttempts: 2 },
      })],
    });
  });

  test('metricUsage is the summed TokenUsage of the token per 5 minutes, keyed by its secret\'s name (unique per account and Region; the token name is unique per stack only)', () => {
    const usage = token.metricUsage();
    expect({ namespace: usage.namespace, metricName: usage.metricName, dimensions: usage.dimensions, statistic: usage.statistic, period: usage.period.toSeconds() })
      .toEqual({ namespace: 'HardenedWebhooks', metricName: 'TokenUsage', dimensions: { Token: 'hardened-webhooks/Tokens/orders-write' }, statistic: 'Sum', period: 300 });
    expect(token.metricRotationErrors().period.toSeconds()).toBe(3600);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('ScopedToken options', () => {
  test('custom interval, grace, length, name, key and removal policy', () => {
    const stack = new Stack(new App(), 'Custom');
    const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    const token = new ScopedToken(stack, 'Audit', {
      tokenName: 'audit-append',
      rotationInterval: Duration.days(7),
      previousTokenGrace: Duration.hours(6),
      issuer: TokenIssuer.random({ length: 48 }),
      secretName: 'prod/audit-append',
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::SecretsManager::Secret', { Properties: { Name: 'prod/audit-append' }, DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
    expect(rotationConfig(template, stack, token)).toMatchObject({ graceSeconds: 21600, issuer: { kind: 'random', length: 48 } });
    expect(token.encryptionKey).toBe(key);
  });

  test('the grace defaults to the rotation interval when that is shorter than a day', () => {
    const { stack, token, template } = tokenStack({ rotationInterval: Duration.hours(12) });
    expect(rotationConfig(template, stack, token)).toMatchObject({ graceSeconds: 43200 });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(12 hours)' } });
  });

  test('TokenIssuer.fromFunction names the issuer function by ARN', () => {
    const stack = new Stack(new App(), 'Partner');
    const issuer = testFunction(stack, 'Issuer');
    const token = new ScopedToken(stack, 'Partner', { tokenName: 'partner-api', issuer: TokenIssuer.fromFunction(issuer) });
    const template = Template.fromStack(stack);
    expect(rotationConfig(template, stack, token)).toMatchObject({
      issuer: { kind: 'lambda', functionName: `<{'Fn::GetAtt':['${stack.getLogicalId(issuer.node.defaultChild as lambda.CfnFunction)}','Arn']}>` },
    });
    expect(token.issuer.kind).toBe('lambda');
    expect(token.issuer.handler).toBe(issuer);
  });

  test('grantRead grants GetSecretValue on the secret and Decrypt on its key for this secret only', () => {
    const stack = new Stack(new App(), 'Grant');
    const token = new ScopedToken(stack, 'T', { tokenName: 'internal-check' });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    token.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: stack.resolve(token.secret.secretArn) },
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: stack.resolve(token.encryptionKey.keyArn),
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue(), 'kms:EncryptionContext:SecretARN': stack.resolve(token.secret.secretArn) } },
          },
        ],
      },
    });
  });
});

describe('ScopedToken validation', () => {
  const make = (props: Partial<ScopedTokenProps>) => () => new ScopedToken(new Stack(), 'T', { tokenName: 'orders-write', ...props });

  test.each([
    ['a name starting with a hyphen', { tokenName: '-orders' }, /tokenName must be letters, digits and "\._-".*; got "-orders"/],
    ['a name with a space', { tokenName: 'orders write' }, /tokenName .*got "orders write"/],
    ['a rotation interval under 4 hours', { rotationInterval: Duration.hours(3) }, /rotationInterval must be between 14400 s and 86400000 s; got 10800 s/],
    ['a rotation interval over 1000 days', { rotationInterval: Duration.days(1001) }, /rotationInterval must be between .*; got 86486400 s/],
    ['a grace under 15 minutes', { previousTokenGrace: Duration.minutes(5) }, /previousTokenGrace must be between 900 s and the rotation interval \(2592000 s\); got 300 s/],
    ['a grace longer than the interval', { rotationInterval: Duration.days(1), previousTokenGrace: Duration.days(2) }, /previousTokenGrace .*got 172800 s/],
    ['a random token under 32 characters', { issuer: TokenIssuer.random({ length: 16 }) }, /issuer.length must be between 32 and 4096; got 16/],
    ['a fractional token length', { issuer: TokenIssuer.random({ length: 40.5 }) }, /issuer.length must be a whole number; got 40.5/],
    ['a secret name with a space', { secretName: 'bad name!' }, /secretName must be .*; got "bad name!"/],
    ['zero evaluation periods', { alarms: { usageCeiling: { evaluationPeriods: 0 } } }, /alarms.usageCeiling.evaluationPeriods must be between 1 and 100; got 0/],
    ['a zero-width anomaly band', { alarms: { usageAnomaly: { standardDeviations: 0 } } }, /alarms.usageAnomaly.standardDeviations must be between 0.1 and 100; got 0/],
    ['a period that is not whole minutes', { alarms: { rotationErrors: { period: Duration.seconds(90) } } }, /alarms.rotationErrors.period must be a whole number of minutes .*; got 90 s/],
    ['more datapoints than evaluation periods', { alarms: { usageCeiling: { evaluationPeriods: 2, datapointsToAlarm: 3 } } }, /alarms.usageCeiling.datapointsToAlarm must be between 1 and 2; got 3/],
  ])('%s is refused', (_label, props, message) => {
    expect(make(props as Partial<ScopedTokenProps>)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    expect(make({ tokenName: '!', rotationInterval: Duration.hours(1) })).toThrow(/^Default\/T: invalid props:\n- tokenName .*\n- rotationInterval/);
  });
});

describe('ScopedToken secret names: what would collide at deploy is refused at synth', () => {
  test('two tokens with one tokenName in a stack (one default secret name) are refused, naming both', () => {
    const stack = new Stack(new App(), 'Orders');
    new ScopedToken(stack, 'First', { tokenName: 'orders-write' });
    expect(() => new ScopedToken(stack, 'Second', { tokenName: 'orders-write' }))
      .toThrow(/^Orders\/Second: invalid props:\n- secretName "hardened-webhooks\/Orders\/orders-write" is already used by Orders\/First .*unique per account and Region/);
  });

  test('an explicit secretName equal to another token\'s in the same stack is refused', () => {
    const stack = new Stack(new App(), 'Orders');
    new ScopedToken(stack, 'First', { tokenName: 'a', secretName: 'shared/name' });
    expect(() => new ScopedToken(stack, 'Second', { tokenName: 'b', secretName: 'shared/name' })).toThrow(/^Orders\/Second: invalid props:\n- secretName "shared\/name" is already used by Orders\/First/);
  });

  test('two stacks bound to one account and Region cannot both use a secret name; other Regions, other apps and environment-agnostic stacks can', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'eu-west-1' };
    new ScopedToken(new Stack(app, 'A', { env }), 'T', { tokenName: 'a', secretName: 'shared/name' });
    expect(() => new ScopedToken(new Stack(app, 'B', { env }), 'T', { tokenName: 'b', secretName: 'shared/name' }))
      .toThrow(/already used by A\/T \(111111111111\/eu-west-1\)/);
    expect(() => new ScopedToken(new Stack(app, 'C', { env: { ...env, region: 'us-east-1' } }), 'T', { tokenName: 'c', secretName: 'shared/name' })).not.toThrow();
    expect(() => new ScopedToken(new Stack(app, 'D'), 'T', { tokenName: 'd', secretName: 'shared/name' })).not.toThrow();
    expect(() => new ScopedToken(new Stack(app, 'E'), 'T', { tokenName: 'e', secretName: 'shared/name' })).not.toThrow();
    expect(() => new ScopedToken(new Stack(new App(), 'B', { env }), 'T', { tokenName: 'b', secretName: 'shared/name' })).not.toThrow();
  });

  test('one tokenName in two stacks gets two secret names (the stack name is part of the default), so both synthesize', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'eu-west-1' };
    new ScopedToken(new Stack(app, 'A', { env }), 'T', { tokenName: 'orders-write' });
    expect(() => new ScopedToken(new Stack(app, 'B', { env }), 'T', { tokenName: 'orders-write' })).not.toThrow();
  });
});

describe('addProcessor with tokens', () => {
  function endpointStack() {
    const stack = new Stack(new App(), 'E');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe() });
    return { stack, endpoint, fn: testFunction(stack, 'Fn') };
  }

  test('sets HW_TOKENS (name → secret ARN) and the cache TTL', () => {
    const { stack, endpoint, fn } = endpointStack();
    const a = new ScopedToken(stack, 'A', { tokenName: 'orders-write' });
    const b = new ScopedToken(stack, 'B', { tokenName: 'orders-read' });
    endpoint.addProcessor(fn, { name: 'fulfilment', tokens: [a, b], tokenCacheTtl: Duration.seconds(60) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HW_TOKENS: { 'Fn::Join': ['', ['{"orders-write":"', stack.resolve(a.secret.secretArn), '","orders-read":"', stack.resolve(b.secret.secretArn), '"}']] },
          HW_TOKEN_CACHE_TTL_SECONDS: '60',
          HW_PROCESSOR_NAME: 'fulfilment',
        }),
      },
    });
  });

  test('metric identities are unique to what they measure: one token name in two stacks, one processor name in two endpoints', () => {
    const app = new App();
    const env = { account: '111111111111', region: 'eu-west-1' };
    const built = ['Payments', 'Refunds'].map((stackId) => {
      const stack = new Stack(app, stackId, { env });
      const token = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write' });
      const processors = ['Stripe', 'GitHub'].map((id) => new HardenedWebhookEndpoint(stack, id, { provider: WebhookProvider.stripe() })
        .addProcessor(testFunction(stack, `${id}Audit`), { name: 'audit', tokens: [token] }));
      return { stack, token, processors };
    });
    const [payments, refunds] = built;
    expect(payments.token.metricUsage().dimensions).toEqual({ Token: 'hardened-webhooks/Payments/orders-write' });
    expect(refunds.token.metricUsage().dimensions).toEqual({ Token: 'hardened-webhooks/Refunds/orders-write' });
    expect(payments.processors.map((processor) => processor.metricProcessed().dimensions)).toEqual([
      { Endpoint: 'Payments/Stripe', Processor: 'audit' }, { Endpoint: 'Payments/GitHub', Processor: 'audit' },
    ]);
    expect(payments.processors[1].metricTokenUsage(payments.token).dimensions).toEqual({ Token: 'hardened-webhooks/Payments/orders-write', Endpoint: 'Payments/GitHub', Processor: 'audit' });
    // what the runtime records them with: HW_ENDPOINT_NAME beside HW_PROCESSOR_NAME
    Template.fromStack(payments.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HW_ENDPOINT_NAME: 'Payments/GitHub', HW_PROCESSOR_NAME: 'audit' }) },
    });
  });

  test('a processor without tokens gets no token variables', () => {
    const { stack, endpoint, fn } = endpointStack();
    endpoint.addProcessor(fn, { name: 'plain' });
    const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HW_PROCESSOR_NAME: 'plain' } } } });
    const [fnResource] = Object.values(variables);
    expect(Object.keys(fnResource.Properties.Environment.Variables)).not.toContain('HW_TOKENS');
  });

  test('refuses two tokens of the same name and a cache TTL over an hour', () => {
    const { stack, endpoint, fn } = endpointStack();
    const a = new ScopedToken(stack, 'A', { tokenName: 'orders-write' });
    const b = new ScopedToken(stack, 'B', { tokenName: 'orders-write', secretName: 'other' });
    expect(() => endpoint.addProcessor(fn, { name: 'p', tokens: [a, b], tokenCacheTtl: Duration.hours(2) }))
      .toThrow(/tokens must have distinct token names; got \["orders-write"\] more than once\n- tokenCacheTtl must be between 0 s and 3600 s; got 7200 s|tokenCacheTtl must be between 0 s and 3600 s; got 7200 s\n- tokens must have distinct/);
  });
});
