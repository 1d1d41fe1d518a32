import { ERROR_CODES } from '../../shared/contract';
import { decodeHex, macMatches } from '../crypto';
import { reject, type SignatureScheme } from './types';
import { jsonEvent } from '../payload';

const HEADER = 'X-Hub-Signature';
const PREFIX = 'sha1=';

/** Options for Intercom; none yet (the secret is the app's client secret, used as is). */
export type IntercomOptions = Record<string, never>;

/**
 * Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 over the raw body. Nothing time-bound is
 * signed, so replays are stopped by the event-ID claim: body `id` (`notif_…`), one per notification
 * (its `delivery_attempts` counter is what changes between attempts). Type: body `topic`, e.g.
 * `conversation.user.created` or `ping`. Message group: the item the notification is about
 * (`data.item.id`, e.g. a conversation), else the workspace (`app_id`).
 */
export const intercomScheme: SignatureScheme<IntercomOptions> = {
  id: 'intercom',
  requiredHeaders: () => [HEADER],
  verify(request, context) {
    const header = request.header(HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${HEADER} header`);
    const digest = header.startsWith(PREFIX) ? decodeHex(header.slice(PREFIX.length)) : undefined;
    if (digest?.length !== 20) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${HEADER} is not sha1=<40 hex digits>`);

    if (!macMatches('sha1', context.secrets, [digest], request.body)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    return jsonEvent(request.body, { id: 'id', type: 'topic', groupKey: ['data.item.id', 'app_id'] });
  },
};
