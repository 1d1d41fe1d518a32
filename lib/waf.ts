import { ArnFormat, Duration, Fn, Size, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ERROR_CODES } from '../lambda/shared/contract';
import { PropsValidator } from './private/validation';

/** Options of the WAF web ACL in front of a webhook endpoint. Every rule is chosen not to drop genuine deliveries. */
export interface WebhookWafOptions {
  /**
   * Requests one client IP address may send per `rateLimitWindow` before WAF answers 429 (with
   * `Retry-After`), which providers treat as "retry later". Providers deliver from few addresses and
   * in bursts (a Stripe bulk update, a GitHub mass-label), so keep it well above a provider's peak;
   * the stage throttle still bounds the total. A whole number, 10 – 2,000,000,000.
   * @default 3000
   */
  readonly rateLimit?: number;
  /**
   * The window the rate limit counts over: 1, 2, 5 or 10 minutes. Also the `Retry-After` of the 429,
   * in seconds.
   * @default Duration.minutes(5)
   */
  readonly rateLimitWindow?: Duration;
  /**
   * Add AWS's Known bad inputs rule set (`AWSManagedRulesKnownBadInputsRuleSet`: Log4j, Java
   * deserialisation, exploitable paths). Its header, path and query rules block. Its body rules
   * (`Log4JRCE_BODY`, `JavaDeserializationRCE_BODY`) only count: a signed body legitimately carries
   * text people wrote (an issue comment quoting `${jndi:…}`), and a blocked delivery is lost for
   * providers that do not retry.
   * @default true
   */
  readonly knownBadInputs?: boolean;
  /**
   * Add AWS's Core rule set (`AWSManagedRulesCommonRuleSet`). Every rule of it that inspects the body
   * only counts: `SizeRestrictions_BODY` blocks bodies over 8 KB, which most providers exceed, and the
   * body's cross-site-scripting, LFI, RFI and SSRF patterns match ordinary user text in signed events.
   * @default false
   */
  readonly coreRuleSet?: boolean;
}

/** Properties of {@link WebhookWaf}. */
export interface WebhookWafProps extends WebhookWafOptions {
  /** The API Gateway stage to protect. */
  readonly stage: apigw.IStage;
  /**
   * The endpoint's `maxBodySize` (at most 10 MiB, API Gateway's own limit): a request whose
   * `Content-Length` says it is larger is answered 413 `body_too_large` by WAF, in the verifier's
   * JSON error shape. Without this rule, a body too large for Lambda (above 4560 KiB) would get API
   * Gateway's own 5xx, which senders retry for days. `HardenedWebhookEndpoint` always sets it.
   * @default - no body size rule
   */
  readonly maxBodySize?: Size;
}

/** The web ACL's rules; each value is the rule's name, also the name of its CloudWatch metrics. */
export enum WebhookWafRule {
  /** AWS's IP reputation list. */
  IP_REPUTATION = 'AmazonIpReputationList',
  /** The per-IP rate limit. */
  RATE_LIMIT = 'RateLimitPerIp',
  /** AWS's Known bad inputs rule set. */
  KNOWN_BAD_INPUTS = 'KnownBadInputs',
  /** AWS's Core rule set. */
  CORE_RULE_SET = 'CoreRuleSet',
  /** A `Content-Length` above the endpoint's `maxBodySize`, answered 413 (`WebhookWafProps.maxBodySize`). */
  BODY_TOO_LARGE = 'BodyTooLarge',
}

/** Rules of the Known bad inputs set that inspect the body: they count, never block. */
export const KNOWN_BAD_INPUTS_BODY_RULES: readonly string[] = ['Log4JRCE_BODY', 'JavaDeserializationRCE_BODY'];

/** Rules of the Core rule set that inspect the body: they count, never block. */
export const CORE_RULE_SET_BODY_RULES: readonly string[] = [
  'SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY',
];

const WINDOWS_SECONDS = [60, 120, 300, 600];

/** API Gateway's own limit on a REST API request body; above it the gateway answers 413 itself. */
const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The web ACL's custom response body for {@link WebhookWafRule.BODY_TOO_LARGE}. */
const BODY_TOO_LARGE_RESPONSE = 'body-too-large';

/**
 * A regular expression that matches exactly the decimal numbers greater than `limit` (a whole number
 * ≥ 0), leading zeros allowed, and nothing else (no sign, space or exponent). WAF compares strings
 * only, so "greater than" is spelled out digit by digit: any number with more significant digits than
 * `limit`, or as many digits that first exceed `limit`'s at some position after an equal prefix.
 * Digit classes are `[0-9]`, never `\d`, which some regex engines widen to other scripts' digits.
 */
export function decimalGreaterThan(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`decimalGreaterThan needs a whole number ≥ 0; got ${limit}`);
  const digits = String(limit);
  const alternatives = [`[1-9][0-9]{${digits.length},}`];
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const higher = digit === 8 ? '9' : `[${digit + 1}-9]`;
    const rest = digits.length - i - 1;
    alternatives.push(`${digits.slice(0, i)}${higher}${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `^0*(${alternatives.join('|')})$`;
}

/**
 * A regional WAFv2 web ACL associated with an API Gateway stage, made for webhook traffic:
 * - AWS's IP reputation list blocks addresses known for bots and attacks;
 * - a per-IP rate limit answers 429, so a flood from one address cannot use up the stage throttle
 *   that genuine senders share;
 * - with `maxBodySize`, a `Content-Length` above it is answered 413 `body_too_large` (JSON, as the
 *   verifier answers), rather than the 5xx API Gateway gives a body too large for Lambda;
 * - AWS's Known bad inputs rule set, on unless `knownBadInputs: false`, and AWS's Core rule set, off
 *   unless `coreRuleSet: true`, each with every body-inspecting rule set to count, because the
 *   signature — checked by the verifier — is what authenticates a body.
 *
 * Rule sets that would refuse genuine deliveries are not offered: the anonymous-IP list (hosting
 * provider addresses, where webhooks come from) and bot control (webhook senders are bots).
 */
export class WebhookWaf extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** The web ACL's ARN. */
  public readonly webAclArn: string;
  /** Its association with the stage. */
  public readonly association: wafv2.CfnWebACLAssociation;

  public constructor(scope: Construct, id: string, props: WebhookWafProps) {
    super(scope, id);
    validateWafProps(this, props);
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: WebhookWafRule.IP_REPUTATION,
        priority: 0,
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' } },
        overrideAction: { none: {} },
        visibilityConfig: visibility(WebhookWafRule.IP_REPUTATION),
      },
      {
        name: WebhookWafRule.RATE_LIMIT,
        priority: 1,
        statement: {
          rateBasedStatement: {
            limit: props.rateLimit ?? 3000,
            aggregateKeyType: 'IP',
            evaluationWindowSec: (props.rateLimitWindow ?? Duration.minutes(5)).toSeconds(),
          },
        },
        action: {
          block: {
            customResponse: {
              responseCode: 429,
              responseHeaders: [{ name: 'retry-after', value: String((props.rateLimitWindow ?? Duration.minutes(5)).toSeconds()) }],
            },
          },
        },
        visibilityConfig: visibility(WebhookWafRule.RATE_LIMIT),
      },
    ];
    const maxBodyBytes = props.maxBodySize?.toBytes();
    if (maxBodyBytes !== undefined) rules.push(bodyTooLargeRule(maxBodyBytes, rules.length));
    if (props.knownBadInputs ?? true) {
      rules.push(managedGroup(WebhookWafRule.KNOWN_BAD_INPUTS, 'AWSManagedRulesKnownBadInputsRuleSet', rules.length, KNOWN_BAD_INPUTS_BODY_RULES));
    }
    if (props.coreRuleSet ?? false) {
      rules.push(managedGroup(WebhookWafRule.CORE_RULE_SET, 'AWSManagedRulesCommonRuleSet', rules.length, CORE_RULE_SET_BODY_RULES));
    }

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      // CloudFormation allows only letters, digits, spaces and =:#@/-,.+ in this description.
      description: 'Webhook endpoint - IP reputation list, per-IP rate limit, Content-Length limit. Body rules only count as signatures authenticate bodies.',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebhookWebAcl'),
      rules,
      customResponseBodies: maxBodyBytes === undefined ? undefined : {
        [BODY_TOO_LARGE_RESPONSE]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({ error: ERROR_CODES.BODY_TOO_LARGE, message: `the body is larger than the limit of ${maxBodyBytes} bytes` }),
        },
      },
    });
    this.webAclArn = this.webAcl.attrArn;

    const stack = Stack.of(this);
    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: stack.formatArn({
        service: 'apigateway',
        account: '',
        resource: 'restapis',
        resourceName: `${props.stage.restApi.restApiId}/stages/${props.stage.stageName}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_SLASH_RESOURCE_NAME,
      }),
      webAclArn: this.webAcl.attrArn,
    });
  }

  /**
   * Requests the web ACL blocked, by one rule or, without `rule`, by all of them.
   * A rise in `RateLimitPerIp` blocks from a provider's address means the limit is too low.
   */
  public metricBlockedRequests(rule?: WebhookWafRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: Fn.select(0, Fn.split('|', this.webAcl.ref)), Region: Stack.of(this).region, Rule: rule ?? 'ALL' },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/**
 * Blocks a request whose `Content-Length` is a number above the limit, with 413 and the verifier's
 * JSON error body. A request without the header (chunked) or with a malformed one passes to API
 * Gateway and the verifier, which measure the body they receive.
 */
function bodyTooLargeRule(maxBodyBytes: number, priority: number): wafv2.CfnWebACL.RuleProperty {
  return {
    name: WebhookWafRule.BODY_TOO_LARGE,
    priority,
    statement: {
      regexMatchStatement: {
        regexString: decimalGreaterThan(maxBodyBytes),
        fieldToMatch: { singleHeader: { Name: 'content-length' } },
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    },
    action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: BODY_TOO_LARGE_RESPONSE } } },
    visibilityConfig: visibility(WebhookWafRule.BODY_TOO_LARGE),
  };
}

function managedGroup(ruleName: string, groupName: string, priority: number, countOnly: readonly string[]): wafv2.CfnWebACL.RuleProperty {
  return {
    name: ruleName,
    priority,
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name: groupName,
        ruleActionOverrides: countOnly.map((name) => ({ name, actionToUse: { count: {} } })),
      },
    },
    overrideAction: { none: {} },
    visibilityConfig: visibility(ruleName),
  };
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/**
 * Props built by `HardenedWebhookEndpoint` from its `waf` prop, which it has already checked with its
 * other props (so that every problem is listed at once): their options are not checked again.
 */
const OPTIONS_CHECKED_BY_ENDPOINT = new WeakSet<WebhookWafProps>();

/** The props of an endpoint's web ACL: its `waf` options, already checked, with its stage and body limit. */
export function endpointWafProps(options: WebhookWafOptions, stage: apigw.IStage, maxBodySize: Size): WebhookWafProps {
  const props: WebhookWafProps = { ...options, stage, maxBodySize };
  OPTIONS_CHECKED_BY_ENDPOINT.add(props);
  return props;
}

function validateWafProps(waf: WebhookWaf, props: WebhookWafProps): void {
  const v = new PropsValidator(waf);
  if (!OPTIONS_CHECKED_BY_ENDPOINT.has(props)) validateWafOptions(v, '', props);
  const maxBodyBytes = props.maxBodySize?.toBytes();
  v.range('maxBodySize', maxBodyBytes, 1, API_GATEWAY_MAX_BODY_BYTES, ' bytes').integer('maxBodySize', maxBodyBytes);
  v.throwIfInvalid();
}

/**
 * Adds the problems of WAF options to a validator, each prop named with `prefix` (`waf.` when the
 * endpoint checks its `waf` prop, so they are listed with the endpoint's other problems at once).
 */
export function validateWafOptions(v: PropsValidator, prefix: string, options: WebhookWafOptions | undefined): void {
  if (!options) return;
  v.range(`${prefix}rateLimit`, options.rateLimit, 10, 2_000_000_000).integer(`${prefix}rateLimit`, options.rateLimit);
  const window = options.rateLimitWindow?.toSeconds();
  if (window !== undefined && !Token.isUnresolved(window)) v.check(WINDOWS_SECONDS.includes(window), `${prefix}rateLimitWindow must be 1, 2, 5 or 10 minutes; got ${window} s`);
}
