import { Validations, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { handlerAsset } from './assets';
import { cfnLintIgnore, checkovSkips } from './scanner-metadata';
import { SCANNER_REASONS } from './scanner-reasons';

/**
 * A function of this library's own (the verifier, a token's rotation function): what differs between
 * them, with the reasons each scanner finding every such function raises does not apply to it.
 */
export interface BundledHandlerFunctionProps {
  /** The handler bundle, a folder of `assets/` built by `npm run build`. */
  readonly bundle: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default - no tracing */
  readonly tracing?: lambda.Tracing;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** The description of the function's role: what it may do. */
  readonly roleDescription: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default - the log group's own (retained) */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** What the function logs, and so why its log group needs no customer-managed key (checkov CKV_AWS_158). */
  readonly logLines: string;
  /** Who invokes the function and what happens to a failure: why it needs no dead-letter queue (cdk-nag Serverless-LambdaDLQ, checkov CKV_AWS_116). */
  readonly invocation: string;
  /** What the function calls: why it needs no VPC (checkov CKV_AWS_117). */
  readonly network: string;
  /** How often it runs: why it reserves no concurrency (checkov CKV_AWS_115). */
  readonly concurrency: string;
  /** What its environment holds: why it needs no customer-managed key (checkov CKV_AWS_173). */
  readonly environmentContents: string;
}

/**
 * A Node.js function on arm64 that runs one of the handler bundles built with the library, with a
 * log group and a role of its own — siblings of the function named `<id>Logs` and `<id>Role`, so
 * their logical IDs are those the constructs have always had — and the scanner findings every such
 * function raises acknowledged with the reasons given.
 */
export class BundledHandlerFunction extends lambda.Function {
  public constructor(scope: Construct, id: string, props: BundledHandlerFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH, removalPolicy: props.logRemovalPolicy });
    checkovSkips(logGroup, { id: 'CKV_AWS_158', comment: props.logLines });
    const role = new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.roleDescription });
    logGroup.grantWrite(role);
    super(scope, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAsset(props.bundle)),
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      tracing: props.tracing,
      description: props.description,
      environment: props.environment,
    });
    Validations.of(this).acknowledge({ id: 'Serverless-LambdaDLQ', reason: props.invocation });
    checkovSkips(this,
      { id: 'CKV_AWS_116', comment: props.invocation },
      { id: 'CKV_AWS_117', comment: props.network },
      { id: 'CKV_AWS_115', comment: props.concurrency },
      { id: 'CKV_AWS_173', comment: props.environmentContents });
    cfnLintIgnore(this, 'W3005', SCANNER_REASONS.functionDependsOnItsRole);
  }
}
