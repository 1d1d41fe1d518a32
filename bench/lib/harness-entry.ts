// Entry point that bench/lib/harness.mjs compiles with esbuild (never type-checked or tested by jest):
// the local harness, the construct, the processor runtime and signed Stripe deliveries.
import { createHmac } from 'node:crypto';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { webhookProcessor, type WebhookEvent } from '../../lambda/runtime';
import { ENV } from '../../lambda/shared/contract';
import { HardenedWebhookEndpoint, type HardenedWebhookEndpointProps } from '../../lib/endpoint';
import type { ProcessorOptions } from '../../lib/processor';
import { WebhookProvider } from '../../lib/provider';
import type { ProcessorImplementation } from '../../local';

export { startHarness, startMoto } from '../../local';

/** One Stripe endpoint with processors on placeholder functions (the harness runs the real runtime). */
export function endpointStack(
  props: Partial<HardenedWebhookEndpointProps>,
  processors: ReadonlyArray<Omit<ProcessorOptions, 'name'> & { readonly name: string }>,
): { stack: Stack; endpoint: HardenedWebhookEndpoint } {
  const app = new App();
  const stack = new Stack(app, 'Bench');
  const endpoint = new HardenedWebhookEndpoint(stack, 'Endpoint', { provider: WebhookProvider.stripe(), ...props });
  for (const options of processors) {
    // 30 s, as the example app's processors have (the queue's visibility timeout is six times that).
    const fn = new lambda.Function(stack, `${options.name}Fn`, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), timeout: Duration.seconds(30) });
    endpoint.addProcessor(fn, options);
  }
  return { stack, endpoint };
}

export type Behaviour = (event: WebhookEvent, attempt: number, processor: string) => void | Promise<void>;

/**
 * A processor built with the real runtime (`webhookProcessor`: Powertools idempotency on the emulated
 * table, its DynamoDB and S3 calls counted at the proxy as this processor); `behaviour` may throw to fail an attempt.
 */
export function benchProcessor(behaviour: Behaviour): ProcessorImplementation {
  return {
    create: (context) => {
      const attempts = new Map<string, number>();
      return webhookProcessor(async (event) => {
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        await behaviour(event, attempt, context.name);
      }, {
        tableName: context.tableName,
        processorName: context.name,
        dynamoDbClient: context.dynamoDbClient,
        // In-process handlers read the harness's process.env, not the function's: the event bucket and
        // a client at the proxy come from the context, so a large body is fetched as deployed.
        eventBucket: context.environment[ENV.EVENT_BUCKET],
        s3Client: context.s3Client,
        metrics: { count: () => undefined },
      });
    },
  };
}

/**
 * A Stripe event body, optionally padded with line items to about `padTo` bytes (a little over it),
 * or with `exact`, to exactly `padTo` bytes (the last few through the payment intent's `description`).
 */
export function stripeBody(options: { id: string; type: string; customer: string; padTo?: number; exact?: boolean; createdS: number }): string {
  const items: unknown[] = [];
  const object: Record<string, unknown> = { id: `pi_${options.id}`, object: 'payment_intent', amount: 2000, currency: 'usd', customer: options.customer, items };
  if (options.exact) object.description = '';
  const doc = { id: options.id, object: 'event', api_version: '2024-06-20', created: options.createdS, type: options.type, livemode: false, data: { object } };
  const item = (i: number) => ({ id: `li_${i}`, object: 'line_item', amount: 1000 + i, description: `Widget #${i}`, quantity: 1 + (i % 5) });
  // Room left for one more item (and its comma) before the exact size; an item is under 100 bytes.
  const room = options.exact ? 100 : 0;
  let text = JSON.stringify(doc);
  // The length is tracked rather than the document re-serialised per item (quadratic at megabytes):
  // an item adds its own JSON, and a comma after the first.
  let length = text.length;
  for (let i = 0; options.padTo && length + room < options.padTo; i++) {
    const next = item(i);
    length += JSON.stringify(next).length + (items.length > 0 ? 1 : 0);
    items.push(next);
  }
  text = JSON.stringify(doc);
  if (text.length !== length) throw new Error(`stripeBody: expected ${length} characters, serialised ${text.length}`);
  if (options.exact && options.padTo) {
    if (text.length > options.padTo) throw new Error(`a Stripe event cannot be as small as ${options.padTo} bytes`);
    // ASCII: one character is one byte, and `description` is the only string that grows.
    object.description = 'x'.repeat(options.padTo - text.length);
    text = JSON.stringify(doc);
  }
  return text;
}

/** Headers of a Stripe delivery: `Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">`. */
export function stripeHeaders(body: string, secret: string, timestampS: number): Record<string, string> {
  const v1 = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': `t=${timestampS},v1=${v1}`, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
}
