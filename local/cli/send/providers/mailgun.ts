import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, offsetNote } from '../support/describe';
import { SendInputError } from '../support/errors';
import { JSON_CONTENT_TYPE, SEND_USER_AGENT } from '../support/headers';
import { jsonBytes, parseJson, readField } from '../support/json';
import { hmac } from '../support/mac';
import { BASE62, LOWER_ALNUM, type Random } from '../support/random';
import type { SigningTime } from '../support/clock';

interface SignatureBlock {
  readonly timestamp: string;
  readonly token: string;
  readonly signature: string;
}

/**
 * Mailgun: no header. The JSON body carries `signature: {timestamp, token, signature}`, the last
 * being HMAC-SHA256 (hex) over `timestamp + token` with the HTTP webhook signing key; the rest of
 * the body is not signed.
 *
 * Because the signature lives in the body, a user-given body cannot go out unchanged: its bytes
 * follow a freshly signed block spliced in after the opening `{`. When it already has a top-level
 * `signature`, that one is replaced, and the body is re-serialised (JSON keeps the last duplicate key,
 * so leaving the old block in would make it the one read).
 */
export const mailgunSender: ProviderSender = {
  id: 'mailgun',
  name: 'Mailgun',
  defaultEventType: 'delivered',
  exampleEventTypes: ['delivered', 'opened', 'clicked', 'failed', 'complained', 'unsubscribed', 'accepted'],
  signsTimestamp: () => true,
  build(context: BuildContext): BuiltRequest {
    const { input, random, at } = context;
    const signature = signatureBlock(input.secret, at, random);
    const body = input.body === undefined ? jsonBytes({ signature, 'event-data': eventData(context) }) : withSignature(input.body, signature);
    const parsed = parseJson(body);
    const eventId = readField(parsed, 'event-data.id');
    const eventType = readField(parsed, 'event-data.event');
    return {
      headers: { 'Content-Type': JSON_CONTENT_TYPE, 'User-Agent': SEND_USER_AGENT },
      body,
      eventId,
      eventType,
      description: describeRequest('Mailgun', eventType, eventId, `body signature.signature = HMAC-SHA256 over timestamp ${signature.timestamp} + token (the rest of the body is unsigned)${offsetNote(context)}`),
    };
  },
};

/** A 50-character token, fresh per delivery: it is what binds a signature to one delivery. */
function signatureBlock(key: string, at: SigningTime, random: Random): SignatureBlock {
  const timestamp = String(at.seconds);
  const token = random.chars(50, LOWER_ALNUM);
  return { token, timestamp, signature: hmac('sha256', key, timestamp, token).toString('hex') };
}

/** The given body with our block first; its own bytes kept whenever it has no `signature` of its own. */
function withSignature(given: Buffer, signature: SignatureBlock): Buffer {
  const parsed = parseJson(given);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SendInputError('a Mailgun body must be a JSON object: the signature is carried inside it');
  }
  if (Object.prototype.hasOwnProperty.call(parsed, 'signature')) return jsonBytes({ ...parsed, signature });
  const text = given.toString('utf8');
  const open = text.indexOf('{');
  const separator = Object.keys(parsed).length === 0 ? '' : ',';
  return Buffer.from(`${text.slice(0, open + 1)}"signature":${JSON.stringify(signature)}${separator}${text.slice(open + 1)}`, 'utf8');
}

function eventData({ input, eventType, random, at }: BuildContext): Record<string, unknown> {
  const messageId = `${at.iso.slice(0, 10).replace(/-/g, '')}${random.hex(12)}.${random.hex(16)}@mg.example.com`;
  const recipient = 'alice@example.com';
  return {
    id: input.eventId ?? random.chars(22, BASE62),
    timestamp: at.ms / 1000,
    'log-level': eventType === 'failed' ? 'error' : 'info',
    event: eventType,
    ...(eventType === 'failed' ? { severity: 'permanent', reason: 'bounce' } : {}),
    ...(eventType === 'delivered' || eventType === 'failed' ? { 'delivery-status': deliveryStatus(eventType) } : {}),
    flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
    envelope: { transport: 'smtp', sender: 'postmaster@mg.example.com', 'sending-ip': '198.51.100.20', targets: recipient },
    message: { headers: { to: recipient, 'message-id': messageId, from: 'Acme <noreply@mg.example.com>', subject: 'Your order has shipped' }, attachments: [], size: 2410 },
    recipient,
    'recipient-domain': 'example.com',
    storage: { url: `https://storage-us-east4.api.mailgun.net/v3/domains/mg.example.com/messages/${random.chars(44, BASE62)}`, key: random.chars(44, BASE62) },
    campaigns: [],
    tags: ['order-shipped'],
    'user-variables': {},
  };
}

function deliveryStatus(eventType: string): Record<string, unknown> {
  return eventType === 'failed'
    ? { code: 550, message: '5.1.1 The email account that you tried to reach does not exist.', description: '', 'attempt-no': 1, 'session-seconds': 0.4 }
    : { code: 250, message: 'OK', description: '', 'attempt-no': 1, 'session-seconds': 0.8, 'mx-host': 'mx.example.com', tls: true, 'certificate-verified': true };
}
