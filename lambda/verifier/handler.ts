import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DIMENSIONS, ERROR_CODES, METRICS, type BodyReference, type ErrorCode, type VerifierConfig } from '../shared/contract';
import { emitMetric } from '../shared/emf';
import { archiveEvent, archivedHeaders } from './archive';
import type { ClaimStore, ClaimSubject } from './claims';
import { mayExceedMessageLimit, referencedMessagesFit, SQS_MESSAGE_LIMIT_BYTES, type Delivery, type Dispatcher } from './dispatch';
import { ConflictingHeaderError, DownstreamError, MalformedRequestError, VerifierConfigError } from './errors';
import { errorResponse, jsonResponse, toInboundRequest } from './http';
import { bodyReferences, sha256Hex, storeBodies, type EventBucket } from './objects';
import { matchProcessors, messageGroup } from './routing';
import { schemeById } from './schemes';
import type { InboundRequest, SignatureScheme, VerifiedEvent } from './schemes/types';
import type { SigningSecretCache } from './secrets';

/** Collaborators the verifier calls; built once per container, replaced in tests. */
export interface VerifierDependencies {
  readonly secrets: Pick<SigningSecretCache, 'active'>;
  readonly claims: Pick<ClaimStore, 'claim' | 'markEnqueued' | 'legacyClaim'>;
  readonly dispatcher: Pick<Dispatcher, 'enqueue'>;
  /**
   * The endpoint's event bucket: large bodies and the archive. Required when the configuration
   * names `eventBucket`; never called for a small body on an endpoint without an archive.
   */
  readonly bucket?: EventBucket;
  readonly clock?: () => number;
  /** Structured log sink; receives no secret, token or full signature. */
  readonly log?: (entry: Record<string, unknown>) => void;
  readonly metric?: (name: string, dimensions: Record<string, string>) => void;
}

export type VerifierHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** Seconds a sender should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = '30';

/**
 * Builds the verifier: verify the signature over the exact bytes, then claim the event ID, then
 * archive it (when the endpoint keeps an archive), then store a body too large for its message,
 * then enqueue to each matched processor, then mark the claim. See README, "Idempotency state machine".
 */
export function createVerifier(config: VerifierConfig, deps: VerifierDependencies): VerifierHandler {
  const scheme = schemeById(config.provider.scheme);
  if (!scheme) throw new VerifierConfigError(`unknown provider scheme "${config.provider.scheme}"`);
  const problem = eventBucketProblem(config);
  if (problem !== undefined) throw new VerifierConfigError(problem);
  const eventBucket = config.eventBucket === undefined ? undefined : { name: config.eventBucket, store: deps.bucket ?? missingBucket() };
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const metric = deps.metric ?? emitMetric;
  const endpoint = { [DIMENSIONS.ENDPOINT]: config.endpointName };

  const refuse = (status: number, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): APIGatewayProxyResult => {
    metric(METRICS.REJECTED, { ...endpoint, [DIMENSIONS.REASON]: code });
    if (code === ERROR_CODES.BAD_SIGNATURE || code === ERROR_CODES.MISSING_SIGNATURE || code === ERROR_CODES.MALFORMED_SIGNATURE) {
      metric(METRICS.SIGNATURE_FAILURES, endpoint);
    }
    log({ level: status >= 500 ? 'ERROR' : 'WARN', msg: 'rejected', status, code, detail: message, ...extra });
    return errorResponse(status, code, message, status === 503 ? { 'retry-after': RETRY_AFTER_SECONDS } : undefined);
  };

  return async (event) => {
    const receivedAtMs = clock();
    metric(METRICS.RECEIVED, endpoint);
    let request: InboundRequest;
    try {
      request = toInboundRequest(event, config.publicUrl);
    } catch (error) {
      return refuse(400, ERROR_CODES.MALFORMED_REQUEST, error instanceof MalformedRequestError ? error.message : 'malformed request');
    }
    if (request.body.length > config.maxBodyBytes) {
      return refuse(413, ERROR_CODES.BODY_TOO_LARGE, `body is ${request.body.length} bytes; the limit is ${config.maxBodyBytes}`);
    }

    let secrets: readonly string[];
    try {
      secrets = (await deps.secrets.active()).values;
    } catch (error) {
      return refuse(503, ERROR_CODES.SECRET_UNAVAILABLE, 'signing secret could not be read; retry later', { cause: describe(error instanceof DownstreamError ? error.cause : error) });
    }
    if (secrets.length === 0) return refuse(503, ERROR_CODES.SECRET_UNAVAILABLE, 'signing secret is not set; retry later');

    let verified: VerifiedEvent;
    let contentType: string | undefined;
    let headers: Record<string, string> = {};
    try {
      const verdict = scheme.verify(request, { secrets, nowMs: receivedAtMs, toleranceSeconds: config.toleranceSeconds }, config.provider.options);
      if (!verdict.ok) return refuse(verdict.status, verdict.code, verdict.detail);
      if (verdict.handshake) {
        log({ level: 'INFO', msg: 'handshake answered', provider: scheme.id });
        return { statusCode: verdict.handshake.statusCode, headers: { 'content-type': verdict.handshake.contentType }, body: verdict.handshake.body };
      }
      verified = verdict.event;
      // Read inside this try: a Content-Type sent twice with different values is a conflicting
      // header like any other (400), not an exception that API Gateway turns into a 502.
      contentType = request.header('content-type');
      if (config.archive) headers = archivedHeaders(config.archive, request);
    } catch (error) {
      if (error instanceof ConflictingHeaderError) return refuse(400, ERROR_CODES.CONFLICTING_HEADER, error.message);
      throw error;
    }

    try {
      return await accept(scheme, request, verified, receivedAtMs, contentType, headers);
    } catch (error) {
      if (!(error instanceof DownstreamError)) throw error;
      // A claim made stays: the sender's retry carries the same event and finishes it.
      metric(METRICS.DOWNSTREAM_FAILURES, endpoint);
      return refuse(503, ERROR_CODES.DOWNSTREAM_UNAVAILABLE, `${error.step} failed; retry later`, { eventId: verified.id, cause: describe(error.cause) });
    }
  };

  /**
   * Claims, archives, routes and enqueues a verified event. Every path that may send or archive is
   * behind a claim; a content claim (ID or type not signed) is made even when no processor is
   * subscribed, so the same signed bytes cannot come back later as another event or under another
   * type. Nothing is
   * acknowledged before everything it promises is stored: the archive record, every large body's
   * objects, every message. A {@link DownstreamError} leaves here, for a 503.
   */
  async function accept(
    scheme: SignatureScheme<Record<string, unknown>>, request: InboundRequest, event: VerifiedEvent, receivedAtMs: number,
    contentType: string | undefined, headers: Readonly<Record<string, string>>,
  ): Promise<APIGatewayProxyResult> {
    const routes = matchProcessors(config.processors, event.type);
    const subject: ClaimSubject = { eventId: event.id, eventType: event.type, signedContent: event.signedContent, body: request.body };
    const delivery: Delivery = {
      eventId: event.id,
      eventType: event.type,
      provider: scheme.id,
      groupId: messageGroup(event, config.groupKeyPath),
      body: request.body,
      contentType,
      jsonField: event.jsonField,
      receivedAtMs,
    };
    // Signed ID and type, and nobody subscribed: nothing needs a claim — unless the event is archived,
    // where the claim is what tells a retry from the first receipt, so that every attempt files the
    // event under the same minute of the time index (the record itself is first-write-wins anyway).
    if (routes.length === 0 && event.signedContent === undefined && config.archive === undefined) return ignore(event);
    // Judged on the message as SQS counts it (escaping, attributes), and before the claim: a body that
    // can never be enqueued is refused cleanly instead of failing every retry with a 503. With an event
    // bucket the body travels by reference, and only what is left of the message must fit.
    let referencesFor: ((eventId: string) => Map<string, BodyReference>) | undefined;
    if (mayExceedMessageLimit(delivery)) {
      const tooLarge = `the event, escaped into its SQS message, exceeds SQS's ${SQS_MESSAGE_LIMIT_BYTES} bytes`;
      if (eventBucket === undefined) return refuse(413, ERROR_CODES.MESSAGE_TOO_LARGE, `${tooLarge}; lower maxBodySize or send smaller events`);
      const bodySha256 = sha256Hex(delivery.body);
      referencesFor = (eventId) => bodyReferences(eventBucket.name, routes, eventId, delivery.body, bodySha256);
      if (!referencedMessagesFit(delivery, referencesFor(delivery.eventId))) {
        return refuse(413, ERROR_CODES.MESSAGE_TOO_LARGE, `${tooLarge} even with its body stored apart: its ID and type alone are too large`);
      }
    }
    const claim = await deps.claims.claim(subject, { ignored: routes.length === 0, receivedAtMs });
    if (claim.kind === 'conflict') return conflict(event, claim.differs);
    if (claim.kind === 'enqueued') return duplicate(event);
    // A retry of an unfinished claim files the event under its first receipt, as the first attempt did.
    const firstReceivedAtMs = (claim.kind === 'unfinished' ? claim.claimedAtMs : undefined) ?? receivedAtMs;
    if (routes.length === 0) {
      await archive(delivery, headers, firstReceivedAtMs);
      return ignore(event);
    }

    let eventId = event.id;
    // Every attempt that may send asks, so that all of them send under the same ID.
    if (event.legacyIds?.length) {
      const legacy = await deps.claims.legacyClaim(event.legacyIds);
      if (legacy?.state === 'enqueued') {
        await deps.claims.markEnqueued(subject);
        return duplicate(event);
      }
      // An earlier version may have sent part of it under its old ID: send under that ID, so the
      // queues' deduplication and the processors' records recognise it.
      if (legacy?.state === 'pending') eventId = legacy.eventId;
    }
    const sent = eventId === delivery.eventId ? delivery : { ...delivery, eventId };
    await archive(sent, headers, firstReceivedAtMs);
    // Every object before any message: no processor may be handed a reference to nothing. The same
    // event and body always make the same keys and bytes, so a retry after a failure (or a death)
    // here rewrites them unchanged.
    const references = referencesFor?.(sent.eventId);
    if (references !== undefined && eventBucket !== undefined) await storeBodies(eventBucket.store, sent, references);
    await deps.dispatcher.enqueue(routes, sent, references);
    await deps.claims.markEnqueued(subject);
    metric(METRICS.ENQUEUED, endpoint);
    log({
      level: 'INFO', msg: claim.kind === 'claimed' ? 'accepted' : 'recovered unfinished claim', eventId, eventType: event.type, processors: routes.map((route) => route.name),
      ...(references === undefined ? {} : { bodyStoredBytes: sent.body.length }),
    });
    return acknowledge(event, 'accepted');
  }

  /**
   * Archives a verified event the verifier accepts or ignores (never one it refuses, a duplicate of an
   * enqueued one, or a handshake), before it is acknowledged. Nothing without an archive.
   */
  async function archive(delivery: Delivery, headers: Readonly<Record<string, string>>, firstReceivedAtMs: number): Promise<void> {
    if (config.archive === undefined || eventBucket === undefined) return;
    await archiveEvent(eventBucket.store, eventBucket.name, { delivery, headers, firstReceivedAtMs });
  }

  function ignore(event: VerifiedEvent): APIGatewayProxyResult {
    metric(METRICS.IGNORED, endpoint);
    log({ level: 'INFO', msg: 'no processor subscribed', eventId: event.id, eventType: event.type });
    return acknowledge(event, 'ignored');
  }

  /**
   * The same signed content under another ID only (a provider sending one event twice, or a replay
   * that gains nothing) is a duplicate. Under another type or body it is refused: either someone
   * re-sent captured bytes with changed unsigned parts, or — if they beat the provider to it — the
   * provider's own delivery is the one refused here, and the alarm on ContentReplays says so.
   */
  function conflict(event: VerifiedEvent, differs: 'body' | 'type' | 'id'): APIGatewayProxyResult {
    metric(METRICS.CONTENT_REPLAYS, endpoint);
    if (differs === 'id' || (differs === 'type' && event.typesShareContent)) {
      log({ level: 'WARN', msg: 'signed content already claimed under another event ID; nothing enqueued', differs, eventId: event.id, eventType: event.type });
      return acknowledge(event, 'duplicate');
    }
    const what = differs === 'body' ? 'with another body' : 'as another event type';
    return refuse(409, ERROR_CODES.CONFLICTING_REPLAY, `this signed content was already received ${what}; nothing was enqueued`, { eventId: event.id, eventType: event.type, differs });
  }

  function duplicate(event: VerifiedEvent): APIGatewayProxyResult {
    metric(METRICS.DUPLICATES, endpoint);
    log({ level: 'INFO', msg: 'duplicate', eventId: event.id });
    return acknowledge(event, 'duplicate');
  }
}

function acknowledge(event: VerifiedEvent, status: 'accepted' | 'duplicate' | 'ignored'): APIGatewayProxyResult {
  if (event.acknowledgement) {
    return { statusCode: event.acknowledgement.statusCode, headers: { 'content-type': event.acknowledgement.contentType }, body: event.acknowledgement.body };
  }
  return jsonResponse(200, { status, id: event.id });
}

function missingBucket(): never {
  throw new VerifierConfigError('the configuration names an eventBucket but the verifier was given no bucket to write to');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'unknown error';
}

/** Reads and checks the configuration the construct passes in the environment. */
export function loadConfig(raw: string | undefined): VerifierConfig {
  if (!raw) throw new VerifierConfigError('verifier configuration is missing from the environment');
  let config: VerifierConfig;
  try {
    config = JSON.parse(raw) as VerifierConfig;
  } catch (error) {
    throw new VerifierConfigError('verifier configuration is not JSON', { cause: error });
  }
  for (const key of ['signingSecretArn', 'tableName', 'endpointName'] as const) {
    if (typeof config[key] !== 'string' || !config[key]) throw new VerifierConfigError(`verifier configuration lacks ${key}`);
  }
  const scheme = schemeById(config.provider?.scheme);
  if (!scheme) throw new VerifierConfigError(`unknown provider scheme "${config.provider?.scheme}"`);
  const problem = scheme.checkOptions?.(config.provider.options ?? {});
  if (problem !== undefined) throw new VerifierConfigError(`provider options refused: ${problem}`);
  const bucketProblem = eventBucketProblem(config);
  if (bucketProblem !== undefined) throw new VerifierConfigError(bucketProblem);
  return config;
}

/**
 * What is wrong with the configuration's event bucket and archive, if anything: an archive needs the
 * bucket it is kept in, and names lower-case headers (how the request's lookup and the record name them).
 */
function eventBucketProblem(config: VerifierConfig): string | undefined {
  if (config.eventBucket !== undefined && (typeof config.eventBucket !== 'string' || config.eventBucket.length === 0)) {
    return `verifier configuration has an invalid eventBucket ${JSON.stringify(config.eventBucket)}`;
  }
  if (config.archive === undefined) return undefined;
  if (config.eventBucket === undefined) return 'verifier configuration has an archive but no eventBucket to keep it in';
  const headers: unknown = config.archive.headers;
  if (!Array.isArray(headers) || headers.some((name) => typeof name !== 'string' || name.length === 0 || name !== name.toLowerCase())) {
    return `verifier configuration's archive.headers must be lower-case header names; got ${JSON.stringify(headers)}`;
  }
  return undefined;
}
