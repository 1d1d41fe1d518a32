import { ERROR_CODES } from '../../shared/contract';
import { anyMatches, decodeHex, hmac, isRejection, reject, type HmacAlgorithm } from '../crypto';
import { parseJsonBody, readString } from '../payload';
import type { SignatureScheme } from './types';

const SHA256_HEADER = 'X-Hub-Signature-256';
const SHA1_HEADER = 'X-Hub-Signature';
const DELIVERY_HEADER = 'X-GitHub-Delivery';
const EVENT_HEADER = 'X-GitHub-Event';

export interface GitHubOptions {
  /**
   * Accept the legacy `X-Hub-Signature: sha1=…` header when a request has no SHA-256 signature.
   * SHA-1 HMAC is still unforgeable today, but GitHub keeps it only for old integrations.
   */
  readonly allowLegacySha1?: boolean;
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body. No timestamp is
 * signed, so replays are stopped by the delivery ID (`X-GitHub-Delivery`, kept on redelivery).
 * The event type is `X-GitHub-Event`, suffixed with the body's `action` (`pull_request.opened`).
 */
export const githubScheme: SignatureScheme<GitHubOptions> = {
  id: 'github',
  requiredHeaders: (options) => (options.allowLegacySha1 ? [DELIVERY_HEADER] : [SHA256_HEADER, DELIVERY_HEADER]),
  verify(request, context, options) {
    const signature = readSignature(request.header(SHA256_HEADER), 'sha256')
      ?? (options.allowLegacySha1 ? readSignature(request.header(SHA1_HEADER), 'sha1') : undefined);
    if (signature === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SHA256_HEADER} header`);
    if (signature.digest === undefined) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `signature is not ${signature.algorithm}=<hex>`);

    const expected = context.secrets.map((secret) => hmac(signature.algorithm, secret, request.body));
    if (!anyMatches(expected, [signature.digest])) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const id = request.header(DELIVERY_HEADER);
    if (!id) return reject(400, ERROR_CODES.MISSING_EVENT_ID, `missing ${DELIVERY_HEADER} header`);
    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const name = request.header(EVENT_HEADER);
    const action = readString(parsed.value, 'action');
    return {
      ok: true,
      event: {
        id,
        type: name && action ? `${name}.${action}` : name,
        payload: parsed.value,
        groupKey: readString(parsed.value, 'repository.full_name') ?? readString(parsed.value, 'organization.login'),
      },
    };
  },
};

function readSignature(header: string | undefined, algorithm: HmacAlgorithm): { algorithm: HmacAlgorithm; digest?: Buffer } | undefined {
  if (header === undefined) return undefined;
  const prefix = `${algorithm}=`;
  const digest = header.startsWith(prefix) ? decodeHex(header.slice(prefix.length)) : undefined;
  const size = algorithm === 'sha1' ? 20 : 32;
  return { algorithm, digest: digest?.length === size ? digest : undefined };
}
