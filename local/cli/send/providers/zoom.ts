import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac, sha256Hex } from '../support/mac';
import { BASE62, BASE64URL } from '../support/random';
import type { ExpectedReply } from '../types';

const URL_VALIDATION = 'endpoint.url_validation';

/**
 * Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 over `v0:${x-zm-request-timestamp}:${body}` with the
 * app's Secret Token. `endpoint.url_validation` is the handshake: the endpoint must answer with the
 * plain token and its HMAC under the same secret. Zoom sends no delivery ID: the endpoint names an
 * event `<event>:<event_ts>:<first 128 bits of sha256(body)>`.
 */
export const zoomSender: ProviderSender = {
  id: 'zoom',
  name: 'Zoom',
  defaultEventType: 'meeting.started',
  exampleEventTypes: ['meeting.started', 'meeting.ended', 'meeting.participant_joined', 'recording.completed', URL_VALIDATION],
  handshakeEventType: URL_VALIDATION,
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, at } = context;
    const body = input.body ?? jsonBytes(context.eventType === URL_VALIDATION ? urlValidation(context) : meetingEvent(context));
    const timestamp = String(at.seconds);
    const parsed = parseJson(body);
    const eventType = readField(parsed, 'event');
    const eventId = eventType === undefined ? undefined : [eventType, readField(parsed, 'event_ts'), sha256Hex(body).slice(0, 32)].filter((part) => part !== undefined).join(':');
    const reply = eventType === URL_VALIDATION ? validationReply(input.secret, readField(parsed, 'payload.plainToken')) : undefined;
    return {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Zoom Marketplace/1.0a',
        'x-zm-request-timestamp': timestamp,
        'x-zm-signature': `v0=${hmac('sha256', input.secret, `v0:${timestamp}:`, body).toString('hex')}`,
      },
      body,
      eventId,
      eventType,
      description: describeRequest('Zoom', eventType, eventId, `x-zm-signature v0 = HMAC-SHA256 over "v0:${timestamp}:body"${offsetNote(context)}`),
      ...(reply ? { expectedReply: reply } : {}),
    };
  },
};

/** Zoom checks the endpoint answers with `encryptedToken` = hex HMAC-SHA256(secret token, plainToken). */
function validationReply(secret: string, plainToken: string | undefined): ExpectedReply | undefined {
  if (plainToken === undefined) return undefined;
  return { statusCode: 200, body: JSON.stringify({ plainToken, encryptedToken: hmac('sha256', secret, plainToken).toString('hex') }) };
}

function urlValidation({ random, at }: BuildContext): Record<string, unknown> {
  return { payload: { plainToken: random.chars(22, BASE64URL) }, event_ts: at.ms, event: URL_VALIDATION };
}

function meetingEvent({ eventType, random, at }: BuildContext): Record<string, unknown> {
  const hostId = random.chars(22, BASE64URL);
  const object: Record<string, unknown> = {
    id: random.digits(11),
    uuid: `${random.chars(22, BASE62)}==`,
    host_id: hostId,
    topic: 'Incident review',
    type: 2,
    start_time: new Date(Math.floor(at.ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    timezone: 'Europe/Berlin',
    duration: 30,
  };
  if (eventType === 'meeting.ended') object.end_time = object.start_time;
  if (eventType.startsWith('meeting.participant_')) object.participant = { user_id: random.digits(8), user_name: 'Ada Lovelace', id: random.chars(22, BASE64URL), join_time: object.start_time, email: 'ada@example.com' };
  return { event: eventType, payload: { account_id: random.chars(22, BASE64URL), object }, event_ts: at.ms };
}
