import { ERROR_CODES } from '../../shared/contract';
import { decodeHex, macMatches, SignedContent } from '../crypto';
import { checkWindow } from '../timestamps';
import { isRejection, reject, type SignatureScheme } from './types';
import { missingEventId, parseJsonBody, readPath, readString } from '../payload';

const HEADER = 'Linear-Signature';
const DELIVERY_HEADER = 'Linear-Delivery';

export interface LinearOptions {
  /**
   * Where the event ID comes from.
   * - `delivery`: the `Linear-Delivery` header; when a request has none, the payload ID below. The
   *   header is not signed, so the event is then claimed under a digest of the signed body: a
   *   replay under a fresh header is recognised, and Linear's retries (re-signed with a fresh
   *   `webhookTimestamp`) are told apart by the queues' deduplication and the processors' records.
   * - `payload`: always `${webhookId}:${type}.${action}:${data.id}:${createdAt}` from the signed body.
   *   The header is not signed, so someone replaying a captured request within the timestamp window
   *   could change it; the payload ID cannot be changed, but is only stable across Linear's retries
   *   if Linear re-sends the same payload with a fresh `webhookTimestamp`.
   * Defaults to `payload`: the signed body cannot be altered by a replay.
   */
  readonly eventIdSource?: 'delivery' | 'payload';
}

/**
 * Linear: `Linear-Signature: <hex>`, HMAC-SHA256 over the raw body. The signed timestamp is the
 * body's `webhookTimestamp` in milliseconds (the `Linear-Timestamp` header is not signed, so it is
 * ignored, as the SDK does); it is read only once the signature holds, and checked in both
 * directions against the configured tolerance. Type: `${type}.${action}` (e.g. `Issue.update`).
 * Message group: the entity (`data.id`), else the workspace (`organizationId`), so the events of one
 * issue or comment stay in order.
 */
export const linearScheme: SignatureScheme<LinearOptions> = {
  id: 'linear',
  requiredHeaders: () => [HEADER],
  verify(request, context, options) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);
    const digest = decodeHex(header.trim());
    if (digest?.length !== 32) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${HEADER} is not 64 hex digits`);

    if (!macMatches('sha256', context.secrets, [digest], request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const parsed = parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const timestampMs = readPath(parsed.value, 'webhookTimestamp');
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs) || timestampMs < 0) {
      return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, 'body field "webhookTimestamp" is not a number of milliseconds');
    }
    const outOfWindow = checkWindow(timestampMs, context.nowMs, context.toleranceSeconds);
    if (outOfWindow) return outOfWindow;

    const type = readString(parsed.value, 'type');
    const action = readString(parsed.value, 'action');
    const delivery = options.eventIdSource === 'delivery' ? request.header(DELIVERY_HEADER) || undefined : undefined;
    const id = delivery ?? payloadId(parsed.value, type, action);
    if (id === undefined) return missingEventId(`the ${DELIVERY_HEADER} header or the body fields "webhookId" and "createdAt"`);
    return {
      ok: true,
      event: {
        id,
        // Decided by the options, never by whether the unsigned header came: removing it must not
        // move the event to another claim.
        ...(options.eventIdSource === 'delivery' ? { signedContent: SignedContent.of(request.body) } : {}),
        type: type && action ? `${type}.${action}` : type,
        payload: parsed.value,
        groupKey: readString(parsed.value, 'data.id') ?? readString(parsed.value, 'organizationId'),
      },
    };
  },
};

/** Signed fields that tell events apart, leaving out `webhookTimestamp`: it must be fresh on every attempt. */
function payloadId(payload: unknown, type: string | undefined, action: string | undefined): string | undefined {
  const webhookId = readString(payload, 'webhookId');
  const createdAt = readString(payload, 'createdAt');
  if (webhookId === undefined || createdAt === undefined) return undefined;
  return `${webhookId}:${type ?? ''}.${action ?? ''}:${readString(payload, 'data.id') ?? ''}:${createdAt}`;
}
