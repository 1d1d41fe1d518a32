import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, ArnFormat, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { StripeWebhooksStack } from '../../bin/example-app';
import { HardenedWebhookEndpoint, ScopedToken, TokenIssuer, WebhookProvider, type WebhookProcessor } from '../../lib';
import { handlerAsset } from '../../lib/private/assets';
import { synthesize } from '../hardening/support/configurations';
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
  const objects = (pattern: string): unknown => r(stack.endpoint.eventBucket?.arnForObjects(pattern));
  const readOwnPayloads = (processor: WebhookProcessor): ExpectedStatement => ({ Action: 's3:GetObject', Resource: objects(`payloads/${processor.name}/*`) });

  test('the verifier reads the signing secret, claims event IDs, stores large bodies and the archive (creating records, never overwriting them) and sends to the processor queues — and reads no token and no object', () => {
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
      { Action: 's3:PutObject', Resource: objects('payloads/*') },
      { Action: 's3:PutObject', Resource: objects('archive/by-time/*') },
      { Action: 's3:PutObject', Resource: objects('archive/by-id/*'), Condition: { Null: { 's3:if-none-match': 'false' } } },
    ]);
  });

  test('the fulfilment processor reads its queue, its own records, its own large bodies and the orders-write token only', () => {
    expectExactRolePolicy(template, roleLogicalId(fulfilment.handler), [
      logsOf(fulfilment.handler),
      XRAY,
      { Action: SQS_EVENT_SOURCE, Resource: r(fulfilment.queue.queueArn) },
      processorRecords(fulfilment),
      readOwnPayloads(fulfilment),
      ...readToken(stack.ordersWrite),
    ]);
  });

  test('the audit processor reads its queue, its own records, its own large bodies and the audit-append token only', () => {
    expectExactRolePolicy(template, roleLogicalId(audit.handler), [
      logsOf(audit.handler),
      XRAY,
      { Action: SQS_EVENT_SOURCE, Resource: r(audit.queue.queueArn) },
      processorRecords(audit),
      readOwnPayloads(audit),
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
  // With an S3 Bucket Key, S3 calls KMS with the bucket's ARN (not the object's) as encryption context.
  const bucketContext = () => ({ 'kms:EncryptionContext:aws:s3:arn': r(built.endpoint.eventBucket?.bucketArn) });
  const objects = (pattern: string): unknown => r(built.endpoint.eventBucket?.arnForObjects(pattern));
  const queueContext = (processor: WebhookProcessor) => ({ 'kms:EncryptionContext:aws:sqs:arn': r(processor.queue.queueArn) });
  const consume = (processor: WebhookProcessor): ExpectedStatement => ({ Action: SQS_EVENT_SOURCE, Resource: r(processor.queue.queueArn) });
  const records = (processor: WebhookProcessor): ExpectedStatement => ({
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    Resource: r(built.endpoint.table.tableArn),
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`processor#${processor.name}#*`] } },
  });

  test('the verifier: Decrypt via Secrets Manager for the signing secret, Decrypt + GenerateDataKey via DynamoDB for the table and via SQS for each processor queue, GenerateDataKey via S3 for the event bucket', () => {
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
      { Action: 's3:PutObject', Resource: objects('payloads/*') },
      keyUse('kms:GenerateDataKey', 's3', bucketContext()),
    ]);
  });

  test('a processor: Decrypt via SQS for its own queue, Decrypt + GenerateDataKey via DynamoDB for the table, Decrypt via S3 for its own large bodies, Decrypt via Secrets Manager for its own token', () => {
    const { first, token } = built;
    expectExactRolePolicy(template, roleLogicalId(first.handler), [
      consume(first),
      keyUse('kms:Decrypt', 'sqs', queueContext(first)),
      records(first),
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'dynamodb', tableContext()),
      { Action: 's3:GetObject', Resource: objects('payloads/first/*') },
      keyUse('kms:Decrypt', 's3', bucketContext()),
      { Action: 'secretsmanager:GetSecretValue', Resource: r(token.secret.secretArn) },
      keyUse('kms:Decrypt', 'secretsmanager', { 'kms:EncryptionContext:SecretARN': r(token.secret.secretArn) }),
    ]);
  });

  test('a processor without tokens: its own queue, records and large bodies only — not the other queue or prefix, not the signing secret', () => {
    const { second } = built;
    expectExactRolePolicy(template, roleLogicalId(second.handler), [
      consume(second),
      keyUse('kms:Decrypt', 'sqs', queueContext(second)),
      records(second),
      keyUse(['kms:Decrypt', 'kms:GenerateDataKey'], 'dynamodb', tableContext()),
      { Action: 's3:GetObject', Resource: objects('payloads/second/*') },
      keyUse('kms:Decrypt', 's3', bucketContext()),
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
      { Action: 's3:PutObject', Resource: stack.resolve(endpoint.eventBucket?.arnForObjects('payloads/*')) },
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

// ---------------------------------------------------------------------------------------------
// The operator grants behind `hardened-webhooks replay` and `erase`: each names only the event
// bucket prefixes (and queues) its command needs.

describe('exact IAM policies of the archive grants', () => {
  function archived(options: { keyed?: boolean } = {}) {
    const stack = new Stack(new App(), 'Archived', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = options.keyed ? new kms.Key(stack, 'Key', { enableKeyRotation: true }) : undefined;
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), encryptionKey: key, archive: { retention: Duration.days(30) } });
    const first = endpoint.addProcessor(bareFunction(stack, 'First'), { name: 'first' });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    const r = (value: unknown): unknown => stack.resolve(value);
    const bucket = endpoint.eventBucket as s3.IBucket;
    const objects = (prefix: string): ExpectedStatement['Resource'] => r(bucket.arnForObjects(`${prefix}*`));
    const list = (...prefixes: string[]): ExpectedStatement => ({
      Action: 's3:ListBucket', Resource: r(bucket.bucketArn), Condition: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
    });
    const viaS3 = (action: string | string[]): ExpectedStatement => ({
      Action: action,
      Resource: r(key?.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': r(`s3.${stack.region}.${stack.urlSuffix}`), 'kms:EncryptionContext:aws:s3:arn': r(bucket.bucketArn) } },
    });
    const viaSqs = (processor: WebhookProcessor): ExpectedStatement => ({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: r(key?.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': r(`sqs.${stack.region}.${stack.urlSuffix}`), 'kms:EncryptionContext:aws:sqs:arn': r(processor.queue.queueArn) } },
    });
    // Where the CLI finds the bucket and queues: this stack's template and resources, nothing else.
    const stackRead: ExpectedStatement = {
      Action: ['cloudformation:GetTemplate', 'cloudformation:ListStackResources'],
      Resource: r(stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: 'Archived/*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })),
    };
    const archiveRead: ExpectedStatement[] = [
      { Action: 's3:GetObject', Resource: objects('archive/by-id/') },
      { Action: 's3:GetObject', Resource: objects('archive/erasures/') },
      list('archive/by-id/', 'archive/by-time/', 'archive/erasures/'),
      stackRead,
    ];
    // Replay reads the archive as grantArchiveRead does, lists its markers' prefix too (a missing
    // marker must answer 404, not 403), and looks up and creates — never rewrites — its markers.
    const replayObjects: ExpectedStatement[] = [
      { Action: 's3:GetObject', Resource: objects('archive/by-id/') },
      { Action: 's3:GetObject', Resource: objects('archive/erasures/') },
      list('archive/by-id/', 'archive/by-time/', 'archive/erasures/', 'archive/replays/'),
      stackRead,
      { Action: 's3:PutObject', Resource: objects('payloads/') },
      { Action: 's3:GetObject', Resource: objects('archive/replays/') },
      { Action: 's3:PutObject', Resource: objects('archive/replays/'), Condition: { Null: { 's3:if-none-match': 'false' } } },
    ];
    const roleId = stack.getLogicalId(operator.node.defaultChild as CfnElement);
    return { stack, endpoint, first, operator, roleId, objects, list, viaS3, viaSqs, archiveRead, replayObjects, stackRead, bucketArn: r(bucket.bucketArn) };
  }

  test('grantArchiveRead: records and erasure entries, listing of the archive prefixes only — no large body, no write', () => {
    const a = archived();
    a.endpoint.grantArchiveRead(a.operator);
    expectExactRolePolicy(Template.fromStack(a.stack), a.roleId, a.archiveRead);
  });

  test('grantReplay: reading the archive, storing large bodies again, looking up and creating replay markers, and sending to every processor queue — those added after the grant too', () => {
    const a = archived();
    a.endpoint.grantReplay(a.operator);
    const later = a.endpoint.addProcessor(bareFunction(a.stack, 'Later'), { name: 'later' });
    expectExactRolePolicy(Template.fromStack(a.stack), a.roleId, [
      ...a.replayObjects,
      { Action: 'sqs:SendMessage', Resource: a.stack.resolve(a.first.queue.queueArn) },
      { Action: 'sqs:SendMessage', Resource: a.stack.resolve(later.queue.queueArn) },
    ]);
  });

  test('grantArchiveErase: read a record, find and delete its entries, bodies and replay markers, create (never overwrite) the audit entry — nothing else', () => {
    const a = archived();
    a.endpoint.grantArchiveErase(a.operator);
    expectExactRolePolicy(Template.fromStack(a.stack), a.roleId, [
      { Action: 's3:GetBucketVersioning', Resource: a.bucketArn },
      { Action: 's3:GetObject', Resource: a.objects('archive/by-id/') },
      a.list('archive/by-id/', 'archive/by-time/', 'payloads/', 'archive/replays/'),
      { Action: 's3:DeleteObject', Resource: a.objects('archive/by-id/') },
      { Action: 's3:DeleteObject', Resource: a.objects('archive/by-time/') },
      { Action: 's3:DeleteObject', Resource: a.objects('payloads/') },
      { Action: 's3:DeleteObject', Resource: a.objects('archive/replays/') },
      { Action: 's3:PutObject', Resource: a.objects('archive/erasures/'), Condition: { Null: { 's3:if-none-match': 'false' } } },
      a.stackRead,
    ]);
  });

  test('with encryptionKey, each grant adds only the key use its S3 and SQS calls need, through that service, for that bucket or queue', () => {
    const read = archived({ keyed: true });
    read.endpoint.grantArchiveRead(read.operator);
    expectExactRolePolicy(Template.fromStack(read.stack), read.roleId, [...read.archiveRead, read.viaS3('kms:Decrypt')]);

    const replay = archived({ keyed: true });
    replay.endpoint.grantReplay(replay.operator);
    expectExactRolePolicy(Template.fromStack(replay.stack), replay.roleId, [
      ...replay.replayObjects,
      replay.viaS3('kms:Decrypt'),
      replay.viaS3('kms:GenerateDataKey'),
      { Action: 'sqs:SendMessage', Resource: replay.stack.resolve(replay.first.queue.queueArn) },
      replay.viaSqs(replay.first),
    ]);

    const erase = archived({ keyed: true });
    erase.endpoint.grantArchiveErase(erase.operator);
    const t = Template.fromStack(erase.stack);
    expect(unscopedKmsStatements(t)).toEqual([]);
    expect(kmsIdentityStatements(t).filter(({ where }) => where.startsWith('OperatorDefaultPolicy')).map(({ statement }) => statement.Action))
      .toEqual([['kms:Decrypt', 'kms:GenerateDataKey']]);
  });

  test('cdk-nag (AwsSolutions) finds nothing unacknowledged on the operator roles: each object-prefix wildcard of the grants is acknowledged with its reason', () => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hw-grants-nag-'));
    try {
      const result = synthesize({
        name: 'archive-grants',
        description: 'the archive, replay and erase grants, with a customer-managed key',
        build: (app) => {
          const stack = new Stack(app, 'Grants', { env: { account: '123456789012', region: 'eu-west-1' } });
          const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
          const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), encryptionKey: key, archive: { retention: Duration.days(30) } });
          endpoint.addProcessor(bareFunction(stack, 'First'), { name: 'first' });
          for (const [id, grant] of [['Reader', 'grantArchiveRead'], ['Replayer', 'grantReplay'], ['Eraser', 'grantArchiveErase']] as const) {
            endpoint[grant](new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() }));
          }
        },
      }, workDir, fs.mkdtempSync(path.join(workDir, 'templates-')));
      const operators = result.findings.filter((finding) => /^Grants\/(Reader|Replayer|Eraser)\//.test(finding.path)).map((f) => `${f.rule} at ${f.path}`);
      // Nothing unexplained: every wildcard of the three operator roles is acknowledged with its reason.
      expect(operators).toEqual([]);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  test('each grant is refused, naming it, on an endpoint without an archive', () => {
    const stack = new Stack(new App(), 'Plain');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe() });
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    expect(endpoint.eventBucket).toBeDefined();
    expect(() => endpoint.grantArchiveRead(operator)).toThrow(/^Plain\/Hooks: grantArchiveRead: invalid props:\n- the endpoint has no archive; set the archive prop/);
    expect(() => endpoint.grantReplay(operator)).toThrow(/^Plain\/Hooks: grantReplay: invalid props/);
    expect(() => endpoint.grantArchiveErase(operator)).toThrow(/^Plain\/Hooks: grantArchiveErase: invalid props/);
  });
});
