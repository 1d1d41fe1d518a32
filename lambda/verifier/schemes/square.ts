import { ERROR_CODES } from '../../shared/contract';
import { decodeBase64, macMatches } from '../crypto';
import { reject, type SignatureScheme } from './types';
import { jsonEvent } from '../payload';

const HEADER = 'x-square-hmacsha256-signature';

export interface SquareOptions {
  /**
   * The notification URL exactly as registered in the Square webhook subscription: Square signs it
   * byte for byte, so a trailing `/`, a port or a different host makes every signature fail.
   * Absent means the URL the request arrived at.
   */
  readonly notificationUrl?: string;
}

/**
 * Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 over `notificationUrl + rawBody`
 * with the subscription's signature key. No timestamp is signed (the body's `created_at` is, but
 * Square retries for up to a day with the same body, so it cannot bound replays): replay
 * protection is the claim on the body's `event_id`, which Square keeps on retries.
 * Stricter than the SDK: the digest is compared in constant time (the SDK uses `===`).
 *
 * Default message group: the object the event is about (`data.id`, e.g. the payment), else the
 * merchant, so one object's updates stay in order while objects run in parallel.
 */
export const squareScheme: SignatureScheme<SquareOptions> = {
  id: 'square',
  requiredHeaders: () => [HEADER],
  verify(request, context, options) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);
    const digest = decodeBase64(header);
    if (digest?.length !== 32) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${HEADER} is not the base64 of a SHA-256 digest`);

    const url = options.notificationUrl ?? request.url;
    if (!macMatches('sha256', context.secrets, [digest], url, request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    return jsonEvent(request.body, { id: 'event_id', type: 'type', groupKey: ['data.id', 'merchant_id'] });
  },
};
