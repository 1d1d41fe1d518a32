import type { ErrorCode } from '../../shared/contract';

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
   * A single-use value the provider signs (e.g. Mailgun's `token`): the verifier records it and
   * refuses a second request carrying it, independently of the event ID.
   */
  readonly nonce?: string;
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
  | { readonly ok: false; readonly status: 400 | 401; readonly code: ErrorCode; readonly detail: string };

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
  verify(request: InboundRequest, context: VerificationContext, options: O): Verdict;
}
