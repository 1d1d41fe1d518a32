/** The request carries one header several times with different values: which one was signed is unknowable. */
export class ConflictingHeaderError extends Error {
  public constructor(public readonly headerName: string) {
    super(`header ${headerName} appears more than once with different values`);
    this.name = 'ConflictingHeaderError';
  }
}

/** The API Gateway event itself is malformed (e.g. a body flagged base64 that is not base64). */
export class MalformedRequestError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

/** The verifier's configuration is invalid; raised at cold start so the function never serves. */
export class VerifierConfigError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VerifierConfigError';
  }
}

/** A downstream AWS call failed; the sender should retry. */
export class DownstreamError extends Error {
  public constructor(public readonly step: 'secret' | 'claim' | 'enqueue' | 'mark' | 'release', options: { cause: unknown }) {
    super(`${step} failed`, options);
    this.name = 'DownstreamError';
  }
}
