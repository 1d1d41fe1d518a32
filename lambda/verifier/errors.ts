import { HandlerError } from '../shared/errors';

/** The request carries one header several times with different values: which one was signed is unknowable. */
export class ConflictingHeaderError extends HandlerError {
  public constructor(public readonly headerName: string) {
    super('ConflictingHeaderError', `header ${headerName} appears more than once with different values`);
  }
}

/** The API Gateway event itself is malformed (e.g. a body flagged base64 that is not base64). */
export class MalformedRequestError extends HandlerError {
  public constructor(message: string) {
    super('MalformedRequestError', message);
  }
}

/** The verifier's configuration is invalid; raised at cold start so the function never serves. */
export class VerifierConfigError extends HandlerError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('VerifierConfigError', message, options);
  }
}

/**
 * A downstream AWS call failed; the sender should retry. `archive` and `payload` are the event
 * bucket's writes: the archive record (or its time entry) and a large body's objects.
 */
export class DownstreamError extends HandlerError {
  public constructor(public readonly step: 'secret' | 'claim' | 'archive' | 'payload' | 'enqueue' | 'mark' | 'release', options: { cause: unknown }) {
    super('DownstreamError', `${step} failed`, options);
  }
}
