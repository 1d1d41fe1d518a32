import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { StripeWebhooksStack } from '../../bin/example-app';
import { HardenedWebhookEndpoint, ScopedToken, TokenIssuer, WebhookProvider, type WebhookProcessor } from '../../lib';
import { handlerAsset } from '../../lib/assets';
import { expectExactRolePolicy, roleLogicalId, type ExpectedStatement } from '../support/iam';

// Exact policy documents: each test fails on any action or resource beyond the listed ones.

const XRAY: ExpectedStatement = { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
const SQS_EVENT_SOURCE = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

describe('exact IAM policies of the example app', () => {
  let stack: StripeWebhooksStack;
  let template: Template;
  let fulfilment: WebhookProcessor;
  let audit: WebhookProcessor;

  beforeAll(() => {
    // GIVEN the example app: two processors, each with its own scoped token
    stack = new StripeWebhooksStack(new App(), 'Example');
    template = Template.fromStack(stack);
    [fulfilment, audit] = stack.endpoint.processors;
  });

  const r = (value: unknown): unknown => stack.resolve(value);
  const logsOf = (fn: lambda.IFunction): ExpectedStatement => ({
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: r(((fn as lambda.Function).logGroup as logs.ILogGroup).logGroupArn),
  });
  const readToken = (token: ScopedToken): ExpectedStatement[] => [
    { Action: 'secretsmanager:GetSecretValue', Resource: r(token.secret.secretArn) },
    {
      Action: 'kms:Decrypt',
      Resource: r(token.encryptionKey.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': r(`secretsmanager.${stack.region}.${stack.urlSuffix}`), 'kms:EncryptionContext:SecretARN': r(token.secret.secretArn) } },
    },
  ];
  const processorRecords = (processor: WebhookProcessor): ExpectedStatement => ({
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    Resource: r(stack.endpoint.table.tableArn),
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`processor#${processor.name}#*`] } },
  });

  test('the verifier reads the signing secret, claims event IDs and sends to the processor queues — and reads no token', () => {
    expectExactRolePolicy(template, roleLogicalId(stack.endpoint.verifier), [
      logsOf(stack.endpoint.verifier),
      XRAY,
      { Action: 'secretsmanager:GetSecretValue', Resource: r(stack.endpoint.signingSecret.secretArn) },
      {
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Resource: r(stack.endpoint.table.tableArn),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#*'] } },
      },
      { Action: 'sqs:SendMessage', Resource: r(fulfilment.queue.queueArn) },
      { Action: 'sqs:SendMessage', Resource: r(audit.queue.queueArn) },
    ]);
  });

  test('the fulfilment processor reads its queue, its own records and the orders-write token only', () => {
    expectExactRolePolicy(template, roleLogicalId(fulfilment.handler), [
      logsOf(fulfilment.handler),
      XRAY,
      { Action: SQS_EVENT_SOURCE, Resource: r(fulfilment.queue.queueArn) },
      processorRecords(fulfilment),
      ...readToken(stack.ordersWrite),
    ]);
  });

  test('the audit processor reads its queue, its own records and the audit-append token only', () => {
    expectExactRolePolicy(template, roleLogicalId(audit.handler), [
      logsOf(audit.handler),
      XRAY,
      { Action: SQS_EVENT_SOURCE, Resource: r(audit.queue.queueArn) },
      processorRecords(audit),
      ...readToken(stack.auditAppend),
    ]);
  });

  test.each(['ordersWrite', 'auditAppend'] as const)('the %s rotation function rotates its own secret with its own key only', (which) => {
    const token = stack[which];
    expectExactRolePolicy(template, roleLogicalId(token.rotationFunction), rotationStatements(stack, token));
  });

  test('the token environment names each processor\'s own secret only', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleLogicalId(fulfilment.handler), 'Arn'] },
      Environment: { Variables: { HW_TOKENS: { 'Fn::Join': ['', ['{"orders-write":"', r(stack.ordersWrite.secret.secretArn), '"}']] }, HW_TOKEN_CACHE_TTL_SECONDS: '300' } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleLogicalId(audit.handler), 'Arn'] },
      Environment: { Variables: { HW_TOKENS: { 'Fn::Join': ['', ['{"audit-append":"', r(stack.auditAppend.secret.secretArn), '"}']] } } },
    });
  });
});

describe('exact IAM policy of a rotation function with a Lambda issuer', () => {
  test('adds lambda:InvokeFunction on the issuer\'s unqualified ARN, nothing else', () => {
    // GIVEN
    const stack = new Stack();
    const issuer = new lambda.Function(stack, 'Issuer', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAsset('rotation')),
    });
    // WHEN
    const token = new ScopedToken(stack, 'Partner', { tokenName: 'partner-api', issuer: TokenIssuer.fromFunction(issuer) });
    // THEN
    expectExactRolePolicy(Template.fromStack(stack), roleLogicalId(token.rotationFunction), [
      ...rotationStatements(stack, token),
      { Action: 'lambda:InvokeFunction', Resource: stack.resolve(issuer.functionArn) },
    ]);
  });

  test('the helper fails on an extra action', () => {
    const stack = new Stack();
    const token = new ScopedToken(stack, 'T', { tokenName: 't' });
    token.rotationFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:DeleteSecret'], resources: [token.secret.secretArn] }));
    expect(() => expectExactRolePolicy(Template.fromStack(stack), roleLogicalId(token.rotationFunction), rotationStatements(stack, token))).toThrow(/DeleteSecret/);
  });
});

function rotationStatements(stack: Stack, token: ScopedToken): ExpectedStatement[] {
  const r = (value: unknown): unknown => stack.resolve(value);
  const secretArn = r(token.secret.secretArn);
  return [
    { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: r(((token.rotationFunction as lambda.Function).logGroup as logs.ILogGroup).logGroupArn) },
    {
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      Resource: secretArn,
    },
    {
      Action: 'secretsmanager:TagResource',
      Resource: secretArn,
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['hardened-webhooks:current-version', 'hardened-webhooks:current-since'] } },
    },
    {
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: r(token.encryptionKey.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': r(`secretsmanager.${stack.region}.${stack.urlSuffix}`), 'kms:EncryptionContext:SecretARN': secretArn } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Customer-managed key (`encryptionKey`): every kms: permission is scoped to the service that uses
// the key on the function's behalf (kms:ViaService) and to the one table, queue or secret
// (encryption context). Nothing is added to the key policy for the functions.

interface PolicyStatement { Effect?: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> }

/** Every IAM policy statement of the template (AWS::IAM::Policy, ::ManagedPolicy, inline role policies) with a kms: action, with where it is. */
function kmsIdentityStatements(template: Template): Array<{ where: string; statement: PolicyStatement }> {
  const found: Array<{ where: string; statement: PolicyStatement }> = [];
  const add = (where: string, statements: PolicyStatement[]) => {
    for (const statement of statements) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      if (actions.some((action) => action.toLowerCase().startsWith('kms:') || action === '*')) found.push({ where, statement });
    }
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of Object.entries(template.findResources(type))) add(id, resource.Properties.PolicyDocument.Statement);
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const policy of (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: PolicyStatement[] } }>) add(id, policy.PolicyDocument.Statement);
  }
  return found;
}

/** The kms: statements that Allow without a kms:ViaService condition or without an encryption-context condition. */
function unscopedKmsStatements(template: Template): string[] {
  const problems: string[] = [];
  for (const { where, statement } of kmsIdentityStatements(template)) {
    if ((statement.Effect ?? 'Allow') !== 'Allow') continue;
    const keys = Object.values(statement.Condition ?? {}).flatMap((block) => Object.keys(block));
    if (!keys.includes('kms:ViaService')) problems.push(`${where}: ${JSON.stringify(statement.Action)} has no kms:ViaService condition`);
    if (!keys.some((key) => key.startsWith('kms:EncryptionContext:'))) problems.push(`${where}: ${JSON.stringify(statement.Action)} has no encryption-context condition`);
  }
  return problems;
}

/** A processor function with its own role and nothing else on it (no logs or X-Ray grant). */
function bareFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    role: new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
  });
}

function keyedStack() {
  const stack = new Stack(new App(), 'Keyed');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), encryptionKey: key });
  // A scoped token under the same key: its grant is scoped to its own secret.
  const token = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write', encryptionKey: key });
  const first = endpoint.addProcessor(bareFunction(stack, 'First'), { name: 'first', tokens: [token] });
  const second = endpoint.addProcessor(bareFunction(stack, 'Second'), { name: 'second' });
  return { stack, key, endpoint, token, first, second };
}

describe('exact KMS grants with a customer-managed key (encryptionKey)', () => {
  let built: ReturnType<typeof keyedStack>;
  let template: Template;

  beforeAll(() => {
    built = keyedStack();
    template = Template.fromStack(built.stack);
  });

  const r = (value: unknown): unknown => built.stack.resolve(value);
  const via = (service: string): unknown => r(`${service}.${built.stack.region}.${built.stack.urlSuffix}`);
  const keyUse = (action: string | string[], service: string, context: Record<string, unknown>): ExpectedStatement => ({
    Action: action,
    Resource: r(built.key.keyArn),
    Condition: { StringEquals: { 'kms:ViaService': via(service), ...context } },
  });
  const tableContext = () => ({ 'kms:EncryptionContext:aws:dynamodb:tableName': r(built.endpoint.table.tableName) });
  const queueContext = (processor: WebhookProcessor) => ({ 'kms:EncryptionContext:aws:sqs:arn': r(processor.queue.queueArn) });
  const consume = (processor: WebhookProcessor): ExpectedStatement => ({ Action: SQS_EVENT_SOURCE, Resource: r(processor.queue.queueArn) });
  const records = (processor: WebhookProcessor): ExpectedStatement => ({
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    Resource: r(built.endpoint.table.tableArn),
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`processor#${processor.name}#*`] } },
  });

  test('the verifier: Decrypt via Secrets Manager for the signing secret, Decrypt + GenerateDataKey via DynamoDB for the table and via SQS for each processor queue', () => {
    const { endpoint, first, second } = built;
    expectExactRolePolicy(template, roleLogicalId(endpoint.verifier), [
      logsOfFunction(built.stack, endpoint.verifier),
      XRAY,
      { Action: 'secretsmanager:GetSecretValue', Resource: r(endpoint.signingSecret.secretArn) },
      keyUse('kms:Decrypt', 'secretsmanager', { 'kms:EncryptionContext:SecretARN': r(endpoint.signingSecret.secretArn) }),
      {
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Resource: r(endpoint.table.tableArn),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#*'] } },
      },
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'dynamodb', tableContext()),
      { Action: 'sqs:SendMessage', Resource: r(first.queue.queueArn) },
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'sqs', queueContext(first)),
      { Action: 'sqs:SendMessage', Resource: r(second.queue.queueArn) },
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'sqs', queueContext(second)),
    ]);
  });

  test('a processor: Decrypt via SQS for its own queue, Decrypt + GenerateDataKey via DynamoDB for the table, Decrypt via Secrets Manager for its own token', () => {
    const { first, token } = built;
    expectExactRolePolicy(template, roleLogicalId(first.handler), [
      consume(first),
      keyUse('kms:Decrypt', 'sqs', queueContext(first)),
      records(first),
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'dynamodb', tableContext()),
      { Action: 'secretsmanager:GetSecretValue', Resource: r(token.secret.secretArn) },
      keyUse('kms:Decrypt', 'secretsmanager', { 'kms:EncryptionContext:SecretARN': r(token.secret.secretArn) }),
    ]);
  });

  test('a processor without tokens: its own queue and records only — not the other queue, not the signing secret', () => {
    const { second } = built;
    expectExactRolePolicy(template, roleLogicalId(second.handler), [
      consume(second),
      keyUse('kms:Decrypt', 'sqs', queueContext(second)),
      records(second),
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'dynamodb', tableContext()),
    ]);
  });

  test('every kms: statement of every policy has a kms:ViaService and an encryption-context condition', () => {
    expect(kmsIdentityStatements(template).length).toBeGreaterThanOrEqual(10);
    expect(unscopedKmsStatements(template)).toEqual([]);
  });

  test('the example app (no encryptionKey, token keys of their own) has no unscoped kms: statement either', () => {
    const example = Template.fromStack(new StripeWebhooksStack(new App(), 'Example'));
    expect(kmsIdentityStatements(example).length).toBeGreaterThan(0);
    expect(unscopedKmsStatements(example)).toEqual([]);
  });

  test('the check fails on an unconditioned key grant (aws-cdk-lib\'s key.grantDecrypt)', () => {
    const other = keyedStack();
    other.key.grantDecrypt(other.first.handler);
    expect(unscopedKmsStatements(Template.fromStack(other.stack))).toEqual([
      expect.stringMatching(/kms:Decrypt.*no kms:ViaService condition/),
      expect.stringMatching(/kms:Decrypt.*no encryption-context condition/),
    ]);
  });

  test('the key policy names none of the functions\' roles, and every statement but the account\'s own administration is scoped to a service', () => {
    const [keyResource] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = keyResource.Properties.KeyPolicy.Statement as PolicyStatement[];
    const roleIds = Object.keys(template.findResources('AWS::IAM::Role'));
    const text = JSON.stringify(statements);
    for (const roleId of roleIds) expect(text).not.toContain(roleId);
    const accountRoot = { AWS: r(`arn:${built.stack.partition}:iam::${built.stack.account}:root`) };
    const unscoped = statements.filter((statement) => !Object.values(statement.Condition ?? {}).some((block) => 'kms:ViaService' in block));
    // The default key policy: the account administers its key and delegates use to IAM policies.
    expect(unscoped).toEqual([{ Action: 'kms:*', Effect: 'Allow', Principal: accountRoot, Resource: '*' }]);
  });

  test('a signing secret imported by full ARN with its key: Decrypt for exactly that ARN', () => {
    const stack = new Stack(new App(), 'Imported');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    const fullArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks/signing-AbCdEf';
    const signingSecret = secretsmanager.Secret.fromSecretAttributes(stack, 'Secret', { secretCompleteArn: fullArn, encryptionKey: key });
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), signingSecret });
    const t = Template.fromStack(stack);
    expectExactRolePolicy(t, roleLogicalId(endpoint.verifier), [
      logsOfFunction(stack, endpoint.verifier),
      XRAY,
      { Action: 'secretsmanager:GetSecretValue', Resource: fullArn },
      {
        Action: 'kms:Decrypt',
        Resource: key.keyArn,
        Condition: { StringEquals: { 'kms:ViaService': stack.resolve(`secretsmanager.${stack.region}.${stack.urlSuffix}`), 'kms:EncryptionContext:SecretARN': fullArn } },
      },
      {
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Resource: stack.resolve(endpoint.table.tableArn),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#*'] } },
      },
    ]);
    expect(unscopedKmsStatements(t)).toEqual([]);
  });

  test('a signing secret imported by partial ARN with its key: Decrypt for that ARN and its 6-character suffix only', () => {
    const stack = new Stack(new App(), 'Partial');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    const partialArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks/signing';
    const signingSecret = secretsmanager.Secret.fromSecretAttributes(stack, 'Secret', { secretPartialArn: partialArn, encryptionKey: key });
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), signingSecret });
    const t = Template.fromStack(stack);
    const [statement] = kmsIdentityStatements(t).map((found) => found.statement);
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: key.keyArn,
      Condition: {
        StringEquals: { 'kms:ViaService': stack.resolve(`secretsmanager.${stack.region}.${stack.urlSuffix}`) },
        StringLike: { 'kms:EncryptionContext:SecretARN': `${partialArn}-??????` },
      },
    });
    expect(endpoint.verifier).toBeDefined();
    expect(unscopedKmsStatements(t)).toEqual([]);
  });
});

function logsOfFunction(stack: Stack, fn: lambda.IFunction): ExpectedStatement {
  return { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: stack.resolve(((fn as lambda.Function).logGroup as logs.ILogGroup).logGroupArn) };
}
