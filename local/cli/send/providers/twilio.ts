import type { BuildContext, BuiltRequest, ProviderSender } from '../provider';
import { describeRequest, shownUrl } from '../support/describe';
import { FORM_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../support/headers';
import { parseJson, readField } from '../support/json';
import { hmac, sha256Hex } from '../support/mac';
import type { Random } from '../support/random';
import type { SendOptions } from '../types';

type Field = readonly [name: string, value: string];

const API_VERSION = '2010-04-01';
const OUR_NUMBER = '+15005550006';
const THEIR_NUMBER = '+14155552671';

/**
 * Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 with the Auth Token (HMAC-SHA256 with a
 * SharedKey secret, announced in `X-Twilio-Webhooks-Signature-Settings`) over the URL Twilio
 * requested followed by every form parameter sorted by name as `name + value` (a repeated name's
 * values de-duplicated and sorted). A JSON body is signed through the URL instead: Twilio adds
 * `bodySHA256=<hex sha256(body)>` to the query and signs the URL alone.
 *
 * Event types: `message.<status>` (a status callback, or `message.received` for an inbound SMS),
 * `call.<status>` (voice), and anything else as a Conversations event (`EventType`).
 */
export const twilioSender: ProviderSender = {
  id: 'twilio',
  options: ['signatureAlgorithm', 'eventIdSource'],
  name: 'Twilio',
  defaultEventType: 'message.delivered',
  exampleEventTypes: ['message.delivered', 'message.sent', 'message.failed', 'message.received', 'call.ringing', 'call.completed', 'onMessageAdded'],
  signsTimestamp: () => false,
  build(context: BuildContext): BuiltRequest {
    const { input, random } = context;
    const body = input.body ?? formBody(fields(context));
    const json = isJson(body);
    // A JSON body is signed through the URL: the body's digest joins the query of both URLs.
    const [url, signedUrl] = json ? [context.url, context.signedUrl].map((base) => withBodyHash(base, body)) : [context.url, context.signedUrl];
    const signedString = json ? Buffer.from(signedUrl, 'utf8') : Buffer.from(signedUrl + sortedParameters(new URLSearchParams(body.toString('utf8'))), 'utf8');
    const sha256 = context.options.signatureAlgorithm === 'HMAC_SHA256';
    const signature = hmac(sha256 ? 'sha256' : 'sha1', input.secret, signedString).toString('base64');
    const token = input.eventId ?? idempotencyToken(random);
    const eventId = eventIdFor(context.options, token, signedString);
    const eventType = typeOf(json ? parseJson(body) : Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    return {
      url,
      headers: {
        'Content-Type': json ? JSON_CONTENT_TYPE : FORM_CONTENT_TYPE,
        'User-Agent': 'TwilioProxy/1.1',
        Accept: '*/*',
        'Cache-Control': 'max-age=259200',
        'I-Twilio-Idempotency-Token': token,
        'X-Home-Region': 'us1',
        'X-Twilio-Signature': signature,
        ...(sha256 ? { 'X-Twilio-Webhooks-Signature-Settings': `key=webhooks_sharedkey_${random.hex(32)},algorithm=HMAC_SHA256` } : {}),
      },
      body,
      eventId,
      eventType,
      description: describeRequest('Twilio', eventType, eventId,
        `X-Twilio-Signature = base64 HMAC-${sha256 ? 'SHA256' : 'SHA1'} over ${JSON.stringify(shownUrl(signedUrl))}${json ? ' (bodySHA256 in the query)' : ' + sorted name+value parameters'}`),
    };
  },
};

/**
 * The endpoint names the event by the digest of the signed string (`twilio:<sha256>`), unless it is
 * configured to take the unsigned idempotency token.
 */
function eventIdFor(options: SendOptions, token: string, signedString: Buffer): string {
  return options.eventIdSource === 'idempotency-token' ? token : `twilio:${sha256Hex(signedString)}`;
}

/** The parameters as Twilio signs them: names sorted, each name's distinct values sorted, `name + value` back to back. */
function sortedParameters(params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  return names.map((name) => [...new Set(params.getAll(name))].sort().map((value) => name + value).join('')).join('');
}

/** Twilio's body-hash convention: only JSON bodies are signed through the URL; everything else is a form. */
function isJson(body: Buffer): boolean {
  const first = body.toString('utf8').trimStart()[0];
  return first === '{' || first === '[';
}

function withBodyHash(url: string, body: Buffer): string {
  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${sha256Hex(body)}`;
}

function formBody(params: readonly Field[]): Buffer {
  const form = new URLSearchParams();
  for (const [name, value] of params) form.append(name, value);
  return Buffer.from(form.toString(), 'utf8');
}

/** The type the endpoint routes on: a named event, else `message.<status>` or `call.<status>`. */
function typeOf(payload: unknown): string | undefined {
  const named = readField(payload, 'EventType') ?? readField(payload, 'StatusCallbackEvent') ?? readField(payload, 'type');
  if (named !== undefined) return named;
  const resource = readField(payload, 'MessageSid') !== undefined ? 'message' : readField(payload, 'CallSid') !== undefined ? 'call' : undefined;
  const status = readField(payload, 'MessageStatus') ?? readField(payload, 'SmsStatus') ?? readField(payload, 'CallStatus');
  return resource && status ? `${resource}.${status}` : resource;
}

/** Twilio SIDs: a two-letter resource prefix and 32 hex digits. */
function sid(prefix: string, random: Random): string {
  return `${prefix}${random.hex(32)}`;
}

function idempotencyToken(random: Random): string {
  return `${random.hex(32)}-${random.digits(19)}`;
}

/** Parameters in the order Twilio posts them (the signature sorts them anyway). */
function fields(context: BuildContext): Field[] {
  const [resource, status] = splitType(context.eventType);
  if (resource === 'message') return status === 'received' ? inboundMessage(context.random) : messageStatus(status ?? 'delivered', context.random);
  if (resource === 'call') return callStatus(status ?? 'completed', context);
  return conversationEvent(context);
}

function splitType(eventType: string): [string, string | undefined] {
  const dot = eventType.indexOf('.');
  return dot < 0 ? [eventType, undefined] : [eventType.slice(0, dot), eventType.slice(dot + 1)];
}

function messageStatus(status: string, random: Random): Field[] {
  const messageSid = sid('SM', random);
  return [
    ['SmsSid', messageSid], ['SmsStatus', status], ['MessageStatus', status], ['To', THEIR_NUMBER],
    ['MessagingServiceSid', sid('MG', random)], ['MessageSid', messageSid], ['AccountSid', sid('AC', random)], ['From', OUR_NUMBER],
    ...(status === 'failed' || status === 'undelivered' ? [['ErrorCode', '30003'] as Field] : []),
    ['ApiVersion', API_VERSION],
  ];
}

function inboundMessage(random: Random): Field[] {
  const messageSid = sid('SM', random);
  return [
    ['ToCountry', 'US'], ['ToState', 'CA'], ['SmsMessageSid', messageSid], ['NumMedia', '0'], ['ToCity', ''], ['FromZip', '94105'],
    ['SmsSid', messageSid], ['FromState', 'CA'], ['SmsStatus', 'received'], ['FromCity', 'SAN FRANCISCO'], ['Body', 'STATUS order 1001'],
    ['FromCountry', 'US'], ['To', OUR_NUMBER], ['ToZip', ''], ['NumSegments', '1'], ['MessageSid', messageSid],
    ['AccountSid', sid('AC', random)], ['From', THEIR_NUMBER], ['ApiVersion', API_VERSION],
  ];
}

function callStatus(status: string, { random, at }: BuildContext): Field[] {
  const duration = status === 'completed' ? String(random.integer(5, 300)) : '0';
  const place: Field[] = [['CallerCity', 'SAN FRANCISCO'], ['CallerState', 'CA'], ['CallerZip', '94105'], ['CallerCountry', 'US'], ['CalledCity', ''], ['CalledState', 'CA'], ['CalledZip', ''], ['CalledCountry', 'US']];
  return [
    ['Called', OUR_NUMBER], ['Caller', THEIR_NUMBER], ['Direction', 'inbound'], ['Timestamp', new Date(at.ms).toUTCString().replace('GMT', '+0000')],
    ['CallbackSource', 'call-progress-events'], ['SequenceNumber', '0'], ['CallSid', sid('CA', random)], ['To', OUR_NUMBER], ['From', THEIR_NUMBER],
    ['CallStatus', status], ...(status === 'ringing' ? [] : [['Duration', duration] as Field, ['CallDuration', duration] as Field]),
    ['AccountSid', sid('AC', random)], ['ApiVersion', API_VERSION], ...place,
  ];
}

function conversationEvent({ eventType, random, at }: BuildContext): Field[] {
  return [
    ['AccountSid', sid('AC', random)], ['ChatServiceSid', sid('IS', random)], ['ConversationSid', sid('CH', random)], ['EventType', eventType],
    ['Source', 'SDK'], ['ClientIdentity', 'mona'], ['Author', 'mona'], ['Body', 'Is the deploy done?'], ['Index', '0'],
    ['MessageSid', sid('IM', random)], ['ParticipantSid', sid('MB', random)], ['DateCreated', at.iso], ['RetryCount', '0'],
  ];
}
