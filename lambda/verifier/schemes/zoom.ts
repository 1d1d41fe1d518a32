import { createHash } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { hmac } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { verifyV0Signature } from '../signature-headers';
import { missingEventId, parseJsonBody, readString } from '../payload';

const SIGNATURE_HEADER = 'x-zm-signature';
const TIMESTAMP_HEADER = 'x-zm-request-timestamp';

/** Options for Zoom; none (the secret is the app's Secret Token, used as UTF-8). */
export type ZoomOptions = Record<string, never>;

/**
 * Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 over `v0:${x-zm-request-timestamp}:${rawBody}`,
 * with the timestamp held to the tolerance window in both directions (Zoom's Rivet SDK checks
 * none, and verifies a re-serialised body rather than the raw bytes).
 *
 * Zoom sends no delivery ID. The event ID is `<event>:<event_ts>:<sha256 of the raw body, 128 bits>`:
 * a retry (re-signed with a new timestamp, same body) keeps it, an exact replay inside the window
 * repeats it, and two different events of one type in the same millisecond still differ — which
 * `event` + `event_ts` alone would merge, silently dropping one.
 *
 * `endpoint.url_validation` is answered with `{plainToken, encryptedToken}` only once the request's
 * signature verifies, using the secret that verified it.
 *
 * Default message group: the object the event is about (`payload.object.id`, e.g. the meeting),
 * else the account.
 */
export const zoomScheme: SignatureScheme<ZoomOptions> = {
  id: 'zoom',
  requiredHeaders: () => [SIGNATURE_HEADER, TIMESTAMP_HEADER],
  verify(request, context) {
    const verified = verifyV0Signature(request, context, SIGNATURE_HEADER, TIMESTAMP_HEADER);
    if (isRejection(verified)) return verified;
    const { secret } = verified;

    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const payload = parsed.value;
    const event = readString(payload, 'event');
    if (event === undefined) return missingEventId('the body field "event"');
    const bodyDigest = createHash('sha256').update(request.body).digest('hex').slice(0, 32);
    const id = [event, readString(payload, 'event_ts'), bodyDigest].filter((part) => part !== undefined).join(':');

    if (event === 'endpoint.url_validation') {
      const plainToken = readString(payload, 'payload.plainToken');
      if (plainToken === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'endpoint.url_validation without payload.plainToken');
      const encryptedToken = hmac('sha256', secret, plainToken).toString('hex');
      return {
        ok: true,
        event: { id, type: event, payload },
        handshake: { statusCode: 200, body: JSON.stringify({ plainToken, encryptedToken }), contentType: 'application/json' },
      };
    }
    return {
      ok: true,
      event: { id, type: event, payload, groupKey: readString(payload, 'payload.object.id') ?? readString(payload, 'payload.account_id') },
    };
  },
};
