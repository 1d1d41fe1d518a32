import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HardenedWebhookEndpoint, HardenedWebhooksErrors, WebhookProvider } from '../../lib';
import { CORE_RULE_SET_BODY_RULES, decimalGreaterThan, KNOWN_BAD_INPUTS_BODY_RULES, WebhookWafRule, WebhookWaf, type WebhookWafOptions } from '../../lib/waf';

/** A plain REST API with one POST method, and the web ACL in front of its stage. */
function wafStack(options: WebhookWafOptions = {}) {
  const app = new App();
  const stack = new Stack(app, 'WafStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'live' } });
  api.root.addResource('webhook').addMethod('POST', new apigw.MockIntegration());
  const waf = new WebhookWaf(stack, 'Waf', { stage: api.deploymentStage, ...options });
  return { stack, api, waf, t: Template.fromStack(stack) };
}

type Rule = { Name: string; Priority: number; Statement: Record<string, any>; Action?: Record<string, any>; OverrideAction?: Record<string, any> };

function rules(t: Template): Rule[] {
  const acls = Object.values(t.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0].Properties.Rules as Rule[];
}

function managedGroups(t: Template): string[] {
  return rules(t).map((rule) => rule.Statement.ManagedRuleGroupStatement?.Name).filter((name): name is string => name !== undefined);
}

/** The action a managed group's rule ends up with: COUNT when overridden, else the group's own. */
function overriddenToCount(rule: Rule): string[] {
  return (rule.Statement.ManagedRuleGroupStatement.RuleActionOverrides ?? [])
    .filter((o: { ActionToUse: Record<string, unknown> }) => 'Count' in o.ActionToUse)
    .map((o: { Name: string }) => o.Name);
}

describe('WebhookWaf: what it blocks', () => {
  test('a regional web ACL that allows by default, with metrics and sampled requests on', () => {
    const { t } = wafStack();
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: Match.anyValue() },
    });
  });

  test('AWS\'s IP reputation list comes first and blocks as AWS defines it (no override)', () => {
    const [first] = rules(wafStack().t);
    expect(first).toMatchObject({
      Name: WebhookWafRule.IP_REPUTATION,
      Priority: 0,
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' } },
      OverrideAction: { None: {} },
    });
    expect(first.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
  });

  test('a per-IP rate limit: 3,000 requests per 5 minutes by default, answered 429 with Retry-After', () => {
    const rate = rules(wafStack().t).find((rule) => rule.Name === WebhookWafRule.RATE_LIMIT);
    expect(rate).toMatchObject({
      Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, ResponseHeaders: [{ Name: 'retry-after', Value: '300' }] } } },
    });
  });

  test('the rate limit and its window can be changed', () => {
    const rate = rules(wafStack({ rateLimit: 500, rateLimitWindow: Duration.minutes(1) }).t).find((rule) => rule.Name === WebhookWafRule.RATE_LIMIT);
    expect(rate?.Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 60 });
    expect(rate?.Action?.Block.CustomResponse.ResponseHeaders).toEqual([{ Name: 'retry-after', Value: '60' }]);
  });

  test('known bad inputs are blocked in headers, path and query, and only counted in the body', () => {
    const rule = rules(wafStack().t).find((r) => r.Name === WebhookWafRule.KNOWN_BAD_INPUTS) as Rule;
    expect(rule.Statement.ManagedRuleGroupStatement.Name).toBe('AWSManagedRulesKnownBadInputsRuleSet');
    expect(rule.OverrideAction).toEqual({ None: {} });
    expect(overriddenToCount(rule).sort()).toEqual([...KNOWN_BAD_INPUTS_BODY_RULES].sort());
    // Nothing excluded outright: header/URI/query Log4j rules keep blocking.
    expect(rule.Statement.ManagedRuleGroupStatement.ExcludedRules).toBeUndefined();
    expect(overriddenToCount(rule).every((name) => name.endsWith('_BODY'))).toBe(true);
  });

  test('known bad inputs can be left out', () => {
    expect(managedGroups(wafStack({ knownBadInputs: false }).t)).toEqual(['AWSManagedRulesAmazonIpReputationList']);
  });

  test('each rule has a unique priority and its own metric', () => {
    const all = rules(wafStack({ coreRuleSet: true }).t);
    expect(new Set(all.map((rule) => rule.Priority)).size).toBe(all.length);
    for (const rule of all) expect((rule as Rule & { VisibilityConfig: { MetricName: string } }).VisibilityConfig.MetricName).toBe(rule.Name);
  });
});

describe('WebhookWaf: nothing that breaks webhooks', () => {
  test('by default there is no Core rule set at all, so its 8 KB SizeRestrictions_BODY rule cannot block a large delivery', () => {
    expect(managedGroups(wafStack().t)).not.toContain('AWSManagedRulesCommonRuleSet');
  });

  test('with the Core rule set, SizeRestrictions_BODY and every other body rule only count', () => {
    const { t } = wafStack({ coreRuleSet: true });
    const core = rules(t).find((rule) => rule.Name === WebhookWafRule.CORE_RULE_SET) as Rule;
    expect(core.Statement.ManagedRuleGroupStatement.Name).toBe('AWSManagedRulesCommonRuleSet');
    expect(core.OverrideAction).toEqual({ None: {} });
    const counted = overriddenToCount(core);
    expect(counted).toContain('SizeRestrictions_BODY');
    expect(counted.sort()).toEqual([...CORE_RULE_SET_BODY_RULES].sort());
    // The group itself is not in count mode (which would silence every rule, not just the body ones).
    expect(core.OverrideAction).not.toHaveProperty('Count');
  });

  test('no rule set aimed at bots or hosting-provider addresses — which is what webhook senders are', () => {
    const groups = managedGroups(wafStack({ coreRuleSet: true }).t);
    for (const forbidden of ['AWSManagedRulesAnonymousIpList', 'AWSManagedRulesBotControlRuleSet', 'AWSManagedRulesACFPRuleSet', 'AWSManagedRulesATPRuleSet']) {
      expect(groups).not.toContain(forbidden);
    }
  });

  test('no custom rule inspects or limits the body', () => {
    const json = JSON.stringify(rules(wafStack({ coreRuleSet: true }).t).filter((rule) => !rule.Statement.ManagedRuleGroupStatement));
    expect(json).not.toMatch(/SizeConstraintStatement|"Body"|JsonBody/);
  });
});

describe('WebhookWaf: association', () => {
  test('the web ACL is associated with the stage ARN built from the API and stage, in the stack\'s partition', () => {
    const { t } = wafStack();
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    const [association] = Object.values(t.findResources('AWS::WAFv2::WebACLAssociation'));
    const arn = JSON.stringify(association.Properties.ResourceArn);
    expect(arn).toContain('{"Ref":"AWS::Partition"}');
    expect(arn).toContain(':apigateway:eu-west-1::/restapis/');
    expect(arn).toMatch(/"Ref":"Api[0-9A-F]+"/);
    expect(arn).toMatch(/\/stages\/",\{"Ref":"ApiDeploymentStagelive[0-9A-F]+"\}/);
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Waf/), 'Arn'] });
  });

  test('metricBlockedRequests reads AWS/WAFV2 BlockedRequests for the ACL, per rule or overall', () => {
    const { waf, stack } = wafStack();
    const all = stack.resolve(waf.metricBlockedRequests().toMetricConfig().metricStat);
    expect(all).toMatchObject({ namespace: 'AWS/WAFV2', metricName: 'BlockedRequests', statistic: 'Sum' });
    const rate = stack.resolve(waf.metricBlockedRequests(WebhookWafRule.RATE_LIMIT).toMetricConfig().metricStat);
    expect(rate.dimensions).toEqual(expect.arrayContaining([{ name: 'Rule', value: 'RateLimitPerIp' }, { name: 'Region', value: 'eu-west-1' }]));
  });
});

describe('WebhookWaf: validation', () => {
  test('refuses a rate limit below WAF\'s minimum of 10 or fractional, and a window WAF does not offer', () => {
    expect(() => wafStack({ rateLimit: 5 })).toThrow(/rateLimit must be between 10 and 2000000000; got 5/);
    expect(() => wafStack({ rateLimit: 10.5 })).toThrow(/rateLimit must be a whole number; got 10.5/);
    expect(() => wafStack({ rateLimitWindow: Duration.minutes(3) })).toThrow(/rateLimitWindow must be 1, 2, 5 or 10 minutes; got 180 s/);
    expect(() => wafStack({ rateLimit: 5, rateLimitWindow: Duration.seconds(30) })).toThrow(/invalid props/);
  });

  test('the error is recognised by the exported guard and lists every problem at once', () => {
    let thrown: unknown;
    try {
      wafStack({ rateLimit: 5, rateLimitWindow: Duration.seconds(30) });
    } catch (e) {
      thrown = e;
    }
    expect(HardenedWebhooksErrors.isValidationError(thrown)).toBe(true);
    expect(HardenedWebhooksErrors.problemsOf(thrown)).toEqual([
      'rateLimit must be between 10 and 2000000000; got 5',
      'rateLimitWindow must be 1, 2, 5 or 10 minutes; got 30 s',
    ]);
    expect((thrown as Error).message).toMatch(/^WafStack\/Waf: invalid props:\n/);
    expect(HardenedWebhooksErrors.isValidationError(new Error('invalid props'))).toBe(false);
    expect(HardenedWebhooksErrors.isValidationError(undefined)).toBe(false);
    expect(HardenedWebhooksErrors.problemsOf(new Error('x'))).toEqual([]);
  });
});

describe('HardenedWebhookEndpoint: waf', () => {
  function endpoint(waf?: WebhookWafOptions) {
    const app = new App();
    const stack = new Stack(app, 'EndpointWaf', { env: { account: '123456789012', region: 'eu-west-1' } });
    const hooks = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), waf });
    return { hooks, t: Template.fromStack(stack) };
  }

  test('the endpoint lists its waf options\' problems as waf.*, with its other problems, at once', () => {
    const stack = new Stack(new App(), 'EndpointWafInvalid');
    expect(() => new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), path: '/leading', waf: { rateLimit: 1, rateLimitWindow: Duration.minutes(3) } }))
      .toThrow(/^EndpointWafInvalid\/Hooks: invalid props:\n- path must be [^\n]*\n- waf\.rateLimit must be between 10 and 2000000000; got 1\n- waf\.rateLimitWindow must be 1, 2, 5 or 10 minutes; got 180 s$/);
  });

  test('no web ACL unless asked for', () => {
    const { hooks, t } = endpoint();
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    expect(hooks.waf).toBeUndefined();
  });

  test('`waf: {}` attaches the webhook web ACL to the endpoint\'s stage, with the options given', () => {
    const { hooks, t } = endpoint({ rateLimit: 1200 });
    expect(hooks.waf).toBeInstanceOf(WebhookWaf);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    expect(JSON.stringify(Object.values(t.findResources('AWS::WAFv2::WebACLAssociation'))[0].Properties.ResourceArn)).toMatch(/HooksApiDeploymentStageprod/);
    expect(rules(t).find((rule) => rule.Name === WebhookWafRule.RATE_LIMIT)?.Statement.RateBasedStatement.Limit).toBe(1200);
    expect(managedGroups(t)).not.toContain('AWSManagedRulesCommonRuleSet');
  });
});

describe('WebhookWaf: a Content-Length over maxBodySize is answered 413 before API Gateway fails it with a 5xx', () => {
  /** Deterministic pseudo-random integers (mulberry32), so a failure can be reproduced. */
  function random(seed: number): (below: number) => number {
    let state = seed >>> 0;
    return (below) => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
    };
  }

  /** Numbers on every boundary that matters for `limit`, then random ones around and far from it. */
  function candidates(limit: number, next: (below: number) => number): number[] {
    const digits = String(limit).length;
    const values = [0, 1, 9, 10, limit - 1, limit, limit + 1, limit + 9, limit + 10, limit * 10, 10 ** (digits - 1), 10 ** digits - 1, 10 ** digits, 10 ** (digits + 1)];
    // The limit with one digit raised or lowered: the equal-prefix alternatives.
    for (let i = 0; i < digits; i++) {
      const place = 10 ** (digits - i - 1);
      values.push(limit + place, limit - place);
    }
    for (let i = 0; i < 40; i++) values.push(limit - 1000 + next(2001), next(limit * 2 + 2), next(10 ** Math.min(15, digits + 2)));
    return values.filter((value) => Number.isSafeInteger(value) && value >= 0);
  }

  test('decimalGreaterThan matches exactly the numbers above the limit, with or without leading zeros', () => {
    const next = random(20240607);
    const limits = [0, 1, 7, 8, 9, 10, 19, 89, 99, 100, 101, 999, 1000, 163840, 262144, 4669440, 10485760, 99999999, 1234567890];
    for (let i = 0; i < 150; i++) limits.push(next(10 ** (1 + next(12))));
    let checked = 0;
    for (const limit of limits) {
      const regex = new RegExp(decimalGreaterThan(limit));
      for (const value of candidates(limit, next)) {
        for (const text of [String(value), `0${value}`, `000${value}`]) {
          expect({ limit, text, matches: regex.test(text) }).toEqual({ limit, text, matches: value > limit });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(limits.length * 100);
  });

  test('nothing but ASCII digits matches: no sign, space, fraction, exponent, hex, list or other scripts\' digits', () => {
    const regex = new RegExp(decimalGreaterThan(262144));
    const above = '262145';
    expect(regex.test(above)).toBe(true);
    for (const text of ['', '0', '00', ` ${above}`, `${above} `, `+${above}`, `-${above}`, `${above}.0`, '1e9', '0x100000', `${above},${above}`, '٣٠٠٠٠٠٠', '３００００００', `${above}\n`]) {
      expect({ text, matches: regex.test(text) }).toEqual({ text, matches: false });
    }
  });

  test('the expression uses [0-9], never \\d, and stays within WAF\'s 512 characters up to the largest safe integer', () => {
    for (const limit of [0, 4669440, 10485760, Number.MAX_SAFE_INTEGER]) {
      const source = decimalGreaterThan(limit);
      expect(source).not.toContain('\\d');
      expect(source).toMatch(/^\^0\*\(.*\)\$$/);
      expect(source.length).toBeLessThanOrEqual(512);
    }
    expect(() => decimalGreaterThan(-1)).toThrow(RangeError);
    expect(() => decimalGreaterThan(1.5)).toThrow(RangeError);
  });

  function endpointRules(maxBodySize?: Size) {
    const stack = new Stack(new App(), 'BodyLimit', { env: { account: '123456789012', region: 'eu-west-1' } });
    new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), waf: {}, maxBodySize });
    const t = Template.fromStack(stack);
    const [acl] = Object.values(t.findResources('AWS::WAFv2::WebACL'));
    return { t, rules: rules(t), customResponseBodies: acl.Properties.CustomResponseBodies };
  }

  test('the endpoint\'s web ACL blocks a content-length above its maxBodySize (256 KiB by default) with 413 and the verifier\'s JSON error', () => {
    const { rules: all, customResponseBodies } = endpointRules();
    const rule = all.find((r) => r.Name === WebhookWafRule.BODY_TOO_LARGE) as Rule;
    expect(rule).toMatchObject({
      Statement: {
        RegexMatchStatement: {
          RegexString: decimalGreaterThan(262144),
          FieldToMatch: { SingleHeader: { Name: 'content-length' } },
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'body-too-large' } } },
    });
    // A header, never the body, is inspected.
    expect(JSON.stringify(rule)).not.toMatch(/SizeConstraintStatement|"Body"|JsonBody/);
    expect(Object.keys(customResponseBodies)).toEqual(['body-too-large']);
    expect(customResponseBodies['body-too-large'].ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(customResponseBodies['body-too-large'].Content)).toEqual({ error: 'body_too_large', message: 'the body is larger than the limit of 262144 bytes' });
    expect(new Set(all.map((r) => r.Priority)).size).toBe(all.length);
  });

  test('the limit follows maxBodySize, up to its ceiling', () => {
    const { rules: all, customResponseBodies } = endpointRules(HardenedWebhookEndpoint.MAX_BODY_SIZE);
    const rule = all.find((r) => r.Name === WebhookWafRule.BODY_TOO_LARGE) as Rule;
    expect(rule.Statement.RegexMatchStatement.RegexString).toBe(decimalGreaterThan(4669440));
    expect(customResponseBodies['body-too-large'].Content).toContain('4669440');
  });

  test('API Gateway\'s own 413 for bodies over its 10 MB limit stays', () => {
    endpointRules().t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'REQUEST_TOO_LARGE', StatusCode: '413' });
  });

  test('a WebhookWaf without maxBodySize has no size rule and no custom body; maxBodySize is refused outside 1 byte – 10 MiB', () => {
    const { t } = wafStack();
    expect(rules(t).map((rule) => rule.Name)).not.toContain(WebhookWafRule.BODY_TOO_LARGE);
    expect(Object.values(t.findResources('AWS::WAFv2::WebACL'))[0].Properties.CustomResponseBodies).toBeUndefined();
    expect(() => wafStack({ maxBodySize: Size.bytes(0) } as WebhookWafOptions)).toThrow(/maxBodySize must be between 1 bytes and 10485760 bytes; got 0 bytes/);
    expect(() => wafStack({ maxBodySize: Size.bytes(10485761) } as WebhookWafOptions)).toThrow(/maxBodySize must be between 1 bytes and 10485760 bytes; got 10485761 bytes/);
    expect(rules(wafStack({ maxBodySize: Size.kibibytes(1) } as WebhookWafOptions).t).find((rule) => rule.Name === WebhookWafRule.BODY_TOO_LARGE)?.Statement.RegexMatchStatement.RegexString).toBe(decimalGreaterThan(1024));
  });
});
