/**
 * Shared pieces of the harness and scenario tests: test stacks built with the real construct,
 * requests signed with the providers' own SDKs, and an "effects" table in the emulator that
 * processors increment, so tests count side effects by reading the emulator back.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack, type Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import Stripe from 'stripe';
import { webhookProcessor, type WebhookHandler } from '../../lambda/runtime';
import type { WebhookEvent } from '../../lambda/runtime/event';
import { ENV, KEY_PREFIX, TABLE } from '../../lambda/shared/contract';
import { claimKey } from '../../lambda/verifier/claims';
import { HardenedWebhookEndpoint, type HardenedWebhookEndpointProps } from '../../lib/endpoint';
import type { ProcessorOptions } from '../../lib/processor';
import { WebhookProvider } from '../../lib/provider';
import type { Harness, ProcessorImplementation } from '../../local';
import { dynamoDb, uniqueName } from '../support/aws';

export const STRIPE_SECRET = 'whsec_harness_test_secret';
export const GITHUB_SECRET = 'github-harness-secret';

/** A stack with one endpoint and processors backed by placeholder functions (the harness runs the real code). */
export function endpointStack(
  props: Partial<HardenedWebhookEndpointProps> = {},
  processors: ReadonlyArray<ProcessorOptions & { readonly functionTimeout?: Duration }> = [{ name: 'fulfilment', eventTypes: ['payment_intent.*'] }],
): { stack: Stack; endpoint: HardenedWebhookEndpoint } {
  const app = new App();
  const stack = new Stack(app, 'HarnessTest');
  const endpoint = new HardenedWebhookEndpoint(stack, 'Endpoint', { provider: WebhookProvider.stripe(), ...props });
  for (const { functionTimeout, ...options } of processors) {
    const fn = new lambda.Function(stack, `${options.name}Fn`, {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), timeout: functionTimeout,
    });
    endpoint.addProcessor(fn, options);
  }
  return { stack, endpoint };
}

/** A Stripe event body. */
export function stripeEvent(id = `evt_${randomUUID().replace(/-/g, '')}`, options: { type?: string; customer?: string; extra?: Record<string, unknown> } = {}): { id: string; body: string } {
  const body = JSON.stringify({
    id,
    object: 'event',
    type: options.type ?? 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `pi_${id}`, object: 'payment_intent', amount: 2000, customer: options.customer ?? 'cus_default' } },
    ...options.extra,
  });
  return { id, body };
}

/** Headers of a Stripe delivery, signed by the official SDK. */
export function stripeHeaders(body: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? STRIPE_SECRET, timestamp: options.timestamp ?? Math.floor(Date.now() / 1000) });
  return { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
}

/**
 * `X-Hub-Signature-256` computed by @octokit/webhooks-methods `sign` (ESM-only, so it runs in a
 * child Node process).
 */
export function githubSignature(body: string, secret = GITHUB_SECRET): string {
  const script = "import { sign } from '@octokit/webhooks-methods'; const [secret, body] = JSON.parse(process.argv[1]); process.stdout.write(await sign(secret, body));";
  return execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([secret, body])], { cwd: `${__dirname}/../..`, encoding: 'utf8' });
}

/** The side-effect counter the test processors increment: one item per (processor, event). */
export class EffectsTable {
  public static async create(): Promise<EffectsTable> {
    const client = dynamoDb();
    const name = uniqueName('effects');
    await client.send(new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    return new EffectsTable(client, name);
  }

  private constructor(private readonly client: DynamoDBClient, public readonly name: string) {}

  /** The side effect: `ADD #count :one` on the (processor, event) item. */
  public async increment(processor: string, eventId: string, detail: Record<string, string> = {}): Promise<void> {
    const extra = Object.entries(detail);
    await this.client.send(new UpdateItemCommand({
      TableName: this.name,
      Key: { pk: { S: `${processor}#${eventId}` } },
      UpdateExpression: `ADD #count :one${extra.length > 0 ? ` SET ${extra.map((_, i) => `#d${i} = :d${i}`).join(', ')}` : ''}`,
      ExpressionAttributeNames: { '#count': 'count', ...Object.fromEntries(extra.map(([key], i) => [`#d${i}`, key])) },
      ExpressionAttributeValues: { ':one': { N: '1' }, ...Object.fromEntries(extra.map(([, value], i) => [`:d${i}`, { S: value }])) },
    }));
  }

  /** How many times the processor's side effect ran for the event. */
  public async count(processor: string, eventId: string): Promise<number> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.name, Key: { pk: { S: `${processor}#${eventId}` } }, ConsistentRead: true }));
    return Number(Item?.count?.N ?? 0);
  }

  /** The (processor, event) item: `count` and the details the processor recorded (e.g. `group`). */
  public async item(processor: string, eventId: string): Promise<Record<string, string>> {
    const { Item = {} } = await this.client.send(new GetItemCommand({ TableName: this.name, Key: { pk: { S: `${processor}#${eventId}` } }, ConsistentRead: true }));
    return Object.fromEntries(Object.entries(Item).map(([key, value]) => [key, value.S ?? value.N ?? '']));
  }

  /** Every counter, as `processor#eventId → count`. */
  public async all(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.name, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) out.set(item.pk.S ?? '', Number(item.count?.N ?? 0));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  public async destroy(): Promise<void> {
    await this.client.send(new DeleteTableCommand({ TableName: this.name })).catch(() => undefined);
    this.client.destroy();
  }
}

/** Attempts per (processor, event) seen by {@link countingProcessor} handlers, including failed ones. */
export type AttemptLog = Map<string, number>;

/**
 * A processor built with the real runtime (`webhookProcessor`, Powertools idempotency on the
 * emulated table) whose handler performs the side effect; `behaviour` may throw to fail an attempt.
 */
export function countingProcessor(
  effects: EffectsTable,
  options: { attempts?: AttemptLog; metrics?: Map<string, number>; behaviour?: (event: WebhookEvent, attempt: number) => void | Promise<void>; afterEffect?: (event: WebhookEvent, attempt: number) => void | Promise<void> } = {},
): ProcessorImplementation {
  return {
    create: (context) => {
      const handler: WebhookHandler = async (event) => {
        const key = `${context.name}#${event.id}`;
        const attempt = (options.attempts?.get(key) ?? 0) + 1;
        options.attempts?.set(key, attempt);
        await options.behaviour?.(event, attempt);
        await effects.increment(context.name, event.id, { group: event.delivery.groupId ?? '', bodyBytes: String(event.rawBody.length) });
        await options.afterEffect?.(event, attempt);
      };
      return webhookProcessor(handler, {
        tableName: context.tableName,
        processorName: context.name,
        dynamoDbClient: context.dynamoDbClient,
        // In-process handlers read the harness's process.env, not the function's: the event bucket
        // and a client at the proxy come from the context, so a large body is fetched as deployed.
        eventBucket: context.environment[ENV.EVENT_BUCKET],
        s3Client: context.s3Client,
        // Counted in memory instead of EMF on stdout: in-process handlers are not sandboxed.
        metrics: { count: (name, _dimensions, value = 1) => options.metrics?.set(name, (options.metrics.get(name) ?? 0) + value) },
      });
    },
  };
}

/**
 * The verifier's claim item for an event, read straight from the emulator: the claim keyed by its ID,
 * else the content claim (keyed by a digest of the signed content) that names it as its event.
 */
export async function claimItem(harness: Harness, eventId: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await harness.aws.dynamoDb.send(new GetItemCommand({ TableName: harness.table.name, Key: { id: { S: claimKey(eventId) } }, ConsistentRead: true }));
  if (Item) return Item;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await harness.aws.dynamoDb.send(new ScanCommand({
      TableName: harness.table.name,
      ConsistentRead: true,
      ExclusiveStartKey: start,
      FilterExpression: 'begins_with(#id, :content) AND #event = :event',
      ExpressionAttributeNames: { '#id': TABLE.PARTITION_KEY, '#event': TABLE.EVENT_ID },
      ExpressionAttributeValues: { ':content': { S: `${KEY_PREFIX.CLAIM}${KEY_PREFIX.CONTENT}` }, ':event': { S: eventId } },
    }));
    if (page.Items?.[0]) return page.Items[0];
    start = page.LastEvaluatedKey;
  } while (start);
  return undefined;
}

/** Visible + in-flight + delayed messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** Reads (and deletes) every message of a queue, e.g. a dead-letter queue. */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }));
    if (Messages.length === 0) {
      empty++;
      continue;
    }
    for (const message of Messages) {
      out.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A seeded PRNG for reproducible shuffles. */
export { mulberry32 as mulberry } from '../../local/aws-proxy';
