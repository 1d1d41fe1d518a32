import { randomBytes } from 'node:crypto';
import {
  ISSUER_ACTIONS, ISSUER_CONTRACT_VERSION, type IssuerAction, type IssuerConfig, type TokenIssuerMintResponse,
  type TokenIssuerRequest, type TokenIssuerTestResponse, type TokenSecretValue,
} from '../shared/contract';
import { MAX_TOKEN_LENGTH } from '../shared/token-value';
import { IssuerError, RotationConfigError, TokenTestFailedError } from './errors';
import type { LambdaInvoker } from './invoker';

/** Which token a call is about. */
export interface IssuerContext {
  readonly tokenName: string;
  readonly secretArn: string;
  /** The Secrets Manager version ID (ClientRequestToken) of the token concerned. */
  readonly versionId: string;
}

/** A freshly minted token, before it is stored. */
export interface MintedToken {
  readonly token: string;
  readonly tokenId?: string;
  readonly expiresAt?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Issues, activates, tests and revokes tokens. Every method may run more than once for the same
 * token (a rotation step is retried; the grace sweep and the next rotation may both revoke).
 */
export interface Issuer {
  mint(context: IssuerContext): Promise<MintedToken>;
  /** Makes the minted token usable (setSecret). */
  activate(context: IssuerContext, token: TokenSecretValue): Promise<void>;
  /** Throws {@link TokenTestFailedError} when the token does not work (testSecret). */
  test(context: IssuerContext, token: TokenSecretValue): Promise<void>;
  /** Makes the token unusable; succeeds when it already is. */
  revoke(context: IssuerContext, token: TokenSecretValue): Promise<void>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Random tokens for internal services that check them against the same secret: the token is
 * `length` characters of base64url from the CSPRNG (6 bits each). Activation is storing it;
 * revocation is the rotation removing its staging label, which every issuer gets.
 */
export class RandomIssuer implements Issuer {
  public constructor(private readonly length: number, private readonly random: (bytes: number) => Buffer = randomBytes) {}

  public async mint(): Promise<MintedToken> {
    const token = this.random(Math.ceil((this.length * 3) / 4)).toString('base64url').slice(0, this.length);
    return { token };
  }

  public async activate(): Promise<void> {
    // Nothing to do: the consumers check the value stored in the secret.
  }

  public async test(_context: IssuerContext, token: TokenSecretValue): Promise<void> {
    if (token.token.length !== this.length || !BASE64URL.test(token.token)) {
      throw new TokenTestFailedError(`expected ${this.length} base64url characters`);
    }
  }

  public async revoke(): Promise<void> {
    // Nothing to do: removing the version's staging label is what makes consumers refuse it.
  }
}

/**
 * Delegates to the user's function under the contract in README, "Plugging an issuer": one
 * synchronous invocation per action with a {@link TokenIssuerRequest}.
 */
export class LambdaIssuer implements Issuer {
  public constructor(private readonly functionName: string, private readonly invoker: LambdaInvoker) {}

  public async mint(context: IssuerContext): Promise<MintedToken> {
    const answer = await this.call(ISSUER_ACTIONS.MINT, context);
    return validateMintResponse(answer);
  }

  public async activate(context: IssuerContext, token: TokenSecretValue): Promise<void> {
    await this.call(ISSUER_ACTIONS.ACTIVATE, context, token);
  }

  public async test(context: IssuerContext, token: TokenSecretValue): Promise<void> {
    let answer: unknown;
    try {
      answer = await this.call(ISSUER_ACTIONS.TEST, context, token);
    } catch (error) {
      throw new TokenTestFailedError(error instanceof Error ? error.message : 'the issuer test failed', { cause: error });
    }
    const response = answer as Partial<TokenIssuerTestResponse> | null;
    if (typeof response !== 'object' || response === null || typeof response.ok !== 'boolean') {
      throw new TokenTestFailedError('the issuer answered test without a boolean "ok"');
    }
    if (!response.ok) throw new TokenTestFailedError(typeof response.reason === 'string' ? response.reason.slice(0, 500) : 'the issuer answered ok: false');
  }

  public async revoke(context: IssuerContext, token: TokenSecretValue): Promise<void> {
    await this.call(ISSUER_ACTIONS.REVOKE, context, token);
  }

  private call(action: IssuerAction, context: IssuerContext, token?: TokenSecretValue): Promise<unknown> {
    const request: TokenIssuerRequest = {
      v: ISSUER_CONTRACT_VERSION,
      action,
      tokenName: context.tokenName,
      secretArn: context.secretArn,
      versionId: context.versionId,
      ...(token ? { token: { value: token.token, tokenId: token.tokenId, expiresAt: token.expiresAt, metadata: token.metadata } } : {}),
    };
    return this.invoker.invoke(this.functionName, request);
  }
}

/** Checks a `mint` answer against the contract; the error never contains the token. */
export function validateMintResponse(answer: unknown): MintedToken {
  const response = answer as Partial<TokenIssuerMintResponse> | null;
  const fail = (message: string): never => {
    throw new IssuerError(ISSUER_ACTIONS.MINT, message);
  };
  if (typeof response !== 'object' || response === null) return fail('the answer is not a JSON object');
  if (typeof response.token !== 'string' || response.token.length === 0 || response.token.length > MAX_TOKEN_LENGTH) {
    return fail(`"token" must be a string of 1–${MAX_TOKEN_LENGTH} characters`);
  }
  if (response.tokenId !== undefined && typeof response.tokenId !== 'string') fail('"tokenId" must be a string');
  if (response.expiresAt !== undefined && (typeof response.expiresAt !== 'string' || Number.isNaN(Date.parse(response.expiresAt)))) {
    fail('"expiresAt" must be an ISO 8601 date');
  }
  if (response.metadata !== undefined) {
    const metadata = response.metadata as unknown;
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || Object.values(metadata).some((value) => typeof value !== 'string')) {
      fail('"metadata" must be an object of strings');
    }
  }
  return { token: response.token, tokenId: response.tokenId, expiresAt: response.expiresAt, metadata: response.metadata };
}

/** Builds the issuer the configuration names. */
export function issuerFor(config: IssuerConfig, invoker: () => LambdaInvoker): Issuer {
  switch (config.kind) {
    case 'random':
      if (!Number.isInteger(config.length) || config.length < 1) throw new RotationConfigError(`random issuer length must be a positive integer; got ${config.length}`);
      return new RandomIssuer(config.length);
    case 'lambda':
      if (!config.functionName) throw new RotationConfigError('lambda issuer has no functionName');
      return new LambdaIssuer(config.functionName, invoker());
    default:
      throw new RotationConfigError(`unknown issuer kind ${JSON.stringify((config as { kind?: unknown }).kind)}`);
  }
}
