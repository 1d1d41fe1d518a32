import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { FORM_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac, sha256Hex } from '../support/mac';
import { BASE62, UPPER_ALNUM, type Random } from '../support/random';
import type { ExpectedReply } from '../types';

const INTERACTIVE_TYPES = new Set(['block_actions', 'view_submission', 'view_closed', 'shortcut', 'message_action']);

/**
 * Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 over `v0:${timestamp}:${body}` with the signing
 * secret. What is sent depends on the event type:
 * - `url_verification`: the Events API handshake (JSON with a `challenge` to echo);
 * - `/command`: a slash command (form);
 * - `block_actions`, `view_submission`, `shortcut`…: interactivity (form, JSON in `payload`);
 * - `ssl_check`: Slack's certificate check (form);
 * - anything else: an Events API `event_callback` whose inner event has that type (`app_mention`).
 */
export const slackSender: ProviderSender = {
  id: 'slack',
  name: 'Slack',
  defaultEventType: 'app_mention',
  exampleEventTypes: ['app_mention', 'message', 'reaction_added', 'url_verification', '/deploy', 'block_actions', 'view_submission', 'ssl_check'],
  handshakeEventType: 'url_verification',
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, at } = context;
    const body = input.body ?? buildBody(context);
    const timestamp = String(at.seconds);
    const basestring = `v0:${timestamp}:`;
    const read = readSlackBody(body, sha256Hex(basestring, body));
    return {
      headers: {
        'Content-Type': read.form ? FORM_CONTENT_TYPE : JSON_CONTENT_TYPE,
        'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        Accept: '*/*',
        'X-Slack-Request-Timestamp': timestamp,
        'X-Slack-Signature': `v0=${hmac('sha256', input.secret, basestring, body).toString('hex')}`,
      },
      body,
      eventId: read.id,
      eventType: read.type,
      description: describeRequest('Slack', read.type, read.id, `X-Slack-Signature v0 = HMAC-SHA256 over "v0:${timestamp}:body"${offsetNote(context)}`),
      ...(read.reply ? { expectedReply: read.reply } : {}),
    };
  },
};

function buildBody(context: BuildContext): Buffer {
  const { eventType } = context;
  if (eventType === 'url_verification') return jsonBytes({ token: verificationToken(context.random), challenge: context.random.chars(48, BASE62), type: 'url_verification' });
  if (eventType === 'ssl_check') return form({ ssl_check: '1', token: verificationToken(context.random) });
  if (eventType.startsWith('/')) return form(slashCommand(context));
  if (INTERACTIVE_TYPES.has(eventType)) return form({ payload: JSON.stringify(interaction(context)) });
  return jsonBytes(eventCallback(context));
}

interface SlackReading {
  readonly form: boolean;
  readonly id?: string;
  readonly type?: string;
  readonly reply?: ExpectedReply;
}

/**
 * What the endpoint will read from the body: Slack sends no delivery ID for the handshake and
 * some payloads, so the endpoint names those by the digest of the signed bytes (`sha256-<hex>`).
 */
function readSlackBody(body: Buffer, signedDigest: string): SlackReading {
  const fallbackId = `sha256-${signedDigest}`;
  const text = body.toString('utf8');
  if (text.trimStart().startsWith('{')) {
    const parsed = parseJson(body);
    const type = readField(parsed, 'type');
    if (type === 'url_verification') {
      const challenge = readField(parsed, 'challenge');
      return { form: false, id: fallbackId, type, reply: { statusCode: 200, body: JSON.stringify({ challenge }) } };
    }
    return { form: false, id: readField(parsed, 'event_id') ?? fallbackId, type: type === 'event_callback' ? readField(parsed, 'event.type') : type };
  }
  const fields = new URLSearchParams(text);
  if (fields.has('ssl_check')) return { form: true, id: fallbackId, type: 'ssl_check', reply: { statusCode: 200, body: '' } };
  const payload = fields.get('payload');
  if (payload !== null) {
    const parsed = parseJson(Buffer.from(payload, 'utf8'));
    return { form: true, id: readField(parsed, 'trigger_id') ?? fallbackId, type: readField(parsed, 'type') };
  }
  return { form: true, id: fields.get('trigger_id') ?? undefined, type: fields.get('command') ?? undefined };
}

function form(fields: Record<string, string>): Buffer {
  return Buffer.from(new URLSearchParams(fields).toString(), 'utf8');
}

/** The deprecated verification token Slack still includes: 24 letters and digits. */
function verificationToken(random: Random): string {
  return random.chars(24, BASE62);
}

/** `trigger_id`: three dot-separated parts, unique per invocation. */
function triggerId(random: Random): string {
  return `${random.digits(13)}.${random.digits(12)}.${random.hex(32)}`;
}

function slackId(prefix: string, random: Random, length = 10): string {
  return `${prefix}${random.chars(length, UPPER_ALNUM)}`;
}

const TEAM = { id: 'T0001ACME', domain: 'acme' };

function eventCallback({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const channel = slackId('C', random);
  const user = slackId('U', random);
  const ts = `${at.seconds}.${random.digits(6)}`;
  const inner: Record<string, unknown> = eventType === 'reaction_added'
    ? { type: eventType, user, reaction: 'eyes', item: { type: 'message', channel, ts }, item_user: slackId('U', random), event_ts: ts }
    : { type: eventType, user, text: eventType === 'app_mention' ? '<@U0LAN0Z89> is the deploy done?' : 'Is the deploy done?', ts, channel, event_ts: ts, ...(eventType === 'message' ? { channel_type: 'channel' } : {}) };
  return {
    token: verificationToken(random),
    team_id: TEAM.id,
    context_team_id: TEAM.id,
    api_app_id: slackId('A', random),
    event: inner,
    type: 'event_callback',
    event_id: input.eventId ?? slackId('Ev', random),
    event_time: at.seconds,
    authorizations: [{ enterprise_id: null, team_id: TEAM.id, user_id: slackId('U', random), is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${random.chars(120, BASE62)}`,
  };
}

function slashCommand({ input, eventType, random }: BuildContext): Record<string, string> {
  return {
    token: verificationToken(random),
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: slackId('C', random),
    channel_name: 'deploys',
    user_id: slackId('U', random),
    user_name: 'mona',
    command: eventType,
    text: 'staging',
    api_app_id: slackId('A', random),
    is_enterprise_install: 'false',
    response_url: `https://hooks.slack.com/commands/${TEAM.id}/${random.digits(13)}/${random.chars(24, BASE62)}`,
    trigger_id: input.eventId ?? triggerId(random),
  };
}

function interaction({ input, eventType, random }: BuildContext): Record<string, unknown> {
  const user = { id: slackId('U', random), username: 'mona', name: 'mona', team_id: TEAM.id };
  return {
    type: eventType,
    user,
    api_app_id: slackId('A', random),
    token: verificationToken(random),
    team: TEAM,
    trigger_id: input.eventId ?? triggerId(random),
    ...(eventType === 'block_actions'
      ? { container: { type: 'message', message_ts: `${random.digits(10)}.${random.digits(6)}` }, actions: [{ type: 'button', action_id: 'approve_deploy', block_id: 'deploy', value: 'staging', action_ts: `${random.digits(10)}.${random.digits(6)}` }] }
      : {}),
    ...(eventType.startsWith('view_') ? { view: { id: slackId('V', random), type: 'modal', callback_id: 'deploy_modal', state: { values: {} } } } : {}),
    ...(eventType === 'shortcut' ? { callback_id: 'open_deploy' } : {}),
  };
}
