import { Aws, Duration, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import {
  ENV, REVOKE_PREVIOUS_ACTION, TOKEN_TAGS, UNISSUED_TOKEN_PLACEHOLDER, type IssuerConfig, type RevokePreviousEvent, type RotationConfig,
} from '../lambda/shared/contract';
import type { TokenAlarmOptions, TokenAlarms } from './monitoring';
import { AlarmActionSet, createTokenAlarms, validateTokenAlarmOptions } from './private/alarms';
import { BundledHandlerFunction } from './private/bundled-handler-function';
import { TokenMetricFactory } from './private/metrics';
import { PropsValidator, ValidationError } from './private/validation';

/** Options of {@link TokenIssuer.random}. */
export interface RandomTokenOptions {
  /**
   * Characters in the token: base64url from a CSPRNG, 6 bits each (32–4096).
   * @default 64
   */
  readonly length?: number;
}

/**
 * Who issues a scoped token's values. Pick one with a static factory:
 * `TokenIssuer.random()` or `TokenIssuer.fromFunction(fn)`.
 */
export class TokenIssuer {
  /**
   * A random token, for internal services that check it against the same secret: they accept the
   * values of AWSCURRENT and AWSPREVIOUS, never AWSPENDING (README, "Services that check a random
   * token"). Processors only ever get AWSCURRENT (`tokens.get` reads that stage); a pending token is
   * untested and may be left over by a failed rotation. AWSPREVIOUS covers the processors' cache
   * after a rotation, for `previousTokenGrace`. Revocation is the grace sweep (or the next rotation)
   * removing the old version's AWSPREVIOUS label.
   */
  public static random(options: RandomTokenOptions = {}): TokenIssuer {
    return new TokenIssuer('random', options.length ?? 64);
  }

  /**
   * Your function mints, activates, tests and revokes the token at a third-party API. The rotation
   * function invokes it synchronously with a `TokenIssuerRequest` (README, "Plugging an issuer")
   * and may invoke it only (`lambda:InvokeFunction` on the function's unqualified ARN).
   */
  public static fromFunction(handler: lambda.IFunction): TokenIssuer {
    return new TokenIssuer('lambda', undefined, handler);
  }

  private constructor(
    /** `random` or `lambda` (a function issuer). */
    public readonly kind: string,
    /** Length of a random token. */
    public readonly length?: number,
    /** The issuer function of `TokenIssuer.fromFunction`. */
    public readonly handler?: lambda.IFunction,
  ) {}

  /** @internal */
  public _validate(v: PropsValidator): void {
    if (this.kind === 'random') v.range('issuer.length', this.length, 32, 4096).integer('issuer.length', this.length);
  }

  /** Grants the rotation function what this issuer needs and returns its configuration. @internal */
  public _bind(rotationFunction: lambda.IFunction): IssuerConfig {
    if (this.kind === 'random') return { kind: 'random', length: this.length ?? 64 };
    const handler = this.handler as lambda.IFunction;
    iam.Grant.addToPrincipal({ grantee: rotationFunction, actions: ['lambda:InvokeFunction'], resourceArns: [handler.functionArn] });
    return { kind: 'lambda', functionName: handler.functionArn };
  }
}

/** A token a processor can be given with `addProcessor(fn, { tokens: [token] })`. */
export interface IScopedToken extends IConstruct {
  /** The token's name, its scope (e.g. `orders-write`): what `tokens.get()` takes. */
  readonly tokenName: string;
  /** The secret holding the token's versions. */
  readonly secret: secretsmanager.ISecret;
  /** The token's alarms. */
  readonly alarms: TokenAlarms;
  /** Grants reading the token: `secretsmanager:GetSecretValue` on the secret and `kms:Decrypt` on its key for this secret only. */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Uses of the token (`tokens.get` calls), all processors together. */
  metricUsage(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Failed invocations of the rotation function. */
  metricRotationErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Adds actions to every alarm of the token. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void;
}

/** Properties of {@link ScopedToken}. */
export interface ScopedTokenProps {
  /**
   * The token's name, which is its scope: what it may do, e.g. `orders-write` (letters, digits and
   * `._-`, starting with a letter or digit, at most 64 characters). Processors ask for it by this name.
   * It names the default secret, so two tokens with one `tokenName` in a stack are refused at synth
   * (see `secretName`).
   */
  readonly tokenName: string;
  /**
   * Who issues the token's values.
   * @default TokenIssuer.random()
   */
  readonly issuer?: TokenIssuer;
  /**
   * Time between rotations (4 hours to 1000 days).
   * @default Duration.days(30)
   */
  readonly rotationInterval?: Duration;
  /**
   * How long the replaced (AWSPREVIOUS) token stays valid after a rotation, before the issuer
   * revokes it (15 minutes to the rotation interval). Keep it longer than the processors' token cache.
   * @default - 1 day, or the rotation interval if that is shorter
   */
  readonly previousTokenGrace?: Duration;
  /**
   * Key that encrypts the token's secret (every version of it); this construct uses it for nothing
   * else — the rotation function's logs and environment use service-managed keys. Readers
   * (`grantRead`, `addProcessor(fn, { tokens })`) get `kms:Decrypt`, the rotation function
   * `kms:Decrypt` + `kms:GenerateDataKey`, each only through Secrets Manager and only for this secret
   * (`kms:ViaService`, `kms:EncryptionContext:SecretARN`), in their own policies: a key you pass must
   * delegate to IAM in its key policy (the default key policy does). `removalPolicy` does not apply to
   * a key you pass.
   * @default - a new customer-managed key with yearly rotation, used by this secret only
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Name of the secret. Secrets Manager names are unique per account and Region, so a name another
   * `ScopedToken` of the app already has is refused at synth: always within one stack, across stacks
   * when both are bound to the same account and Region (environment-agnostic stacks are not compared
   * with each other).
   * @default - `hardened-webhooks/<stack name>/<tokenName>`
   */
  readonly secretName?: string;
  /**
   * What happens to the secret (and the key, if created) when the stack is deleted. Deleting a
   * secret does not revoke its token at a third-party API.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the rotation function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Overrides of the token's alarms.
   * @default - see {@link TokenAlarmOptions}
   */
  readonly alarms?: TokenAlarmOptions;
}

const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** How often the grace sweep looks for an AWSPREVIOUS token to revoke. */
const SWEEP_INTERVAL = Duration.minutes(15);

/**
 * A narrowly scoped token for one workflow: a KMS-encrypted Secrets Manager secret named by its
 * scope, rotated on a schedule by a bundled rotation function (createSecret → setSecret →
 * testSecret → finishSecret) with a pluggable issuer, the replaced token revoked after a grace,
 * and alarms on usage spikes.
 */
export class ScopedToken extends Construct implements IScopedToken {
  public readonly tokenName: string;
  public readonly secret: secretsmanager.ISecret;
  /** The key that encrypts the secret. */
  public readonly encryptionKey: kms.IKey;
  /** The rotation function (also runs the grace sweep). */
  public readonly rotationFunction: lambda.IFunction;
  /** The rotation schedule. */
  public readonly rotationSchedule: secretsmanager.CfnRotationSchedule;
  /** The schedule that revokes the AWSPREVIOUS token once its grace is over. */
  public readonly revokeSchedule: events.IRule;
  public readonly alarms: TokenAlarms;
  /** The anomaly detection model of the token's usage. */
  public readonly usageAnomalyDetector: cloudwatch.CfnAnomalyDetector;
  /** The issuer. */
  public readonly issuer: TokenIssuer;
  /** Time between rotations. */
  public readonly rotationInterval: Duration;
  /** How long a replaced token stays valid. */
  public readonly previousTokenGrace: Duration;

  private readonly alarmActions = new AlarmActionSet();
  /** Its metrics' `Token` dimension is the secret's name: unique per account and Region, unlike `tokenName`. */
  private readonly metrics: TokenMetricFactory;

  public constructor(scope: Construct, id: string, props: ScopedTokenProps) {
    super(scope, id);
    this.rotationInterval = props.rotationInterval ?? Duration.days(30);
    this.previousTokenGrace = props.previousTokenGrace ?? defaultGrace(this.rotationInterval);
    this.issuer = props.issuer ?? TokenIssuer.random();
    validateScopedTokenProps(this, props, this.issuer, this.rotationInterval, this.previousTokenGrace);
    this.tokenName = props.tokenName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `Encrypts the scoped token "${this.tokenName}" (hardened-webhooks).`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const secretName = props.secretName ?? `hardened-webhooks/${Stack.of(this).stackName}/${this.tokenName}`;
    claimSecretName(this, secretName);
    this.metrics = new TokenMetricFactory(secretName);
    const secret = new secretsmanager.Secret(this, 'Resource', {
      secretName,
      description: `Scoped token "${this.tokenName}" (hardened-webhooks): rotated every ${this.rotationInterval.toHumanString()} by ${this.issuer.kind === 'lambda' ? 'an issuer function' : 'a random issuer'}.`,
      // Not a usable token: the rotation that runs when the schedule is created issues the first one.
      secretStringValue: SecretValue.unsafePlainText(UNISSUED_TOKEN_PLACEHOLDER),
      encryptionKey: this.encryptionKey,
      removalPolicy,
    });
    this.secret = secret;

    const fn = this.createRotationFunction(props);
    this.rotationFunction = fn;
    const issuerConfig = this.issuer._bind(fn);
    const config: RotationConfig = {
      tokenName: this.tokenName,
      secretArn: secret.secretArn,
      graceSeconds: this.previousTokenGrace.toSeconds(),
      issuer: issuerConfig,
    };
    fn.addEnvironment(ENV.ROTATION_CONFIG, Stack.of(this).toJsonString(config));
    this.grantRotation(fn);

    const permission = new lambda.CfnPermission(this, 'InvokedBySecretsManager', {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceArn: secret.secretArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    this.rotationSchedule = new secretsmanager.CfnRotationSchedule(this, 'RotationSchedule', {
      secretId: secret.secretArn,
      rotationLambdaArn: fn.functionArn,
      rotationRules: { scheduleExpression: events.Schedule.rate(this.rotationInterval).expressionString },
      // The first rotation runs at deployment and replaces the placeholder with a real token.
      rotateImmediatelyOnUpdate: true,
    });
    this.rotationSchedule.node.addDependency(permission);
    const defaultPolicy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) this.rotationSchedule.node.addDependency(defaultPolicy);

    const sweep: RevokePreviousEvent = { action: REVOKE_PREVIOUS_ACTION };
    this.revokeSchedule = new events.Rule(this, 'RevokeSchedule', {
      description: `Revokes the previous "${this.tokenName}" token once its grace of ${this.previousTokenGrace.toHumanString()} is over.`,
      schedule: events.Schedule.rate(SWEEP_INTERVAL),
      targets: [new targets.LambdaFunction(fn, { event: events.RuleTargetInput.fromObject(sweep), retryAttempts: 2 })],
    });
    Validations.of(this.revokeSchedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: 'The sweep runs every 15 minutes and is idempotent: an invocation that fails after its retries is made up by the next sweep, and rotationErrors alarms on every failure. No webhook delivery depends on it.',
    });

    const alarms = createTokenAlarms(this, this, props.alarms);
    this.alarms = alarms;
    this.usageAnomalyDetector = alarms.anomalyDetector;
    this.alarmActions.addAlarms(...alarms.all);
  }

  /**
   * Grants reading the token: `secretsmanager:GetSecretValue` on this secret, and `kms:Decrypt` on
   * its key only through Secrets Manager and only for this secret (encryption context).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.secret.secretArn] });
    this.grantKey(grantee, ['kms:Decrypt']);
    return grant;
  }

  /**
   * Uses of the token (`tokens.get` calls), summed over all processors, per 5 minutes. Its `Token`
   * dimension is the secret's name, which no other token in the account and Region has (two stacks
   * may each have an `orders-write`). By processor: `WebhookProcessor.metricTokenUsage(token)`.
   */
  public metricUsage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricUsage(props);
  }

  /** Failed invocations of the rotation function (steps and sweeps), per hour. */
  public metricRotationErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.metricRotationErrors(this.rotationFunction, props);
  }

  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.alarmActions.addActions(...actions);
  }

  private createRotationFunction(props: ScopedTokenProps): lambda.Function {
    const fn = new BundledHandlerFunction(this, 'Rotation', {
      bundle: 'rotation',
      memorySize: 256,
      timeout: Duration.minutes(1),
      description: `Rotates the scoped token "${this.tokenName}" and revokes the previous one after its grace.`,
      roleDescription: `Rotates the scoped token "${this.tokenName}": its secret, its key for that secret, its issuer.`,
      logRetention: props.logRetention,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      logLines: 'Lines name the rotation step and secret version only, never a token (the runtime never echoes a value); CloudWatch Logs encrypts them at rest with service-managed keys.',
      invocation: 'Invoked by Secrets Manager, which retries a failed step and reports it on the secret, and by the 15-minute sweep, which the next sweep makes up for; rotationErrors alarms on every failure. No webhook delivery is lost: the current token keeps working.',
      network: 'Calls Secrets Manager, KMS and the issuer\'s public API over TLS; a VPC would add NAT and no protection.',
      concurrency: 'Invoked at most a few times an hour by Secrets Manager and one schedule; reserving concurrency would take capacity from the account pool.',
      environmentContents: 'The environment holds no secret: the token lives in Secrets Manager and is read at run time.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason: 'A few rotation steps a day, each logged with its step and version; X-Ray tracing would add a Resource::* grant to a role kept to exactly what rotation needs. No webhook delivery passes through it.',
    });
    return fn;
  }

  /** Exactly what the rotation steps and the sweep call, on this secret and its key only. */
  private grantRotation(fn: lambda.IFunction): void {
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
      resourceArns: [this.secret.secretArn],
    });
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['secretsmanager:TagResource'],
      resourceArns: [this.secret.secretArn],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TOKEN_TAGS.CURRENT_VERSION, TOKEN_TAGS.CURRENT_SINCE] } },
    });
    this.grantKey(fn, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  private grantKey(grantee: iam.IGrantable, actions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.encryptionKey.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `secretsmanager.${Aws.REGION}.${Aws.URL_SUFFIX}`,
          'kms:EncryptionContext:SecretARN': this.secret.secretArn,
        },
      },
    });
  }
}

/** Secret names taken by ScopedTokens, per app: the name, where it deploys, and the token that has it. */
const SECRET_NAMES = new WeakMap<IConstruct, Map<string, ScopedToken>>();

/**
 * Secrets Manager names are unique per account and Region: two tokens with one name synthesize, then
 * the second fails at deploy. Refuse it here — within a stack always (the default name is
 * `hardened-webhooks/<stack>/<tokenName>`), across stacks when both are bound to the same account
 * and Region (environment-agnostic stacks may deploy anywhere, so they are not compared).
 */
function claimSecretName(token: ScopedToken, secretName: string): void {
  if (Token.isUnresolved(secretName)) return;
  const stack = Stack.of(token);
  const taken = SECRET_NAMES.get(token.node.root) ?? new Map<string, ScopedToken>();
  SECRET_NAMES.set(token.node.root, taken);
  const envBound = !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
  const where = envBound ? `${stack.account}/${stack.region}` : `stack ${stack.node.path}`;
  const other = taken.get(`${where}|${secretName}`);
  if (other) {
    throw new ValidationError(token, [
      `secretName ${JSON.stringify(secretName)} is already used by ${other.node.path} (${where}): Secrets Manager `
      + 'names are unique per account and Region, so the second secret would fail at deploy; give one of them another tokenName or secretName',
    ]);
  }
  taken.set(`${where}|${secretName}`, token);
}

function defaultGrace(rotationInterval: Duration): Duration {
  const interval = rotationInterval.toSeconds();
  if (Token.isUnresolved(interval)) return Duration.days(1);
  return interval < Duration.days(1).toSeconds() ? rotationInterval : Duration.days(1);
}

function validateScopedTokenProps(token: ScopedToken, props: ScopedTokenProps, issuer: TokenIssuer, interval: Duration, grace: Duration): void {
  const v = new PropsValidator(token);
  v.matches('tokenName', props.tokenName, TOKEN_NAME, 'letters, digits and "._-", starting with a letter or digit, at most 64 characters');
  v.range('rotationInterval', interval.toSeconds(), Duration.hours(4).toSeconds(), Duration.days(1000).toSeconds(), ' s');
  const graceSeconds = grace.toSeconds();
  const intervalSeconds = interval.toSeconds();
  if (!Token.isUnresolved(graceSeconds) && !Token.isUnresolved(intervalSeconds)) {
    v.check(graceSeconds >= SWEEP_INTERVAL.toSeconds() && graceSeconds <= intervalSeconds,
      `previousTokenGrace must be between ${SWEEP_INTERVAL.toSeconds()} s and the rotation interval (${intervalSeconds} s); got ${graceSeconds} s`);
  }
  v.matches('secretName', props.secretName, /^[A-Za-z0-9/_+=.@-]{1,512}$/, 'at most 512 characters of letters, digits and "/_+=.@-"');
  issuer._validate(v);
  validateTokenAlarmOptions(v, props.alarms);
  v.throwIfInvalid();
}

