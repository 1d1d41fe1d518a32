// Entry point that bench/lib/harness.mjs compiles with esbuild (never type-checked or tested by jest):
// the local harness, the construct, the processor runtime and signed Stripe deliveries.
import { createHmac } from 'node:crypto';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { webhookProcessor, type WebhookEvent } from '../../lambda/runtime';
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
 * table, its DynamoDB calls counted at the proxy as this processor); `behaviour` may throw to fail an attempt.
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
        metrics: { count: () => undefined },
      });
    },
  };
}

/** A Stripe event body, optionally padded with line items to about `padTo` bytes. */
export function stripeBody(options: { id: string; type: string; customer: string; padTo?: number; createdS: number }): string {
  const items: unknown[] = [];
  const doc = {
    id: options.id,
    object: 'event',
    api_version: '2024-06-20',
    created: options.createdS,
    type: options.type,
    livemode: false,
    data: { object: { id: `pi_${options.id}`, object: 'payment_intent', amount: 2000, currency: 'usd', customer: options.customer, items } },
  };
  let text = JSON.stringify(doc);
  for (let i = 0; options.padTo && text.length < options.padTo; i++) {
    items.push({ id: `li_${i}`, object: 'line_item', amount: 1000 + i, description: `Widget #${i}`, quantity: 1 + (i % 5) });
    text = JSON.stringify(doc);
  }
  return text;
}

/** Headers of a Stripe delivery: `Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">`. */
export function stripeHeaders(body: string, secret: string, timestampS: number): Record<string, string> {
  const v1 = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': `t=${timestampS},v1=${v1}`, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
}
