import { ERROR_CODES } from '../../shared/contract';
import { decodeHex, macMatches, SignedContent } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { verifySecondsTimestamp } from '../timestamps';
import { missingEventId, parseJsonBody, readPath, readString } from '../payload';

/** Options for Mailgun; none yet (the secret is the account's HTTP webhook signing key, used as UTF-8). */
export type MailgunOptions = Record<string, never>;

/** Mailgun's tokens are 50 characters; the bound keeps oversized values out of the verifier's work. */
const MAX_TOKEN_LENGTH = 256;

/**
 * Mailgun: no header. The JSON body carries `signature: {timestamp, token, signature}`, where
 * `signature` is HMAC-SHA256 hex over `timestamp + token`. THE REST OF THE BODY IS NOT SIGNED:
 * whoever sees one genuine request can pair its signature with any body of their own. What limits
 * that is the symmetric window on `timestamp`, and the claim: the event is claimed under the digest
 * of `timestamp + token` (its signed content), bound to the event ID, type and body of the first
 * request that carried it, whether or not a processor wants that event. So each signature block makes
 * at most one event — the body it first arrived with — and a second body under the same block, or the
 * same body with a changed ID or type, enqueues nothing. Confidentiality of the traffic (TLS) does the
 * rest: someone who reads a delivery before it reaches the endpoint could race it.
 *
 * The signature has to be read from the body, so the body is parsed before anything is verified,
 * through own-property reads only; nothing else is read until the signature matches.
 * Only the JSON format of current webhooks is supported; legacy form-encoded (multipart or
 * urlencoded) posts are refused as unsigned.
 */
export const mailgunScheme: SignatureScheme<MailgunOptions> = {
  id: 'mailgun',
  requiredHeaders: () => [],
  verify(request, context) {
    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return unsigned();
    const block = readPath(parsed.value, 'signature');
    if (typeof block !== 'object' || block === null) return unsigned();

    const signature = readString(block, 'signature');
    const token = readString(block, 'token');
    const timestamp = readString(block, 'timestamp');
    if (signature === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, 'missing signature.signature');
    const digest = decodeHex(signature);
    if (digest?.length !== 32) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, 'signature.signature is not 64 hex characters');
    if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
      return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `signature.token is missing or longer than ${MAX_TOKEN_LENGTH} characters`);
    }

    if (timestamp === undefined) return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, 'missing signature.timestamp');
    const checked = verifySecondsTimestamp(timestamp, context.nowMs, context.toleranceSeconds);
    if (isRejection(checked)) return checked;

    if (!macMatches('sha256', context.secrets, [digest], timestamp, token)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const body = parsed.value;
    const id = readString(body, 'event-data.id');
    if (id === undefined) return missingEventId('the body field "event-data.id"');
    return {
      ok: true,
      event: {
        id,
        type: readString(body, 'event-data.event'),
        payload: body,
        // Keeps the events of one message (delivered, opened, clicked…) in order.
        groupKey: readString(body, 'event-data.message.headers.message-id'),
        signedContent: SignedContent.of(timestamp, token),
      },
    };
  },
};

function unsigned() {
  return reject(401, ERROR_CODES.MISSING_SIGNATURE, 'body is not JSON with a "signature" object (form-encoded Mailgun webhooks are not supported)');
}
