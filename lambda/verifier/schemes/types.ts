import type { ErrorCode } from '../../shared/contract';
import type { SignedContent } from '../crypto';

/** The request as the sender made it: exact body bytes, case-insensitive headers, public URL. */
export interface InboundRequest {
  /** The exact bytes the sender signed. */
  readonly body: Buffer;
  /**
   * Value of a header, looked up case-insensitively; `undefined` when absent.
   * Throws {@link ConflictingHeaderError} when the request carries the header twice with different values.
   */
  header(name: string): string | undefined;
  /** Every header name present, lower-cased. */
  readonly headerNames: readonly string[];
  /** The URL the sender called (scheme, host, path and query as sent), for schemes that sign it. */
  readonly url: string;
  readonly method: string;
}

/** What a scheme needs besides the request. */
export interface VerificationContext {
  /** Every signing secret active now: any one of them may have signed the request. Never empty. */
  readonly secrets: readonly string[];
  /** The verifier's clock, in epoch milliseconds. */
  readonly nowMs: number;
  /** How far a signed timestamp may be from now, in either direction. */
  readonly toleranceSeconds: number;
}

/** What the provider's event is, once its signature is verified. */
export interface VerifiedEvent {
  /** The provider's event or delivery ID: the idempotency key. */
  readonly id: string;
  /** The event type used to route it to processors, when the provider gives one. */
  readonly type?: string;
  /** The parsed body, when it is JSON or a form; used for routing and the message group. */
  readonly payload?: unknown;
  /** The provider's default message-group value for this event, if it has one. */
  readonly groupKey?: string;
  /**
   * Set when the signature does not cover everything the event's `id` or `type` is read from (an
   * unsigned header, or a value parsed out of signed bytes that could be split another way): exactly
   * the bytes the signature covers. The verifier then claims their digest ({@link SignedContent.key})
   * instead of the ID, and binds the claim to the ID, type and body it was made for, so nothing an
   * attacker can change without the secret turns the same signed bytes into a second event or routes
   * them elsewhere.
   */
  readonly signedContent?: SignedContent;
  /**
   * The provider itself sends one signed content under several types (Shopify's topics with
   * `oneEventPerBody`): a request that changes only the type of claimed content is answered as a
   * duplicate, not refused as a conflicting replay.
   */
  readonly typesShareContent?: boolean;
  /**
   * IDs that earlier versions of this scheme gave the same event. The verifier honours their claims,
   * so a provider retrying across an upgrade does not see its event processed twice.
   */
  readonly legacyIds?: readonly string[];
  /**
   * The body is a form whose field of this name holds the JSON `payload` (GitHub `content_type: form`,
   * Slack interactivity); processors' `json()` reads it.
   */
  readonly jsonField?: string;
  /**
   * The response to send once the event is enqueued (or found to be a duplicate), when the provider
   * expects a particular body rather than the verifier's default JSON (Discord's deferred response).
   */
  readonly acknowledgement?: HandshakeReply;
}

/** A reply the provider expects instead of normal processing (URL verification, ping). */
export interface HandshakeReply {
  readonly statusCode: number;
  readonly body: string;
  readonly contentType: string;
}

export type Verdict =
  | { readonly ok: true; readonly event: VerifiedEvent; readonly handshake?: HandshakeReply }
  | Rejection;

/** Why a request is refused: the status and code the verifier answers with, and a detail for the sender. */
export type Rejection = { readonly ok: false; readonly status: 400 | 401; readonly code: ErrorCode; readonly detail: string };

export function reject(status: 400 | 401, code: ErrorCode, detail: string): Rejection {
  return { ok: false, status, code, detail };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/**
 * A provider's signing scheme. One file per provider implements it; the registry in `./index.ts`
 * lists them. `verify` must check the signature before it reads anything else from the body, and
 * must never throw for bad input: it returns a rejection instead.
 */
export interface SignatureScheme<O = Record<string, unknown>> {
  /** Stable identifier, stored in the verifier's configuration. */
  readonly id: string;
  /**
   * Headers without which a request cannot be genuine. API Gateway refuses requests missing them
   * (400) before the verifier runs. Names as the provider documents them.
   */
  requiredHeaders(options: O): readonly string[];
  /**
   * Why these options cannot be verified safely (a layout that leaves the body or the timestamp
   * unsigned), or undefined. The construct refuses such options at synth; the verifier refuses to start.
   */
  checkOptions?(options: O): string | undefined;
  verify(request: InboundRequest, context: VerificationContext, options: O): Verdict;
}
