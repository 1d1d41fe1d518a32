import { createHash } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { isRejection, reject, type SignatureScheme, type Verdict } from './types';
import { verifyV0Signature } from '../signature-headers';
import { decodeUtf8, missingEventId, parseForm, parseJsonBody, readString } from '../payload';

const SIGNATURE_HEADER = 'X-Slack-Signature';
const TIMESTAMP_HEADER = 'X-Slack-Request-Timestamp';

/**
 * Slash commands and interactivity show a non-empty reply to the user (or, for a modal submission,
 * refuse it): an empty 200 only acknowledges. The Events API ignores the reply body.
 */
const EMPTY_ACK = { statusCode: 200, body: '', contentType: 'text/plain' } as const;

/** Options for Slack; none (the signing secret is used as is, as UTF-8). */
export type SlackOptions = Record<string, never>;

/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 over `v0:${X-Slack-Request-Timestamp}:${rawBody}`.
 * Covers the Events API (JSON), slash commands (form) and interactivity (form with a JSON `payload`).
 * Stricter than Bolt: a timestamp from the future is rejected too, and `ssl_check` is answered only
 * once its signature verifies (Bolt answers it unverified).
 *
 * Default message group: the workspace (`team_id`, else `enterprise_id`), so events from one
 * workspace stay in order while workspaces run in parallel.
 */
export const slackScheme: SignatureScheme<SlackOptions> = {
  id: 'slack',
  requiredHeaders: () => [SIGNATURE_HEADER, TIMESTAMP_HEADER],
  verify(request, context) {
    const verified = verifyV0Signature(request, context, SIGNATURE_HEADER, TIMESTAMP_HEADER);
    if (isRejection(verified)) return verified;

    // Slack sends no delivery ID for some payloads (interactivity without trigger_id,
    // app_rate_limited). They are never retried, so a digest of the signed bytes is enough to
    // refuse an exact replay inside the timestamp window.
    const fallbackId = `sha256-${createHash('sha256').update(`v0:${request.header(TIMESTAMP_HEADER)}:`).update(request.body).digest('hex')}`;
    return decodeUtf8(request.body)?.trimStart().startsWith('{') ? fromJson(request.body, fallbackId) : fromForm(request.body, fallbackId);
  },
};

/** Events API: `url_verification` is answered; `event_callback` must carry `event_id` (kept on retries). */
function fromJson(body: Buffer, fallbackId: string): Verdict {
  const parsed = parseJsonBody(body);
  if (isRejection(parsed)) return parsed;
  const payload = parsed.value;
  const type = readString(payload, 'type');
  if (type === 'url_verification') {
    const challenge = readString(payload, 'challenge');
    if (challenge === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'url_verification without a challenge');
    return {
      ok: true,
      event: { id: fallbackId, type, payload },
      handshake: { statusCode: 200, body: JSON.stringify({ challenge }), contentType: 'application/json' },
    };
  }
  const eventId = readString(payload, 'event_id');
  if (type === 'event_callback' && eventId === undefined) return missingEventId('the body field "event_id"');
  return {
    ok: true,
    event: {
      id: eventId ?? fallbackId,
      type: type === 'event_callback' ? readString(payload, 'event.type') : type,
      payload,
      groupKey: readString(payload, 'team_id') ?? readString(payload, 'enterprise_id'),
    },
  };
}

/** Slash commands (`command`, `trigger_id`), interactivity (`payload=<json>`) and `ssl_check`. */
function fromForm(body: Buffer, fallbackId: string): Verdict {
  const form = parseForm(body);
  if (form === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is neither JSON nor a UTF-8 form');
  const fields = Object.fromEntries([...form].map(([key, values]) => [key, values.length === 1 ? values[0] : values]));

  if (form.has('ssl_check')) {
    return { ok: true, event: { id: fallbackId, type: 'ssl_check', payload: fields }, handshake: EMPTY_ACK };
  }
  const interactive = form.get('payload');
  if (interactive !== undefined) {
    if (interactive.length !== 1) return reject(400, ERROR_CODES.MALFORMED_BODY, 'form carries several payload fields');
    const parsed = parseJsonBody(Buffer.from(interactive[0], 'utf8'));
    if (isRejection(parsed)) return parsed;
    return {
      ok: true,
      event: {
        id: readString(parsed.value, 'trigger_id') ?? fallbackId,
        type: readString(parsed.value, 'type'),
        payload: parsed.value,
        groupKey: readString(parsed.value, 'team.id') ?? readString(parsed.value, 'enterprise.id'),
        acknowledgement: EMPTY_ACK,
        // The processor's json() reads the payload field, not the form around it.
        jsonField: 'payload',
      },
    };
  }
  const command = readString(fields, 'command');
  if (command === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'form is neither a slash command nor an interactive payload');
  // trigger_id is unique per invocation; Slack does not retry slash commands.
  const id = readString(fields, 'trigger_id');
  if (id === undefined) return missingEventId('the form field "trigger_id"');
  const groupKey = readString(fields, 'team_id') ?? readString(fields, 'enterprise_id');
  return { ok: true, event: { id, type: command, payload: fields, groupKey, acknowledgement: EMPTY_ACK } };
}
