import { ERROR_CODES } from '../../shared/contract';
import { macMatches } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { parseTimestampedDigests } from '../signature-headers';
import { verifySecondsTimestamp } from '../timestamps';
import { jsonEvent } from '../payload';

const HEADER = 'Paddle-Signature';

/** Options for Paddle Billing; none yet (the secret is the `pdl_ntfset_…` string, used as is). */
export type PaddleOptions = Record<string, never>;

/**
 * Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]`, HMAC-SHA256 over
 * `${ts}:${rawBody}`. Paddle documents "at least one h1", so every h1 is tried, in any order (the
 * official SDK keeps only the last one). The window is symmetric (the SDK checks the past only).
 * Event ID: body `event_id` (one per event; `notification_id` is per destination). Message group:
 * the customer (`data.customer_id`, else `data.id`, which is the customer for `customer.*`
 * events), so one customer's events stay in order.
 */
export const paddleScheme: SignatureScheme<PaddleOptions> = {
  id: 'paddle',
  requiredHeaders: () => [HEADER],
  verify(request, context) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);

    const parsedHeader = parseTimestampedDigests(header, HEADER, { separator: ';', timestampKey: 'ts', signatureKey: 'h1' });
    if (isRejection(parsedHeader)) return parsedHeader;

    const timestamp = verifySecondsTimestamp(parsedHeader.timestamp, context.nowMs, context.toleranceSeconds);
    if (isRejection(timestamp)) return timestamp;

    if (!macMatches('sha256', context.secrets, parsedHeader.digests, `${parsedHeader.timestamp}:`, request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no h1 signature matches');

    return jsonEvent(request.body, { id: 'event_id', type: 'event_type', groupKey: ['data.customer_id', 'data.id'] });
  },
};
