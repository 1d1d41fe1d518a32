import { ERROR_CODES } from '../shared/contract';
import { constantTimeEqual, decodeHex, hmac } from './crypto';
import { isRejection, reject, type InboundRequest, type Rejection, type VerificationContext } from './schemes/types';
import { verifySecondsTimestamp } from './timestamps';

/**
 * Parses a `<tsKey>=<unix>,<sigKey>=<hex>[,<sigKey>=<hex>…]` header (Stripe's and Paddle's layout):
 * exactly one timestamp, and every well-formed 32-byte digest under the signature key. Elements
 * with other keys (other schemes such as Stripe's `v0`) are ignored.
 */
export function parseTimestampedDigests(
  header: string, headerName: string, layout: { readonly separator: string; readonly timestampKey: string; readonly signatureKey: string },
): { readonly timestamp: string; readonly digests: Buffer[] } | Rejection {
  let timestamp = '';
  let timestamps = 0;
  const digests: Buffer[] = [];
  // Walks the elements in place rather than splitting the header: this runs on every request.
  for (let start = 0; start <= header.length;) {
    const separator = header.indexOf(layout.separator, start);
    const end = separator < 0 ? header.length : separator;
    const eq = header.indexOf('=', start);
    if (eq <= start || eq >= end) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} has an element without a key`);
    const key = header.slice(start, eq).trim();
    if (key === layout.timestampKey) {
      timestamp = header.slice(eq + 1, end).trim();
      timestamps++;
    } else if (key === layout.signatureKey) {
      const digest = decodeHex(header.slice(eq + 1, end).trim());
      if (digest?.length === 32) digests.push(digest);
    }
    start = end + layout.separator.length;
  }
  if (timestamps !== 1) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} must carry exactly one ${layout.timestampKey}=`);
  if (digests.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} carries no well-formed ${layout.signatureKey} signature`);
  return { timestamp, digests };
}

/**
 * The scheme Slack and Zoom share: `<header>: v0=<hex>`, HMAC-SHA256 over `v0:<timestamp>:<body>`,
 * the timestamp held to the window. Every secret is tried (no early exit); the one that matched is
 * returned, for replies that must be signed with it.
 */
export function verifyV0Signature(
  request: InboundRequest, context: VerificationContext, signatureHeader: string, timestampHeader: string,
): { readonly secret: string } | Rejection {
  const header = request.header(signatureHeader);
  if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${signatureHeader} header`);
  const digest = header.startsWith('v0=') ? decodeHex(header.slice(3)) : undefined;
  if (digest?.length !== 32) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${signatureHeader} is not v0=<64 hex digits>`);
  const timestamp = request.header(timestampHeader);
  const checked = verifySecondsTimestamp(timestamp, context.nowMs, context.toleranceSeconds);
  if (isRejection(checked)) return checked;
  const matches = context.secrets.map((secret) => constantTimeEqual(hmac('sha256', secret, `v0:${timestamp}:`, request.body), digest));
  const at = matches.indexOf(true);
  return at < 0 ? reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match') : { secret: context.secrets[at] };
}
