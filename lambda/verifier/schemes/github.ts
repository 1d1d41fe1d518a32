import { ERROR_CODES } from '../../shared/contract';
import { decodeHex, macMatches, SignedContent, type HmacAlgorithm } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { parseForm, parseJsonBody, readString } from '../payload';

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

/** The form field of a `content_type: form` hook that holds the JSON payload. */
const FORM_FIELD = 'payload';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the raw body. Nothing else is
 * signed: not a timestamp, not the delivery ID (`X-GitHub-Delivery`, kept on redelivery), not the
 * event name (`X-GitHub-Event`). The event is therefore claimed under the digest of the body, bound to
 * the first delivery ID and event name it arrived with: the same body under a fresh delivery ID or
 * another event name enqueues nothing. GitHub never sends one body under two event names (each
 * event's payload has its own shape); two hooks (repository and organization) posting one event to
 * this endpoint are one event. With no signed timestamp, a body replayed after `idempotencyRetention`
 * is a new event.
 *
 * The event type is `X-GitHub-Event`, suffixed with the body's `action` (`pull_request.opened`).
 * Both hook content types are accepted: `application/json`, and `form` (the REST API's default for
 * new hooks), whose body is `payload=<url-encoded JSON>`; which one is read from the signed bytes,
 * not from the unsigned `Content-Type`.
 */
export const githubScheme: SignatureScheme<GitHubOptions> = {
  id: 'github',
  requiredHeaders: (options) => (options.allowLegacySha1 ? [DELIVERY_HEADER] : [SHA256_HEADER, DELIVERY_HEADER]),
  verify(request, context, options) {
    const signature = readSignature(request.header(SHA256_HEADER), 'sha256')
      ?? (options.allowLegacySha1 ? readSignature(request.header(SHA1_HEADER), 'sha1') : undefined);
    if (signature === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SHA256_HEADER} header`);
    if (signature.digest === undefined) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `signature is not ${signature.algorithm}=<hex>`);

    if (!macMatches(signature.algorithm, context.secrets, [signature.digest], request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const id = request.header(DELIVERY_HEADER);
    if (!id) return reject(400, ERROR_CODES.MISSING_EVENT_ID, `missing ${DELIVERY_HEADER} header`);
    const form = isForm(request.body);
    const parsed = form ? parseFormPayload(request.body) : parseJsonBody(request.body);
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
        signedContent: SignedContent.of(request.body),
        jsonField: form ? FORM_FIELD : undefined,
      },
    };
  },
};

const FORM_PREFIX = Buffer.from(`${FORM_FIELD}=`, 'latin1');

/** A form hook's body starts with `payload=`; anything else is read as JSON. */
function isForm(body: Buffer): boolean {
  // The first byte settles it for every JSON body (`{`, `[` or whitespace) without slicing the buffer.
  return body[0] === FORM_PREFIX[0] && body.subarray(0, FORM_PREFIX.length).equals(FORM_PREFIX);
}

/** `payload=<url-encoded JSON>` and nothing else: the one field is the event. */
function parseFormPayload(body: Buffer) {
  const form = parseForm(body);
  if (form === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is neither JSON nor a UTF-8 form');
  const values = form.get(FORM_FIELD);
  if (form.size !== 1 || values?.length !== 1) return reject(400, ERROR_CODES.MALFORMED_BODY, `a form body must carry exactly one "${FORM_FIELD}" field and nothing else`);
  return parseJsonBody(Buffer.from(values[0], 'utf8'));
}

type GitHubAlgorithm = Extract<HmacAlgorithm, 'sha1' | 'sha256'>;
const SIGNATURE_PREFIX: Readonly<Record<GitHubAlgorithm, string>> = { sha1: 'sha1=', sha256: 'sha256=' };

function readSignature(header: string | undefined, algorithm: GitHubAlgorithm): { algorithm: GitHubAlgorithm; digest?: Buffer } | undefined {
  if (header === undefined) return undefined;
  const prefix = SIGNATURE_PREFIX[algorithm];
  const digest = header.startsWith(prefix) ? decodeHex(header.slice(prefix.length)) : undefined;
  const size = algorithm === 'sha1' ? 20 : 32;
  return { algorithm, digest: digest?.length === size ? digest : undefined };
}
