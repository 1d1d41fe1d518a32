/**
 * A verifier on moto's DynamoDB and S3, with an SQS stand-in that counts bytes as SQS does and
 * refuses what SQS would refuse, and switches to inject an S3 or SQS failure: for the verifier's
 * promises about what it archives, stores and answers when a request is at a limit.
 */
import { createHash, createHmac } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { VerifierConfig, ProcessorRoute, BodyReference } from '../../../../lambda/shared/contract';
import { ClaimStore } from '../../../../lambda/verifier/claims';
import { encodeMessage, SQS_MESSAGE_LIMIT_BYTES, type Delivery } from '../../../../lambda/verifier/dispatch';
import { DownstreamError } from '../../../../lambda/verifier/errors';
import { createVerifier } from '../../../../lambda/verifier/handler';
import type { EventBucket } from '../../../../lambda/verifier/objects';
import { S3EventBucket } from '../../../../lambda/verifier/s3';
import { createBucket, createIdempotencyTable, dynamoDb, s3 } from '../../../support/aws';
import { apiGatewayEvent } from '../../../support/requests';

export const SECRET = 'verifier-rig-secret';
export const sha256 = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');

/** What a fake SQS saw: every message, with SQS's own size accounting; refuses > 1 MiB as SQS does. */
export interface Sent { route: string; delivery: Delivery; ref?: BodyReference; bytes: number }

export interface VerifierRig {
  handler: ReturnType<typeof createVerifier>;
  /** Every message the stand-in SQS accepted. */
  sent: Sent[];
  bucketName?: string;
  storage: S3Client;
  dynamo: DynamoDBClient;
  tableName: string;
  /** The verifier's clock, in epoch milliseconds: set it to move time. */
  clock: { now: number };
  /** The bucket's keys under a prefix, sorted. */
  keys: (prefix: string) => Promise<string[]>;
  read: (key: string) => Promise<Buffer>;
  /** Fails the verifier's PutObject of the keys it picks. */
  failPut: { when?: (key: string) => boolean };
  /** Fails every enqueue while on. */
  failEnqueue: { on: boolean };
  /** Destroys the rig's clients. */
  destroy: () => void;
}

export interface VerifierRigOptions {
  scheme: 'stripe' | 'slack';
  /** @default 256 KiB */
  maxBodyBytes?: number;
  /** An event bucket; `false` for none. @default true */
  bucket?: boolean;
  /** Archive, keeping these (lower-case) headers. @default - no archive */
  archive?: string[];
  /** @default one processor "fulfilment" taking every event */
  processors?: Array<{ name: string; eventTypes?: string[] }>;
  /** The clock's start. @default Date.now() */
  now?: number;
}

/** Every rig made in this test file, until {@link destroyRigs}. */
const made: VerifierRig[] = [];

/** Destroys every rig this file made: `afterAll(destroyRigs)`. */
export function destroyRigs(): void {
  for (const rig of made.splice(0)) rig.destroy();
}

export async function verifierRig(opts: VerifierRigOptions): Promise<VerifierRig> {
  const dynamo = dynamoDb();
  const storage = s3();
  const tableName = await createIdempotencyTable(dynamo, 'hw-verifier-rig');
  const bucketName = opts.bucket === false ? undefined : await createBucket(storage, 'hw-verifier-rig');
  const processors = (opts.processors ?? [{ name: 'fulfilment' }]).map((p): ProcessorRoute => ({ name: p.name, queueUrl: `q-${p.name}`, eventTypes: p.eventTypes ?? [] }));
  const config: VerifierConfig = {
    endpointName: 'Rig/Test',
    provider: { scheme: opts.scheme, options: {} },
    signingSecretArn: 'arn', secretCacheTtlSeconds: 60, toleranceSeconds: 300, maxBodyBytes: opts.maxBodyBytes ?? 256 * 1024, tableName, retentionSeconds: 86400,
    processors,
    ...(bucketName === undefined ? {} : { eventBucket: bucketName }),
    ...(opts.archive === undefined ? {} : { archive: { headers: opts.archive } }),
  } as VerifierConfig;
  const sent: Sent[] = [];
  const clock = { now: opts.now ?? Date.now() };
  const failPut: VerifierRig['failPut'] = {};
  const failEnqueue = { on: false };
  const real = new S3EventBucket(storage);
  const bucket: EventBucket = {
    put: async (object) => {
      if (failPut.when?.(object.key)) throw new Error('injected S3 failure');
      return real.put(object);
    },
  };
  const store = new ClaimStore(dynamo, tableName, 86400, () => clock.now);
  const handler = createVerifier(config, {
    clock: () => clock.now, log: () => undefined, metric: () => undefined,
    secrets: { active: async () => ({ values: [SECRET] }) },
    claims: store,
    dispatcher: {
      enqueue: async (routes, delivery, references) => {
        if (failEnqueue.on) throw new DownstreamError('enqueue', { cause: new Error('injected SQS failure') });
        const batch: Sent[] = [];
        for (const route of routes) {
          const ref = references?.get(route.name);
          const bytes = encodeMessage(delivery, ref).bytes;
          if (bytes > SQS_MESSAGE_LIMIT_BYTES) {
            // What SQS answers: InvalidParameterValue "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
            throw new DownstreamError('enqueue', { cause: Object.assign(new Error(`Message must be shorter than ${SQS_MESSAGE_LIMIT_BYTES} bytes (was ${bytes})`), { name: 'InvalidParameterValue' }) });
          }
          batch.push({ route: route.name, delivery, ref, bytes });
        }
        sent.push(...batch);
      },
    },
    ...(bucketName === undefined ? {} : { bucket }),
  });
  const keys = async (prefix: string) => ((await storage.send(new ListObjectsV2Command({ Bucket: bucketName, Prefix: prefix }))).Contents ?? []).map((o) => o.Key as string).sort();
  const read = async (key: string) => {
    const r = await storage.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  };
  const destroy = () => {
    storage.destroy();
    dynamo.destroy();
  };
  const rig = { handler, sent, bucketName, storage, dynamo, tableName, clock, keys, read, failPut, failEnqueue, destroy };
  made.push(rig);
  return rig;
}

/** A Slack request signed with {@link SECRET} at `at` (epoch ms). */
export function slackEvent(body: Buffer | string, at: number) {
  const t = Math.floor(at / 1000);
  const sig = createHmac('sha256', SECRET).update(`v0:${t}:`).update(body).digest('hex');
  return apiGatewayEvent({ body, headers: { 'X-Slack-Signature': `v0=${sig}`, 'X-Slack-Request-Timestamp': String(t), 'Content-Type': 'application/x-www-form-urlencoded' } });
}

/** A Stripe request signed with {@link SECRET} at `at` (epoch ms). */
export function stripeEvent(body: Buffer | string, at: number, extraHeaders: Record<string, string | string[]> = {}) {
  const t = Math.floor(at / 1000);
  const sig = createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex');
  return apiGatewayEvent({ body, headers: { 'Stripe-Signature': `t=${t},v1=${sig}`, 'Content-Type': 'application/json', ...extraHeaders } });
}

/** A response's status and parsed JSON body. */
export const parse = (r: APIGatewayProxyResult) => ({ status: r.statusCode, body: r.body ? JSON.parse(r.body) as Record<string, unknown> : {} });
