import { ERROR_CODES } from '../../shared/contract';
import { anyMatches, decodeBase64, hmac, isRejection, reject, verifySecondsTimestamp } from '../crypto';
import { parseJsonBody, readString } from '../payload';
import type { InboundRequest, SignatureScheme, Verdict, VerificationContext } from './types';

/** Which header family carries the signature: the spec's `webhook-*`, Svix's branded `svix-*`, or either. */
export type StandardWebhooksHeaderPrefix = 'webhook' | 'svix' | 'either';

export interface StandardWebhooksOptions {
  /**
   * Header names to read. With `either`, the `svix-*` set is used when `svix-signature` is present
   * (as the Svix SDK does), the `webhook-*` set otherwise; the three headers never mix families.
   * Defaults to `webhook` for the `standard-webhooks` scheme and `svix` for the `svix` scheme.
   */
  readonly headerPrefix?: StandardWebhooksHeaderPrefix;
}

const SECRET_PREFIX = 'whsec_';

function standardWebhooks(id: string, defaultPrefix: StandardWebhooksHeaderPrefix): SignatureScheme<StandardWebhooksOptions> {
  return {
    id,
    requiredHeaders: (options) => {
      const prefix = options.headerPrefix ?? defaultPrefix;
      return prefix === 'either' ? [] : [`${prefix}-id`, `${prefix}-timestamp`, `${prefix}-signature`];
    },
    verify: (request, context, options) => verify(request, context, options.headerPrefix ?? defaultPrefix),
  };
}

/**
 * Standard Webhooks (and Svix, which implements it): `<p>-id`, `<p>-timestamp` and
 * `<p>-signature: v1,<base64> [v1,<base64>…]`, HMAC-SHA256 over `${id}.${timestamp}.${rawBody}`
 * keyed with the base64-decoded `whsec_` secret. Every `v1` entry is tried (senders list one per
 * active key while rotating); `v1a` (ed25519) and unknown versions are skipped. The event ID is the
 * signed `<p>-id` header, kept across retries. No default message group: the spec defines none.
 */
export const standardWebhooksScheme: SignatureScheme<StandardWebhooksOptions> = standardWebhooks('standard-webhooks', 'webhook');

/** Svix: the Standard Webhooks scheme read from `svix-*` headers by default. */
export const svixScheme: SignatureScheme<StandardWebhooksOptions> = standardWebhooks('svix', 'svix');

function verify(request: InboundRequest, context: VerificationContext, configured: StandardWebhooksHeaderPrefix): Verdict {
  const prefix = configured !== 'either' ? configured : request.header('svix-signature') !== undefined ? 'svix' : 'webhook';
  const header = request.header(`${prefix}-signature`);
  if (header === undefined) {
    const names = configured === 'either' ? 'webhook-signature or svix-signature' : `${prefix}-signature`;
    return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${names} header`);
  }
  const messageId = request.header(`${prefix}-id`);
  if (!messageId) return reject(401, ERROR_CODES.MISSING_HEADER, `missing ${prefix}-id header (it is part of the signed content)`);

  const signatures: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const digest = decodeBase64(entry.slice(comma + 1));
    if (digest?.length === 32) signatures.push(digest);
  }
  if (signatures.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${prefix}-signature carries no well-formed v1 signature`);

  const rawTimestamp = request.header(`${prefix}-timestamp`);
  const timestamp = verifySecondsTimestamp(rawTimestamp, context.nowMs, context.toleranceSeconds);
  if (isRejection(timestamp)) return timestamp;

  // An undecodable secret is a configuration mistake; it can verify nothing, so it is skipped.
  const keys = context.secrets.map(decodeSecret).filter((key): key is Buffer => key !== undefined);
  if (keys.length === 0) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no configured secret is a whsec_<base64> key');
  const expected = keys.map((key) => hmac('sha256', key, `${messageId}.${rawTimestamp}.`, request.body));
  if (!anyMatches(expected, signatures)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no v1 signature matches');

  const parsed = parseJsonBody(request.body);
  if (isRejection(parsed)) return parsed;
  return { ok: true, event: { id: messageId, type: readString(parsed.value, 'type'), payload: parsed.value } };
}

/** The key is the base64 payload of the secret, with or without the `whsec_` prefix (as the libraries do). */
function decodeSecret(secret: string): Buffer | undefined {
  const key = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  return key && key.length > 0 ? key : undefined;
}
