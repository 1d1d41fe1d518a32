import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { StripeWebhooksStack } from '../../bin/example-app';
import { ScopedToken, TokenIssuer, type WebhookProcessor } from '../../lib';
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
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: r(stack.endpoint.table.tableArn),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['claim#*', 'nonce#*'] } },
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
    const token = new ScopedToken(stack, 'Partner', { tokenName: 'partner-api', issuer: TokenIssuer.lambda(issuer) });
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
