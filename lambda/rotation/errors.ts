import type { IssuerAction } from '../shared/contract';
import { HandlerError } from '../shared/errors';

/** The rotation function's configuration is invalid; raised at cold start so it never rotates. */
export class RotationConfigError extends HandlerError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('RotationConfigError', message, options);
  }
}

/**
 * The secret is not in a state the requested step may act on: rotation disabled, a secret other
 * than the one this function owns, or a ClientRequestToken that is not the AWSPENDING version.
 */
export class RotationStateError extends HandlerError {
  public constructor(message: string) {
    super('RotationStateError', message);
  }
}

/** The issuer failed, or answered something the contract does not allow. */
export class IssuerError extends HandlerError {
  public constructor(public readonly action: IssuerAction, message: string, options?: { cause?: unknown }) {
    super('IssuerError', `issuer ${action} failed: ${message}`, options);
  }
}

/** testSecret found the pending token unusable; AWSCURRENT is not moved. */
export class TokenTestFailedError extends HandlerError {
  public constructor(public readonly reason: string, options?: { cause?: unknown }) {
    super('TokenTestFailedError', `the pending token failed its test: ${reason}`, options);
  }
}
