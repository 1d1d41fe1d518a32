import type { IssuerAction } from '../shared/contract';

/** The rotation function's configuration is invalid; raised at cold start so it never rotates. */
export class RotationConfigError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RotationConfigError';
  }
}

/**
 * The secret is not in a state the requested step may act on: rotation disabled, a secret other
 * than the one this function owns, or a ClientRequestToken that is not the AWSPENDING version.
 */
export class RotationStateError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'RotationStateError';
  }
}

/** The issuer failed, or answered something the contract does not allow. */
export class IssuerError extends Error {
  public constructor(public readonly action: IssuerAction, message: string, options?: { cause?: unknown }) {
    super(`issuer ${action} failed: ${message}`, options);
    this.name = 'IssuerError';
  }
}

/** testSecret found the pending token unusable; AWSCURRENT is not moved. */
export class TokenTestFailedError extends Error {
  public constructor(public readonly reason: string, options?: { cause?: unknown }) {
    super(`the pending token failed its test: ${reason}`, options);
    this.name = 'TokenTestFailedError';
  }
}
