import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { ERROR_CODES, TABLE, type VerifierConfig } from '../../lambda/shared/contract';
import { ClaimStore } from '../../lambda/verifier/claims';
import { createVerifier, type VerifierDependencies } from '../../lambda/verifier/handler';
import { SCHEMES } from '../../lambda/verifier/schemes';
import { MemoryDynamoDb } from '../support/memory-dynamodb';
import { apiGatewayEvent } from '../support/requests';
import { caseArbitrary, recordTally, type PropertyCase } from './support/properties';
import { SIGNERS, type SchemeSigner } from './support/signers';

/**
 * Issue #7, item 1: no generated input makes the verifier throw or answer 5xx. Every case goes
 * through createVerifier (request parsing, size check, secrets, scheme, claim, enqueue, reply) with
 * in-memory collaborators that always work, so any 5xx or exception is the verifier's own fault.
 */
const RUNS = Math.max(2000, Number(process.env.HW_HANDLER_FUZZ_RUNS ?? 0) || 0);
const CODES = new Set<string>(Object.values(ERROR_CODES));

function config(signer: SchemeSigner, options: Record<string, unknown>, toleranceSeconds: number): VerifierConfig {
  return {
    endpointName: `Fuzz/${signer.id}`,
    provider: { scheme: signer.id, options },
    signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fuzz',
    secretCacheTtlSeconds: 60,
    toleranceSeconds,
    maxBodyBytes: 256 * 1024,
    tableName: 'fuzz',
    retentionSeconds: 86400,
    publicUrl: signer.publicUrl,
    processors: [{ name: 'all', queueUrl: 'https://sqs.local/all.fifo', eventTypes: [] }],
  };
}

/** Collaborators that always succeed: the real ClaimStore over an in-memory table, a recording dispatcher. */
function memoryDeps(secrets: readonly string[], nowMs: number): VerifierDependencies & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    enqueued,
    clock: () => nowMs,
    log: () => undefined,
    metric: () => undefined,
    secrets: { active: async () => ({ values: secrets }) },
    claims: new ClaimStore(new MemoryDynamoDb(TABLE.PARTITION_KEY).asClient(), 'fuzz', 86400, () => nowMs),
    dispatcher: { enqueue: async (_routes, delivery) => void enqueued.push(delivery.eventId) },
  };
}

/** How a signed request is shaped on its way through API Gateway. */
interface Shaping {
  readonly caseFlips: readonly boolean[];
  readonly duplicate: { readonly which: number; readonly sameValue: boolean; readonly otherCase: boolean } | null;
  readonly noise: Readonly<Record<string, string>>;
  readonly base64: boolean;
  readonly damage: 'none' | 'truncate' | 'append' | 'flip' | 'drop-header' | 'empty-body';
  readonly at: number;
}

const shaping: fc.Arbitrary<Shaping> = fc.record({
  caseFlips: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  duplicate: fc.option(fc.record({ which: fc.nat(), sameValue: fc.boolean(), otherCase: fc.boolean() }), { nil: null }),
  noise: fc.dictionary(
    fc.constantFrom('Content-Type', 'User-Agent', 'X-Forwarded-For', 'Accept', 'X-Amzn-Trace-Id', 'Content-Encoding', 'Via', 'X-Request-Id'),
    fc.string({ maxLength: 40 }),
    { maxKeys: 3 },
  ),
  base64: fc.boolean(),
  damage: fc.constantFrom('none', 'none', 'none', 'truncate', 'append', 'flip', 'drop-header', 'empty-body'),
  at: fc.nat(),
});

function shape(signer: SchemeSigner, c: PropertyCase, s: Shaping): { event: APIGatewayProxyEvent; intact: boolean } {
  const signed = signer.sign(c.seed, c.keys[0], c.nowMs, c.options, { decoys: c.decoys, variant: c.variant });
  let body = signed.body;
  const headers: Record<string, string | string[]> = {};
  const names = Object.keys(signed.headers);
  names.forEach((name, index) => {
    const flipped = s.caseFlips[index % s.caseFlips.length] ? name.toLowerCase() : name;
    headers[flipped] = signed.headers[name];
  });
  // Noise never replaces a header the provider sent.
  for (const [name, value] of Object.entries(s.noise)) {
    if (!names.some((known) => known.toLowerCase() === name.toLowerCase())) headers[name] = value;
  }
  let intact = true;
  if (s.duplicate && Object.keys(headers).length > 0) {
    const keys = Object.keys(headers);
    const name = keys[s.duplicate.which % keys.length];
    const value = headers[name] as string;
    const second = s.duplicate.sameValue ? value : `${value}x`;
    if (s.duplicate.otherCase) headers[name === name.toUpperCase() ? name.toLowerCase() : name.toUpperCase()] = second;
    else headers[name] = [value, second];
    if (!s.duplicate.sameValue) intact = false;
  }
  switch (s.damage) {
    case 'truncate': body = body.subarray(0, s.at % Math.max(1, body.length)); intact = false; break;
    case 'append': body = Buffer.concat([body, Buffer.from([s.at % 256])]); intact = false; break;
    case 'flip': body = Buffer.from(body); if (body.length > 0) body[s.at % body.length] ^= 1 + (s.at % 255); intact = false; break;
    case 'empty-body': body = Buffer.alloc(0); intact = false; break;
    case 'drop-header': {
      const keys = Object.keys(headers);
      if (keys.length > 0) delete headers[keys[s.at % keys.length]];
      intact = false;
      break;
    }
    default: break;
  }
  // API Gateway sends text bodies as text only when they are UTF-8; the deployed API always uses base64.
  const utf8 = Buffer.from(body.toString('utf8'), 'utf8').equals(body);
  const event = apiGatewayEvent({ body, headers, query: signed.query, base64: s.base64 || !utf8 });
  return { event, intact };
}

/** Events API Gateway could never send, and some it could: anything at all in every field. */
const wildEvent: fc.Arbitrary<APIGatewayProxyEvent> = fc.record({
  body: fc.oneof(fc.constant(null), fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'))),
  isBase64Encoded: fc.boolean(),
  headers: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 80 }), { maxKeys: 6 })),
  multiValueHeaders: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.array(fc.string({ maxLength: 80 }), { maxLength: 3 }), { maxKeys: 6 })),
  queryStringParameters: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })),
  httpMethod: fc.constantFrom('POST', 'GET', ''),
  requestContext: fc.oneof(fc.constant(undefined), fc.record({ domainName: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 30 })), path: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 30 })) })),
}).map((fields) => ({ path: '/webhook', pathParameters: null, stageVariables: null, resource: '/webhook', multiValueQueryStringParameters: null, ...fields }) as unknown as APIGatewayProxyEvent);

/** The scheme's own header names with values anyone could send: near misses rather than noise. */
function nearMiss(signer: SchemeSigner, c: PropertyCase): fc.Arbitrary<APIGatewayProxyEvent> {
  const signed = signer.sign(c.seed, c.keys[0], c.nowMs, c.options, { variant: c.variant });
  const names = Object.keys(signed.headers);
  const value = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.constantFrom('', ' ', 'sha256=', 'v1=', 'v0=', 't=', 'ts=', 'v1,', '=', ',', ';', 'NaN', '1e9', '-1', '1.5', ' 1700000000', '１７００'),
    fc.stringMatching(/^[0-9a-fA-F]{0,130}$/),
  );
  return fc.record({
    headers: fc.record(Object.fromEntries(names.map((name) => [name, value])), { requiredKeys: [] }),
    body: fc.oneof(fc.constant(signed.body), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), fc.string({ maxLength: 200 }).map((t) => Buffer.from(t))),
    base64: fc.boolean(),
  }).map(({ headers, body, base64 }) => {
    const utf8 = Buffer.from(body.toString('utf8'), 'utf8').equals(body);
    return apiGatewayEvent({ body, headers: headers as Record<string, string>, query: signed.query, base64: base64 || !utf8 });
  });
}

async function invoke(handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>, event: APIGatewayProxyEvent, what: string): Promise<APIGatewayProxyResult> {
  let response: APIGatewayProxyResult;
  try {
    response = await handler(event);
  } catch (error) {
    throw new Error(`${what}: the verifier threw ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
  }
  if (!Number.isInteger(response.statusCode) || response.statusCode < 200 || response.statusCode >= 500) {
    throw new Error(`${what}: status ${response.statusCode} ${response.body}`);
  }
  if (response.statusCode >= 400) {
    const code = (JSON.parse(response.body) as { error?: string }).error;
    if (!code || !CODES.has(code)) throw new Error(`${what}: ${response.statusCode} without a known error code: ${response.body}`);
  }
  return response;
}

describe(`the verifier never throws and never answers 5xx (${RUNS} cases per scheme and kind)`, () => {
  test.each(Object.keys(SCHEMES).sort())('%s: signed requests reshaped, damaged or duplicated by the way', async (id) => {
    const signer = SIGNERS[id];
    let cases = 0;
    let intactAccepted = 0;
    await fc.assert(fc.asyncProperty(caseArbitrary(signer), shaping, async (c, s) => {
      // GIVEN a signed request reshaped on its way (header case, duplicates, noise, encoding, damage)
      const { event, intact } = shape(signer, { ...c, nowMs: c.nowMs }, s);
      const deps = memoryDeps([c.keys[0].stored], c.nowMs);
      // WHEN the verifier handles it
      const response = await invoke(createVerifier(config(signer, c.options, c.toleranceSeconds), deps), event, JSON.stringify(s));
      cases += 1;
      // THEN an intact request is accepted, whatever happened to its header case, noise and encoding
      if (intact) {
        if (response.statusCode !== 200) throw new Error(`intact request refused: ${response.statusCode} ${response.body}`);
        intactAccepted += 1;
      }
    }), { numRuns: RUNS });
    expect(cases).toBeGreaterThanOrEqual(RUNS);
    expect(intactAccepted).toBeGreaterThan(0);
    recordTally(`handler-${id}`, { cases, accepted: intactAccepted, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: 0, equivalentMutations: 0 });
  });

  test.each(Object.keys(SCHEMES).sort())('%s: near misses on its own headers, and events API Gateway would never send', async (id) => {
    const signer = SIGNERS[id];
    let cases = 0;
    const sample = fc.sample(caseArbitrary(signer), { numRuns: 1, seed: 7 })[0];
    const handler = createVerifier(config(signer, sample.options, sample.toleranceSeconds), memoryDeps([sample.keys[0].stored], sample.nowMs));
    await fc.assert(fc.asyncProperty(fc.oneof(nearMiss(signer, sample), wildEvent), async (event) => {
      // WHEN anything at all arrives THEN the answer is a 2xx or a 4xx with a known error code
      await invoke(handler, event, JSON.stringify(event).slice(0, 500));
      cases += 1;
    }), { numRuns: RUNS });
    expect(cases).toBe(RUNS);
  });
});
