import { TOKEN_VALUE_VERSION, UNISSUED_TOKEN_PLACEHOLDER, type TokenSecretValue } from './contract';
import { HandlerError } from './errors';

/** Largest token an issuer may return (the secret also holds the JSON around it; Secrets Manager allows 64 KiB). */
export const MAX_TOKEN_LENGTH = 8192;

/** The secret holds something that is not a {@link TokenSecretValue}. */
export class MalformedTokenValueError extends HandlerError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('MalformedTokenValueError', message, options);
  }
}

/** True when the secret still holds the value CloudFormation created it with: no token issued yet. */
export function isUnissued(raw: string | undefined): boolean {
  return raw === undefined || raw.trim() === '' || raw.trim() === UNISSUED_TOKEN_PLACEHOLDER;
}

/** Parses a stored token version. Throws {@link MalformedTokenValueError}; never echoes the value. */
export function parseTokenValue(raw: string): TokenSecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new MalformedTokenValueError('the token secret is not JSON', { cause: error });
  }
  const value = parsed as Partial<TokenSecretValue> | null;
  if (typeof value !== 'object' || value === null || value.v !== TOKEN_VALUE_VERSION) {
    throw new MalformedTokenValueError(`the token secret is not a version ${TOKEN_VALUE_VERSION} token value`);
  }
  if (typeof value.token !== 'string' || value.token.length === 0 || value.token.length > MAX_TOKEN_LENGTH) {
    throw new MalformedTokenValueError(`the token secret's "token" must be a string of 1–${MAX_TOKEN_LENGTH} characters`);
  }
  if (typeof value.issuedAt !== 'string') throw new MalformedTokenValueError('the token secret has no "issuedAt"');
  return value as TokenSecretValue;
}

export function formatTokenValue(value: TokenSecretValue): string {
  return JSON.stringify(value);
}
