import { ERROR_CODES } from '../../shared/contract';
import { macMatches } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { parseTimestampedDigests } from '../signature-headers';
import { verifySecondsTimestamp } from '../timestamps';
import { jsonEvent } from '../payload';

const HEADER = 'Stripe-Signature';

/** Options for Stripe; none yet (the signing secret is the `whsec_…` string, used as is). */
export type StripeOptions = Record<string, never>;

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over `${t}.${rawBody}`.
 * Any `v1` may match (Stripe sends one per active secret while a secret is rolled); other schemes
 * such as `v0` are ignored. Stricter than stripe-node: a timestamp from the future is rejected too.
 */
export const stripeScheme: SignatureScheme<StripeOptions> = {
  id: 'stripe',
  requiredHeaders: () => [HEADER],
  verify(request, context) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);

    const parsedHeader = parseTimestampedDigests(header, HEADER, { separator: ',', timestampKey: 't', signatureKey: 'v1' });
    if (isRejection(parsedHeader)) return parsedHeader;

    const timestamp = verifySecondsTimestamp(parsedHeader.timestamp, context.nowMs, context.toleranceSeconds);
    if (isRejection(timestamp)) return timestamp;

    const signedPrefix = `${parsedHeader.timestamp}.`;
    if (!macMatches('sha256', context.secrets, parsedHeader.digests, signedPrefix, request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no v1 signature matches');

    return jsonEvent(request.body, { id: 'id', type: 'type', groupKey: ['data.object.customer', 'account'] });
  },
};
