/**
 * The unsigned-input property: a signed request that was accepted once can be changed in every part
 * its signature does not cover — headers (each one, its case, duplicates, provider headers it did not
 * carry), the query, white space, JSON fields outside the signature, form re-splits — and none of the
 * changes may enqueue anything new or send the event to another processor. Run through the verifier's
 * handler with the real ClaimStore (over moto, or over the in-memory table held to moto's answers).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import type { ProcessorRoute, VerifierConfig } from '../../../lambda/shared/contract';
import { ClaimStore } from '../../../lambda/verifier/claims';
import { createVerifier } from '../../../lambda/verifier/handler';
import { schemeById } from '../../../lambda/verifier/schemes';
import { apiGatewayEvent, inbound, context } from '../../support/requests';
import { caseArbitrary, type PropertyCase } from './properties';
import type { SchemeSigner, SignedRequest } from './signers';

/** Values an attacker would put in an unsigned header; `spoofed*` types reach a processor of their own. */
const SPOOFS = ['spoofed', 'spoofed.closed', 'spoofed/paid', 'fresh-delivery-0001'] as const;
const SPOOF_ROUTE: ProcessorRoute = { name: 'spoofed', queueUrl: 'https://sqs.local/spoofed.fifo', eventTypes: ['spoofed*'] };

/**
 * Provider headers that name an event, its type or its group, none of them signed by any scheme
 * here: each is added to requests that lack it, with an attacker's value.
 */
const UNSIGNED_PROVIDER_HEADERS = [
  'X-GitHub-Event', 'X-GitHub-Delivery', 'X-Shopify-Topic', 'X-Shopify-Event-Id', 'X-Shopify-Webhook-Id', 'X-Shopify-Shop-Domain',
  'shopify-topic', 'shopify-event-id', 'shopify-webhook-id', 'I-Twilio-Idempotency-Token', 'Linear-Delivery', 'X-Event-Id',
  'X-Event-Type', 'Content-Type', 'X-Forwarded-Host', 'Host',
] as const;

export type MutationKind =
  | 'header value' | 'header removed' | 'header name case' | 'header repeated' | 'header repeated, other value' | 'header added'
  | 'header copied to the other family' | 'query' | 'white space' | 'JSON field' | 'form re-split' | 'byte flip' | 'exact replay';

export interface Mutation {
  readonly kind: MutationKind;
  readonly what: string;
  readonly body: Buffer;
  readonly headers: Record<string, string | string[]>;
  readonly query?: Record<string, string>;
}

/** Every mutation of `request` that needs no secret. `pick` varies the values chosen. */
export function mutationsOf(request: SignedRequest, pick: number): Mutation[] {
  const out: Mutation[] = [];
  const base = { body: request.body, headers: request.headers as Record<string, string | string[]>, query: request.query };
  const spoof = (offset: number) => SPOOFS[(pick + offset) % SPOOFS.length];
  const names = Object.keys(request.headers);
  const without = (name: string) => Object.fromEntries(Object.entries(request.headers).filter(([key]) => key !== name));

  out.push({ kind: 'exact replay', what: 'the same request again', ...base });
  names.forEach((name, index) => {
    const value = request.headers[name];
    out.push({ kind: 'header value', what: `${name}: ${spoof(index)}`, ...base, headers: { ...request.headers, [name]: spoof(index) } });
    out.push({ kind: 'header removed', what: name, ...base, headers: without(name) });
    const recased = name === name.toLowerCase() ? name.toUpperCase() : name.toLowerCase();
    out.push({ kind: 'header name case', what: recased, ...base, headers: { ...without(name), [recased]: value } });
    out.push({ kind: 'header repeated', what: name, ...base, headers: { ...request.headers, [name]: [value, value] } });
    out.push({ kind: 'header repeated, other value', what: name, ...base, headers: { ...request.headers, [name]: [value, spoof(index + 1)] } });
    const family = name.startsWith('X-Shopify-') ? `shopify-${name.slice('X-Shopify-'.length).toLowerCase()}` : name.startsWith('shopify-') ? `X-Shopify-${name.slice('shopify-'.length)}` : undefined;
    if (family) out.push({ kind: 'header copied to the other family', what: family, ...base, headers: { ...request.headers, [family]: value } });
  });
  const present = new Set(names.map((name) => name.toLowerCase()));
  UNSIGNED_PROVIDER_HEADERS.forEach((name, index) => {
    if (!present.has(name.toLowerCase())) out.push({ kind: 'header added', what: `${name}: ${spoof(index)}`, ...base, headers: { ...request.headers, [name]: spoof(index) } });
  });
  // The other family's topic with the signature copied: Shopify "any" style reads the first family present.
  for (const [from, to] of [['X-Shopify-Hmac-Sha256', 'shopify-hmac-sha256'], ['shopify-hmac-sha256', 'X-Shopify-Hmac-Sha256']] as const) {
    const value = request.headers[from];
    if (value === undefined) continue;
    const topic = to.startsWith('X-') ? 'X-Shopify-Topic' : 'shopify-topic';
    const idHeader = to.startsWith('X-') ? 'X-Shopify-Event-Id' : 'shopify-event-id';
    out.push({ kind: 'header copied to the other family', what: `${to} with ${topic}: ${spoof(2)}`, ...base, headers: { ...without(from), [to]: value, [topic]: spoof(2), [idHeader]: spoof(3) } });
  }

  out.push({ kind: 'query', what: 'added parameter', ...base, query: { ...request.query, spoofed: spoof(0) } });
  if (request.query && Object.keys(request.query).length > 0) {
    const [first] = Object.keys(request.query);
    out.push({ kind: 'query', what: `changed ${first}`, ...base, query: { ...request.query, [first]: spoof(1) } });
  }

  out.push({ kind: 'white space', what: 'trailing newline', ...base, body: Buffer.concat([request.body, Buffer.from('\n')]) });
  out.push({ kind: 'white space', what: 'leading space', ...base, body: Buffer.concat([Buffer.from(' '), request.body]) });

  for (const [what, body] of jsonFieldEdits(request.body, spoof)) out.push({ kind: 'JSON field', what, ...base, body });
  for (const [what, body] of formResplits(request.body)) out.push({ kind: 'form re-split', what, ...base, body });

  if (request.body.length > 0) {
    const body = Buffer.from(request.body);
    body[pick % body.length] ^= 1 + (pick % 255);
    out.push({ kind: 'byte flip', what: `byte ${pick % body.length}`, ...base, body });
  }
  return out;
}

/** A JSON body with an ID, type or other field changed (only Mailgun leaves JSON fields unsigned). */
function jsonFieldEdits(body: Buffer, spoof: (offset: number) => string): [string, Buffer][] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const edits: [string, Buffer][] = [];
  const record = value as Record<string, unknown>;
  for (const key of ['id', 'type', 'event', 'topic', 'event_id', 'extra']) {
    edits.push([`${key} = ${spoof(edits.length)}`, Buffer.from(JSON.stringify({ ...record, [key]: spoof(edits.length) }))]);
  }
  const data = record['event-data'];
  if (typeof data === 'object' && data !== null) {
    for (const key of ['id', 'event', 'recipient']) {
      edits.push([`event-data.${key} = ${spoof(edits.length)}`, Buffer.from(JSON.stringify({ ...record, 'event-data': { ...data, [key]: spoof(edits.length) } }))]);
    }
  }
  return edits;
}

/** Re-splits of a form body that keep the concatenation of names and values (what Twilio signs). */
export function formResplits(body: Buffer): [string, Buffer][] {
  const text = body.toString('utf8');
  if (!/^[^{[\s][^=&]*=/.test(text) || !Buffer.from(text, 'utf8').equals(body)) return [];
  const pairs = [...new URLSearchParams(text)];
  if (pairs.length === 0) return [];
  const encode = (list: [string, string][]) => Buffer.from(list.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&'));
  const edits: [string, Buffer][] = [
    ['appended &=', Buffer.from(`${text}&=`)],
    ['re-encoded', encode(pairs)],
    ['reversed', encode([...pairs].reverse())],
  ];
  const [name, value] = pairs[0];
  if (name.length > 1) edits.push(['moved the last character of the first name into its value', encode([[name.slice(0, -1), name.slice(-1) + value], ...pairs.slice(1)])]);
  if (value.length > 0) edits.push(['moved the first character of the first value into its name', encode([[name + value[0], value.slice(1)], ...pairs.slice(1)])]);
  if (pairs.length > 1) edits.push(['merged the first two parameters', encode([[name, value + pairs[1][0] + pairs[1][1]], ...pairs.slice(2)])]);
  return edits;
}

/** A fresh idempotency table for one case. */
export interface ClaimTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export interface UnsignedTally {
  cases: number;
  accepted: number;
  sent: number;
  mutations: number;
  /** Mutations the verifier answered 2xx (a duplicate, an ignored event): the ones that needed the claim. */
  answered: number;
  byKind: Partial<Record<MutationKind, number>>;
}

export const newUnsignedTally = (): UnsignedTally => ({ cases: 0, accepted: 0, sent: 0, mutations: 0, answered: 0, byKind: {} });

/**
 * Options the property runs a scheme with: Shopify's per-topic policy (`oneEventPerBody: false`) is
 * excluded on purpose — it lets a body become one event per topic, as documented, and is tested
 * for exactly that in test/scenarios/replay-proof.test.ts.
 */
export function propertyOptions(schemeId: string, options: Record<string, unknown>): Record<string, unknown> {
  return schemeId === 'shopify' ? { ...options, oneEventPerBody: true } : options;
}

/**
 * One case: sign, deliver once, then deliver every mutation. Throws at the first mutation that
 * enqueues anything, or that is answered 5xx.
 */
export async function checkUnsignedInputs(signer: SchemeSigner, c: PropertyCase, ignored: boolean, table: () => Promise<ClaimTable>, tally: UnsignedTally): Promise<void> {
  const scheme = schemeById(signer.id);
  if (!scheme) throw new Error(`scheme ${signer.id} is not registered`);
  const options = propertyOptions(signer.id, c.options);
  const [key] = c.keys;
  const genuine = signer.sign(c.seed, key, c.nowMs, options, { variant: c.variant });
  const verdict = scheme.verify(inbound({ body: genuine.body, headers: genuine.headers, query: genuine.query }, signer.publicUrl), context([key.stored], c.nowMs, c.toleranceSeconds), options);
  if (!verdict.ok) throw new Error(`genuine request refused by the scheme: ${verdict.code}`);
  const type = verdict.event.type;
  if (type?.startsWith('spoofed')) return;

  const routes: ProcessorRoute[] = ignored ? [SPOOF_ROUTE] : [{ name: 'genuine', queueUrl: 'https://sqs.local/genuine.fifo', eventTypes: type === undefined ? [] : [type] }, SPOOF_ROUTE];
  const config: VerifierConfig = {
    endpointName: `Unsigned/${signer.id}`,
    provider: { scheme: signer.id, options },
    signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unsigned',
    secretCacheTtlSeconds: 60,
    toleranceSeconds: c.toleranceSeconds,
    maxBodyBytes: 256 * 1024,
    tableName: 'set below',
    retentionSeconds: 86400,
    publicUrl: signer.publicUrl,
    processors: routes,
  };
  const sends: string[] = [];
  const { client, tableName } = await table();
  const handler = createVerifier(config, {
    clock: () => c.nowMs,
    log: () => undefined,
    metric: () => undefined,
    secrets: { active: async () => ({ values: [key.stored] }) },
    claims: new ClaimStore(client, tableName, config.retentionSeconds, () => c.nowMs),
    dispatcher: { enqueue: async (matched, delivery) => void sends.push(...matched.map((route) => `${route.name}:${delivery.eventId}`)) },
  });
  const deliver = (request: { body: Buffer; headers: Record<string, string | string[]>; query?: Record<string, string> }) =>
    handler(apiGatewayEvent({ body: request.body, headers: request.headers, query: request.query }));

  tally.cases += 1;
  const first = await deliver(genuine);
  if (first.statusCode !== 200) throw new Error(`genuine request answered ${first.statusCode}: ${first.body}`);
  tally.accepted += 1;
  const handshake = verdict.handshake !== undefined;
  if (!ignored && !handshake && sends.length === 0) throw new Error('genuine request was not enqueued');
  if (ignored && sends.length > 0) throw new Error(`ignored request was enqueued: ${sends.join(', ')}`);
  const before = [...sends];
  tally.sent += before.length;

  for (const mutation of mutationsOf(genuine, c.flip.at)) {
    const response = await deliver(mutation);
    if (response.statusCode >= 500) throw new Error(`${mutation.kind} (${mutation.what}) answered ${response.statusCode}: ${response.body}`);
    if (sends.length !== before.length) {
      throw new Error(`${mutation.kind} (${mutation.what}) enqueued ${sends.slice(before.length).join(', ')} after ${before.join(', ') || 'nothing'}`);
    }
    tally.mutations += 1;
    if (response.statusCode < 300) tally.answered += 1;
    tally.byKind[mutation.kind] = (tally.byKind[mutation.kind] ?? 0) + 1;
  }
}

export const unsignedCase = (signer: SchemeSigner) => fc.tuple(caseArbitrary(signer), fc.boolean());
