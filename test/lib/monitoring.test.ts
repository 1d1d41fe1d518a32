import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HardenedWebhookEndpoint, ScopedToken, WebhookProvider, type HardenedWebhookEndpointProps, type WebhookProcessor } from '../../lib';
import { handlerAsset } from '../../lib/private/assets';

interface Fixture {
  readonly stack: Stack;
  readonly endpoint: HardenedWebhookEndpoint;
  readonly processor: WebhookProcessor;
  readonly token: ScopedToken;
  readonly topic: sns.Topic;
  readonly template: Template;
}

function fixture(props: Partial<HardenedWebhookEndpointProps> = {}, withTopic = true): Fixture {
  const stack = new Stack(new App(), 'Monitored');
  const topic = new sns.Topic(stack, 'Alarms');
  const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe(), ...(withTopic ? { alarmTopic: topic } : {}), ...props });
  const token = new ScopedToken(stack, 'OrdersWrite', { tokenName: 'orders-write' });
  const fn = new lambda.Function(stack, 'Fulfilment', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('rotation')) });
  const processor = endpoint.addProcessor(fn, { name: 'fulfilment', tokens: [token] });
  return { stack, endpoint, processor, token, topic, template: Template.fromStack(stack) };
}

function alarmProperties(f: Fixture, alarm: cloudwatch.IAlarm): Record<string, unknown> {
  const id = f.stack.getLogicalId(alarm.node.defaultChild as CfnElement);
  // A plain copy: toMatchObject compares prototypes too.
  return JSON.parse(JSON.stringify(f.template.toJSON().Resources[id].Properties)) as Record<string, unknown>;
}

/** The dashboard's widgets, each CloudFormation value in its body (a Region, an alarm's ARN) read as "token". */
function dashboardWidgets(f: Fixture): Array<{ properties: { metrics?: unknown[][] } }> {
  const body = Object.values(f.template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'token')).join('');
  return (JSON.parse(text) as { widgets: Array<{ properties: { metrics?: unknown[][] } }> }).widgets;
}

describe('alarms, with their defaults', () => {
  const f = fixture();
  // Plain copies: toMatchObject compares prototypes, and resolved tokens have none.
  const r = (value: unknown): unknown => JSON.parse(JSON.stringify(f.stack.resolve(value)));
  const endpointDimension = [{ Name: 'Endpoint', Value: 'Monitored/Hooks' }];
  const common = { EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: 'notBreaching', AlarmActions: [r(f.topic.topicArn)] };

  test('signature-failure spike: Sum of SignatureFailures ≥ 10 in 5 minutes', () => {
    expect(alarmProperties(f, f.endpoint.alarms.signatureFailures)).toMatchObject({
      Namespace: 'HardenedWebhooks', MetricName: 'SignatureFailures', Dimensions: endpointDimension,
      Statistic: 'Sum', Period: 300, Threshold: 10, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('verifier errors: Sum of AWS/Lambda Errors of the verifier ≥ 1 in 5 minutes', () => {
    expect(alarmProperties(f, f.endpoint.alarms.verifierErrors)).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: r(f.endpoint.verifier.functionName) }],
      Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('verifier 5xx: the 503 reasons (secret unavailable, downstream unavailable) summed ≥ 5 in 5 minutes', () => {
    const rejected = (reason: string) => ({
      Metric: { Namespace: 'HardenedWebhooks', MetricName: 'Rejected', Dimensions: [...endpointDimension, { Name: 'Reason', Value: reason }] },
      Period: 300,
      Stat: 'Sum',
    });
    expect(alarmProperties(f, f.endpoint.alarms.verifierServerErrors)).toMatchObject({
      Metrics: [
        { Expression: 'FILL(secret, 0) + FILL(downstream, 0)', ReturnData: true },
        { Id: 'secret', MetricStat: rejected('signing_secret_unavailable'), ReturnData: false },
        { Id: 'downstream', MetricStat: rejected('downstream_unavailable'), ReturnData: false },
      ],
      Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('API Gateway 5xx: Sum of 5XXError of the API stage ≥ 5 in 5 minutes', () => {
    expect(alarmProperties(f, f.endpoint.alarms.apiServerErrors)).toMatchObject({
      Namespace: 'AWS/ApiGateway', MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'Api' }],
      Statistic: 'Sum', Period: 300, Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('signing-secret entries dropped: Sum of SigningSecretEntriesDropped ≥ 1 in 5 minutes', () => {
    expect(alarmProperties(f, f.endpoint.alarms.signingSecretEntriesDropped)).toEqual({
      Namespace: 'HardenedWebhooks', MetricName: 'SigningSecretEntriesDropped', Dimensions: endpointDimension,
      Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
      AlarmDescription: expect.stringContaining('signing secret entries dropped'),
    });
  });

  test('conflicting replays: Sum of Rejected with Reason conflicting_replay ≥ 1 in 5 minutes', () => {
    expect(alarmProperties(f, f.endpoint.alarms.conflictingReplays)).toEqual({
      Namespace: 'HardenedWebhooks', MetricName: 'Rejected', Dimensions: [...endpointDimension, { Name: 'Reason', Value: 'conflicting_replay' }],
      Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
      AlarmDescription: expect.stringContaining('conflicting_replay'),
    });
    const replays = f.endpoint.metricContentReplays();
    expect({ metricName: replays.metricName, dimensions: replays.dimensions }).toEqual({ metricName: 'ContentReplays', dimensions: { Endpoint: 'Monitored/Hooks' } });
  });

  test('any message in the DLQ: Maximum of ApproximateNumberOfMessagesVisible ≥ 1 over 1 minute', () => {
    expect(alarmProperties(f, f.processor.alarms.deadLetterMessages)).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: r(f.processor.deadLetterQueue.queueName) }],
      Statistic: 'Maximum', Period: 60, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('processing lag: Maximum of ApproximateAgeOfOldestMessage ≥ 900 s over 5 minutes', () => {
    expect(alarmProperties(f, f.processor.alarms.oldestMessageAge)).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: r(f.processor.queue.queueName) }],
      Statistic: 'Maximum', Period: 300, Threshold: 900, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('processor failures: Sum of ProcessorFailures ≥ 5 in 5 minutes', () => {
    expect(alarmProperties(f, f.processor.alarms.failures)).toMatchObject({
      Namespace: 'HardenedWebhooks', MetricName: 'ProcessorFailures', Dimensions: [{ Name: 'Endpoint', Value: 'Monitored/Hooks' }, { Name: 'Processor', Value: 'fulfilment' }],
      Statistic: 'Sum', Period: 300, Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test.each([
    ['errors', 'Errors', 1],
    ['throttles', 'Throttles', 5],
  ] as const)('processor %s: Sum of AWS/Lambda %s of the function ≥ %d in 5 minutes', (key, metricName, threshold) => {
    expect(alarmProperties(f, f.processor.alarms[key])).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: r(f.processor.handler.functionName) }],
      Statistic: 'Sum', Period: 300, Threshold: threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('token usage ceiling: Sum of TokenUsage of the token > 1000 in 5 minutes', () => {
    expect(alarmProperties(f, f.token.alarms.usageCeiling)).toMatchObject({
      Namespace: 'HardenedWebhooks', MetricName: 'TokenUsage', Dimensions: [{ Name: 'Token', Value: 'hardened-webhooks/Monitored/orders-write' }],
      Statistic: 'Sum', Period: 300, Threshold: 1000, ComparisonOperator: 'GreaterThanThreshold', ...common,
    });
  });

  test('token usage anomaly: above a 3-standard-deviation band of TokenUsage Sum per 5 minutes, after its detector exists', () => {
    const id = f.stack.getLogicalId(f.token.alarms.usageAnomaly.node.defaultChild as CfnElement);
    const detectorId = f.stack.getLogicalId(f.token.usageAnomalyDetector);
    const resource = f.template.toJSON().Resources[id];
    expect(resource.DependsOn).toEqual([detectorId]);
    expect(resource.Properties).toEqual({
      AlarmDescription: expect.stringContaining('orders-write'),
      ComparisonOperator: 'GreaterThanUpperThreshold',
      Metrics: [
        { Expression: 'ANOMALY_DETECTION_BAND(m0, 3)', Id: 'expr_1', Label: 'Anomaly Detection Band', ReturnData: true },
        {
          Id: 'm0',
          MetricStat: { Metric: { Namespace: 'HardenedWebhooks', MetricName: 'TokenUsage', Dimensions: [{ Name: 'Token', Value: 'hardened-webhooks/Monitored/orders-write' }] }, Period: 300, Stat: 'Sum' },
          ReturnData: true,
        },
      ],
      ThresholdMetricId: 'expr_1',
      ...common,
    });
  });

  test('the anomaly detector models exactly the metric the alarm reads', () => {
    f.template.resourceCountIs('AWS::CloudWatch::AnomalyDetector', 1);
    f.template.hasResourceProperties('AWS::CloudWatch::AnomalyDetector', {
      SingleMetricAnomalyDetector: { Namespace: 'HardenedWebhooks', MetricName: 'TokenUsage', Dimensions: [{ Name: 'Token', Value: 'hardened-webhooks/Monitored/orders-write' }], Stat: 'Sum' },
    });
  });

  test('rotation errors: Sum of AWS/Lambda Errors of the rotation function ≥ 1 in an hour', () => {
    expect(alarmProperties(f, f.token.alarms.rotationErrors)).toMatchObject({
      Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: r(f.token.rotationFunction.functionName) }],
      Statistic: 'Sum', Period: 3600, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', ...common,
    });
  });

  test('every alarm notifies the topic exactly once', () => {
    const alarms = Object.values(f.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6 + 5 + 3);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([r(f.topic.topicArn)]);
  });
});

describe('alarm overrides and actions', () => {
  test('threshold, period, evaluation periods and datapoints can be overridden', () => {
    const stack = new Stack(new App(), 'Overrides');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', {
      provider: WebhookProvider.github(),
      alarms: {
        signatureFailures: { threshold: 50, period: Duration.minutes(1), evaluationPeriods: 5, datapointsToAlarm: 3 },
        signingSecretEntriesDropped: { threshold: 3, period: Duration.minutes(15) },
      },
    });
    const token = new ScopedToken(stack, 'T', { tokenName: 'deploy', alarms: { usageCeiling: { threshold: 24 , period: Duration.hours(1) }, usageAnomaly: { standardDeviations: 5, evaluationPeriods: 3, datapointsToAlarm: 2 } } });
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('rotation')) });
    const processor = endpoint.addProcessor(fn, { name: 'deployer', tokens: [token], alarms: { oldestMessageAge: { threshold: 120 } } });
    const template = Template.fromStack(stack);
    const props = (alarm: cloudwatch.IAlarm) => JSON.parse(JSON.stringify(template.toJSON().Resources[stack.getLogicalId(alarm.node.defaultChild as CfnElement)].Properties));
    expect(props(endpoint.alarms.signatureFailures)).toMatchObject({ Threshold: 50, Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    expect(props(endpoint.alarms.signingSecretEntriesDropped)).toMatchObject({ MetricName: 'SigningSecretEntriesDropped', Threshold: 3, Period: 900 });
    expect(props(processor.alarms.oldestMessageAge)).toMatchObject({ Threshold: 120, Period: 300 });
    expect(props(token.alarms.usageCeiling)).toMatchObject({ Threshold: 24, Period: 3600 });
    expect(props(token.alarms.usageAnomaly)).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 2, Metrics: [{ Expression: 'ANOMALY_DETECTION_BAND(m0, 5)' }, { Id: 'm0' }] });
    // No topic: no actions.
    expect(props(endpoint.alarms.apiServerErrors).AlarmActions).toBeUndefined();
  });

  test('addAlarmAction reaches alarms created before and after it, and a shared token once', () => {
    const stack = new Stack(new App(), 'Actions');
    const topic = new sns.Topic(stack, 'Pager');
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe() });
    const shared = new ScopedToken(stack, 'Shared', { tokenName: 'shared' });
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('rotation')) });
    endpoint.addProcessor(fn('A'), { name: 'a', tokens: [shared] });
    endpoint.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    endpoint.addProcessor(fn('B'), { name: 'b', tokens: [shared] });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6 + 5 + 5 + 3);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([stack.resolve(topic.topicArn)]);
  });

  test('alarm options are validated with the prop path and value', () => {
    expect(() => new HardenedWebhookEndpoint(new Stack(), 'Hooks', {
      provider: WebhookProvider.stripe(),
      alarms: { apiServerErrors: { threshold: -1 }, verifierErrors: { evaluationPeriods: 1.5 } },
    })).toThrow(/alarms.verifierErrors.evaluationPeriods must be a whole number; got 1.5\n- alarms.apiServerErrors.threshold must be between 0 and \d+; got -1/);
    expect(() => new HardenedWebhookEndpoint(new Stack(), 'Hooks', {
      provider: WebhookProvider.stripe(), alarms: { signingSecretEntriesDropped: { threshold: -1 } },
    })).toThrow(/alarms.signingSecretEntriesDropped.threshold must be between 0 and \d+; got -1/);
    const stack = new Stack();
    const endpoint = new HardenedWebhookEndpoint(stack, 'Hooks', { provider: WebhookProvider.stripe() });
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromAsset(handlerAsset('rotation')) });
    expect(() => endpoint.addProcessor(fn, { name: 'p', alarms: { deadLetterMessages: { period: Duration.days(2) } } }))
      .toThrow(/alarms.deadLetterMessages.period must be a whole number of minutes between 1 minute and 1 day; got 172800 s/);
  });
});

describe('dashboard', () => {
  const f = fixture();
  const body = (): string => JSON.stringify(f.stack.resolve(Object.values(f.template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody));

  test('one dashboard', () => {
    f.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(f.endpoint.dashboard).toBeDefined();
  });

  test.each([
    ['received, enqueued, duplicates', ['\\"title\\":\\"Received, enqueued, duplicates\\"', '\\"Received\\"', '\\"Enqueued\\"', '\\"Duplicates\\"']],
    ['rejected by reason (a SEARCH per reason)', ['Rejected by reason', "SEARCH('{HardenedWebhooks,Endpoint,Reason} MetricName=\\\\\\\"Rejected\\\\\\\" Endpoint=\\\\\\\"Monitored/Hooks\\\\\\\"', 'Sum', 300)"]],
    ['processed and failed per processor', ['Processor fulfilment: processed, failed', '\\"Processed\\"', '\\"ProcessorFailures\\"']],
    ['DLQ depth and lag per processor', ['Processor fulfilment: DLQ depth', 'ApproximateNumberOfMessagesVisible', 'Processor fulfilment: oldest message age (s)']],
    ['token usage against ceiling, band, and by processor', ['Token orders-write: usage vs ceiling', 'Token orders-write: usage vs expected band', "SEARCH('{HardenedWebhooks,Endpoint,Processor,Token} MetricName=\\\\\\\"TokenUsage\\\\\\\" Token=\\\\\\\"hardened-webhooks/Monitored/orders-write\\\\\\\"', 'Sum', 300)"]],
    ['signing-secret entries dropped among the errors', ['\\"title\\":\\"Errors\\"', '\\"SigningSecretEntriesDropped\\"', 'Signing-secret entries dropped']],
    ['alarm status of endpoint, processor and token', ['Endpoint alarms', 'Processor fulfilment alarms', 'Token orders-write alarms']],
  ])('shows %s', (_what, fragments) => {
    const text = body();
    for (const fragment of fragments) expect(text).toContain(fragment);
  });

  test('can be turned off', () => {
    const off = fixture({ dashboard: false }, false);
    off.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(off.endpoint.dashboard).toBeUndefined();
  });
});

describe('metric methods', () => {
  const f = fixture({}, false);

  test('processor metrics read the runtime\'s Endpoint and Processor dimensions (processor names are unique per endpoint only)', () => {
    for (const metric of [f.processor.metricProcessed(), f.processor.metricFailures()]) {
      expect({ namespace: metric.namespace, dimensions: metric.dimensions, statistic: metric.statistic, period: metric.period.toSeconds() })
        .toEqual({ namespace: 'HardenedWebhooks', dimensions: { Endpoint: 'Monitored/Hooks', Processor: 'fulfilment' }, statistic: 'Sum', period: 300 });
    }
    expect(f.processor.metricErrors().metricName).toBe('Errors');
    expect(f.processor.metricThrottles().metricName).toBe('Throttles');
  });

  test('endpoint error metrics', () => {
    expect(f.endpoint.metricVerifierErrors().metricName).toBe('Errors');
    expect(f.endpoint.metricApiServerErrors().metricName).toBe('5XXError');
    expect(f.endpoint.metricVerifierServerErrors().toMetricConfig().mathExpression?.expression).toBe('FILL(secret, 0) + FILL(downstream, 0)');
  });

  test('rejected requests: one reason is the Rejected count with its Reason; all reasons are the SUM of the very SEARCH the dashboard graphs', () => {
    const one = f.endpoint.metricRejected('bad_signature') as cloudwatch.Metric;
    expect({ namespace: one.namespace, metricName: one.metricName, dimensions: one.dimensions, statistic: one.statistic, period: one.period.toSeconds() })
      .toEqual({ namespace: 'HardenedWebhooks', metricName: 'Rejected', dimensions: { Endpoint: 'Monitored/Hooks', Reason: 'bad_signature' }, statistic: 'Sum', period: 300 });
    const search = 'SEARCH(\'{HardenedWebhooks,Endpoint,Reason} MetricName="Rejected" Endpoint="Monitored/Hooks"\', \'Sum\', 300)';
    expect(f.endpoint.metricRejected().toMetricConfig().mathExpression?.expression).toBe(`SUM(${search})`);
    expect(dashboardWidgets(f).flatMap((widget) => widget.properties.metrics ?? [])).toContainEqual([{ expression: search }]);
  });

  test('token usage: the Token dimension is the secret\'s name; a processor\'s use adds its Endpoint and Processor, as the runtime records it', () => {
    const total = f.token.metricUsage();
    expect({ namespace: total.namespace, metricName: total.metricName, dimensions: total.dimensions, statistic: total.statistic, period: total.period.toSeconds() })
      .toEqual({ namespace: 'HardenedWebhooks', metricName: 'TokenUsage', dimensions: { Token: 'hardened-webhooks/Monitored/orders-write' }, statistic: 'Sum', period: 300 });
    const byProcessor = f.processor.metricTokenUsage(f.token, { period: Duration.hours(1) });
    expect({ metricName: byProcessor.metricName, dimensions: byProcessor.dimensions, statistic: byProcessor.statistic, period: byProcessor.period.toSeconds() })
      .toEqual({ metricName: 'TokenUsage', dimensions: { Token: 'hardened-webhooks/Monitored/orders-write', Endpoint: 'Monitored/Hooks', Processor: 'fulfilment' }, statistic: 'Sum', period: 3600 });
  });

  test('queue levels are the worst minute; the rotation function\'s errors are counted per hour', () => {
    for (const metric of [f.processor.metricDeadLetterMessages(), f.processor.metricOldestMessageAge()]) {
      expect({ statistic: metric.statistic, period: metric.period.toSeconds() }).toEqual({ statistic: 'Maximum', period: 60 });
    }
    const rotation = f.token.metricRotationErrors();
    expect({ namespace: rotation.namespace, metricName: rotation.metricName, statistic: rotation.statistic, period: rotation.period.toSeconds() })
      .toEqual({ namespace: 'AWS/Lambda', metricName: 'Errors', statistic: 'Sum', period: 3600 });
  });

  test('signing-secret entries dropped: the verifier\'s metric, Endpoint dimension, Sum per 5 minutes', () => {
    const metric = f.endpoint.metricSigningSecretEntriesDropped();
    expect({ namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions, statistic: metric.statistic, period: metric.period.toSeconds() })
      .toEqual({ namespace: 'HardenedWebhooks', metricName: 'SigningSecretEntriesDropped', dimensions: { Endpoint: 'Monitored/Hooks' }, statistic: 'Sum', period: 300 });
  });
});
