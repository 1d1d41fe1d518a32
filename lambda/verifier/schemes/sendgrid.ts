import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { anyKeyVerifies, cachedKeyParser, decodeBase64 } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { verifySecondsTimestamp } from '../timestamps';
import { missingEventId, parseJsonBody, readString } from '../payload';

const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';
/** A DER ECDSA P-256 signature is at most 72 bytes; anything much longer is not one. */
const MAX_SIGNATURE_BYTES = 80;

/**
 * Options for SendGrid; none yet. Each configured "secret" is the verification PUBLIC key from
 * Mail Settings → Event Webhook: base64 DER SubjectPublicKeyInfo (a PEM block works too).
 */
export type SendGridOptions = Record<string, never>;

/**
 * SendGrid Event Webhook: ECDSA P-256/SHA-256 over `timestamp + rawBody` (the body's trailing
 * CRLF included), DER signature in base64. Stricter than @sendgrid/eventwebhook, which checks no
 * timestamp: the timestamp must be within the window, in either direction.
 *
 * The body is an array of events, each with its own `sg_event_id`. The idempotency key covers the
 * whole POST: the `sg_event_id` of a single-event batch, otherwise `batch:` + SHA-256 of the sorted
 * IDs (so the same batch retried is recognised). Events split differently across batches are not
 * recognised; processors dedupe per event on `sg_event_id` if that matters to them.
 */
export const sendgridScheme: SignatureScheme<SendGridOptions> = {
  id: 'sendgrid',
  requiredHeaders: () => [SIGNATURE_HEADER, TIMESTAMP_HEADER],
  verify(request, context) {
    const header = request.header(SIGNATURE_HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SIGNATURE_HEADER} header`);
    const signature = decodeBase64(header.trim());
    if (signature === undefined || signature.length > MAX_SIGNATURE_BYTES || signature[0] !== 0x30) {
      return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SIGNATURE_HEADER} is not a base64 DER ECDSA signature`);
    }

    const timestamp = request.header(TIMESTAMP_HEADER);
    if (timestamp === undefined) return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, `missing ${TIMESTAMP_HEADER} header`);
    const checked = verifySecondsTimestamp(timestamp, context.nowMs, context.toleranceSeconds);
    if (isRejection(checked)) return checked;

    const keys = context.secrets.map(publicKey).filter((key): key is KeyObject => key !== undefined);
    if (keys.length === 0) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'no configured key is a P-256 public key (base64 DER SPKI)');
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.body]);
    if (!anyKeyVerifies('sha256', signed, keys, signature)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const events = parsed.value;
    if (!Array.isArray(events) || events.length === 0) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not a non-empty JSON array of events');
    const ids: string[] = [];
    for (const event of events as unknown[]) {
      const id = readString(event, 'sg_event_id');
      if (id === undefined) return missingEventId('the "sg_event_id" of every event');
      ids.push(id);
    }

    const single = events.length === 1;
    return {
      ok: true,
      event: {
        id: single ? ids[0] : batchId(ids),
        type: single ? readString(events[0], 'event') : 'batch',
        payload: events,
        groupKey: single ? readString(events[0], 'sg_message_id') : undefined,
      },
    };
  },
};

function batchId(ids: readonly string[]): string {
  // JSON, not a join: no choice of IDs can make two different sets encode the same.
  return `batch:${createHash('sha256').update(JSON.stringify([...ids].sort())).digest('hex')}`;
}



function parsePublicKey(text: string): KeyObject | undefined {
  // PEM armour and line breaks are dropped, so a pasted PEM block works as well as the bare base64.
  const der = decodeBase64(text.replace(/-----[A-Z ]+-----|\s+/g, ''));
  if (der === undefined) return undefined;
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    // Any other key type would verify a different algorithm than the one SendGrid signs with.
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
  } catch {
    return undefined;
  }
}

const publicKey = cachedKeyParser(parsePublicKey);
