import { createSecretKey } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { anyMatches, cachedKeyParser, decodeBase64, hmac } from '../crypto';
import { isRejection, reject, type InboundRequest, type SignatureScheme, type Verdict, type VerificationContext } from './types';
import { verifySecondsTimestamp } from '../timestamps';
import { parseJsonBody, readString } from '../payload';

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

/** The three header names of each family, spelled once rather than on every request. */
const HEADER_NAMES = {
  webhook: { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' },
  svix: { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' },
} as const;

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
  const prefix = configured !== 'either' ? configured : request.header(HEADER_NAMES.svix.signature) !== undefined ? 'svix' : 'webhook';
  const names = HEADER_NAMES[prefix];
  const header = request.header(names.signature);
  if (header === undefined) {
    const missing = configured === 'either' ? 'webhook-signature or svix-signature' : names.signature;
    return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${missing} header`);
  }
  const messageId = request.header(names.id);
  if (!messageId) return reject(401, ERROR_CODES.MISSING_HEADER, `missing ${names.id} header (it is part of the signed content)`);

  const signatures = v1Signatures(header);
  if (signatures.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${names.signature} carries no well-formed v1 signature`);

  const rawTimestamp = request.header(names.timestamp);
  const timestamp = verifySecondsTimestamp(rawTimestamp, context.nowMs, context.toleranceSeconds);
  if (isRejection(timestamp)) return timestamp;

  // An undecodable secret is a configuration mistake; it can verify nothing, so it is skipped.
  const signedPrefix = `${messageId}.${rawTimestamp}.`;
  // One loop, one array: this runs on every request, and each intermediate array is garbage.
  const expected: Buffer[] = [];
  for (const secret of context.secrets) {
    const key = secretKey(secret);
    if (key !== undefined) expected.push(hmac('sha256', key, signedPrefix, request.body));
  }
  if (expected.length === 0) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no configured secret is a whsec_<base64> key');
  if (!anyMatches(expected, signatures)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no v1 signature matches');

  const parsed = parseJsonBody(request.body);
  if (isRejection(parsed)) return parsed;
  return { ok: true, event: { id: messageId, type: readString(parsed.value, 'type'), payload: parsed.value } };
}

/** Every well-formed `v1,<base64 of 32 bytes>` entry of a space-separated signature header. */
function v1Signatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  // Walks the entries in place rather than splitting the header: this runs on every request.
  for (let start = 0; start < header.length;) {
    const space = header.indexOf(' ', start);
    const end = space < 0 ? header.length : space;
    if (header.startsWith('v1,', start)) {
      const digest = decodeBase64(header.slice(start + 3, end));
      if (digest?.length === 32) signatures.push(digest);
    }
    start = end + 1;
  }
  return signatures;
}

/**
 * The key is the base64 payload of the secret, with or without the `whsec_` prefix (as the libraries
 * do); decoded once per secret, not on every request.
 */
const secretKey = cachedKeyParser((secret) => {
  const key = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  return key && key.length > 0 ? createSecretKey(key) : undefined;
});
