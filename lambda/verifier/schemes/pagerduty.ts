import { ERROR_CODES } from '../../shared/contract';
import { decodeHex, macMatches } from '../crypto';
import { reject, type SignatureScheme } from './types';
import { jsonEvent } from '../payload';

const HEADER = 'X-PagerDuty-Signature';

/**
 * Options for PagerDuty; none yet. The secret is the subscription's signing secret, used as its
 * UTF-8 text even though it looks like base64 (decoding it gives a different, wrong key).
 */
export type PagerDutyOptions = Record<string, never>;

/**
 * PagerDuty webhooks v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over the raw
 * body. PagerDuty sends one `v1` per active secret while a secret is rolled, so every value is
 * tried against every configured secret; entries of other versions are ignored.
 * Nothing time-bound is signed: a replay is stopped only by the event-ID claim (`event.id`), for as
 * long as the verifier keeps claims.
 */
export const pagerdutyScheme: SignatureScheme<PagerDutyOptions> = {
  id: 'pagerduty',
  requiredHeaders: () => [HEADER],
  verify(request, context) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);

    const signatures: Buffer[] = [];
    for (const item of header.split(',')) {
      const entry = item.trim();
      if (!entry.startsWith('v1=')) continue;
      const digest = decodeHex(entry.slice('v1='.length));
      if (digest?.length === 32) signatures.push(digest);
    }
    if (signatures.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${HEADER} carries no well-formed v1 signature`);

    if (!macMatches('sha256', context.secrets, signatures, request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no v1 signature matches');

    return jsonEvent(request.body, { id: 'event.id', type: 'event.event_type', groupKey: ['event.data.id'] });
  },
};
