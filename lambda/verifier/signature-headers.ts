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
  // Walks the elements in place rather than splitting the header, and compares keys where they stand:
  // this runs on every request, and each slice is a new string.
  for (let start = 0; start <= header.length;) {
    const separator = header.indexOf(layout.separator, start);
    const end = separator < 0 ? header.length : separator;
    const eq = header.indexOf('=', start);
    if (eq <= start || eq >= end) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} has an element without a key`);
    if (keyIs(header, start, eq, layout.timestampKey)) {
      timestamp = trimmed(header, eq + 1, end);
      timestamps++;
    } else if (keyIs(header, start, eq, layout.signatureKey)) {
      const digest = decodeHex(trimmed(header, eq + 1, end));
      if (digest?.length === 32) digests.push(digest);
    }
    start = end + layout.separator.length;
  }
  if (timestamps !== 1) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} must carry exactly one ${layout.timestampKey}=`);
  if (digests.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${headerName} carries no well-formed ${layout.signatureKey} signature`);
  return { timestamp, digests };
}

/** Whether `text[start, end)`, trimmed as `String.prototype.trim` does, is `key`. */
function keyIs(text: string, start: number, end: number, key: string): boolean {
  if (isTrimmed(text, start, end)) return end - start === key.length && text.startsWith(key, start);
  return text.slice(start, end).trim() === key;
}

/** `text[start, end)` trimmed as `String.prototype.trim` does, sliced once when there is nothing to trim. */
function trimmed(text: string, start: number, end: number): string {
  return isTrimmed(text, start, end) ? text.slice(start, end) : text.slice(start, end).trim();
}

/**
 * Whether `trim()` would leave `text[start, end)` as it is: its first and last characters are printable
 * ASCII other than the space (every character `trim()` removes is a space, a control or beyond ASCII).
 */
function isTrimmed(text: string, start: number, end: number): boolean {
  return end > start && isPrintableAscii(text.charCodeAt(start)) && isPrintableAscii(text.charCodeAt(end - 1));
}

function isPrintableAscii(code: number): boolean {
  return code > 0x20 && code < 0x7f;
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
