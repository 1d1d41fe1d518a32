import { hash } from 'node:crypto';
import { ERROR_CODES } from '../../shared/contract';
import { constantTimeEqual, decodeBase64, decodeHex, macMatches, SignedContent, type HmacAlgorithm } from '../crypto';
import { isRejection, reject, type SignatureScheme } from './types';
import { decodeForm, parseJsonBody, readString, setOwnProperty, type DecodedForm, type FormField } from '../payload';
import { legacyIdText, parameterEnd, signedString, signingOrder } from './twilio-params';

const SIGNATURE_HEADER = 'X-Twilio-Signature';
const SETTINGS_HEADER = 'X-Twilio-Webhooks-Signature-Settings';
const ALGORITHMS: Readonly<Record<string, HmacAlgorithm>> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

const IDEMPOTENCY_HEADER = 'I-Twilio-Idempotency-Token';
/** A JSON body (signed through bodySHA256) has no form parameters. */
const NO_FORM: DecodedForm = { fields: [], bytes: Buffer.alloc(0), jsonEscapes: false };
/** An empty TwiML document: "nothing to say" to an inbound message or call; ignored by status callbacks. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Options for Twilio. The secret is the Auth Token or the SharedKey secret (both may be active). */
export interface TwilioOptions {
  /**
   * Where the event ID comes from: `content` (the digest of the signed string) or `idempotency-token`
   * (the unsigned `I-Twilio-Idempotency-Token` header, falling back to `content` when absent). Either
   * way the event is claimed under the digest of the signed string, so a token changes only the name
   * processors see, never whether a request is a new event. Absent means `content`.
   */
  readonly eventIdSource?: 'content' | 'idempotency-token';
}

/**
 * Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 (or HMAC-SHA256 when
 * `X-Twilio-Webhooks-Signature-Settings` names it, for SharedKey webhooks) over the URL Twilio
 * requested followed by every form parameter, sorted by name, as `name + value` (repeated values
 * de-duplicated and sorted). JSON bodies are signed through the URL's `bodySHA256` parameter.
 *
 * Nothing time-bound is signed, so a captured request verifies forever: replay protection is the
 * claim alone, for as long as it is retained. And the signature covers the concatenation
 * `url + name1 + value1 + name2 + …`, not the form: the same signed string can be re-split into
 * other parameters (`Body=Pay` as `B=odyPay`, an appended `&=`, two parameters merged). So the event
 * ID is a digest of the signed string itself (`twilio:<sha256 hex>`), the same for every re-split,
 * and the event is claimed under that digest, bound to the parameters it first arrived with: no
 * re-split, fresh idempotency token or changed URL encoding makes a captured request a second event
 * or another type. Twilio's retries resend the same URL and parameters, so they keep the ID; two
 * callbacks with identical URL and parameters are one event.

 * Accepted events are acknowledged with empty TwiML, so an inbound message gets no reply rather
 * than an "invalid content type" warning in the Twilio console.
 *
 * Default message group: the conversation, call or message SID, so one resource's callbacks
 * (queued → sent → delivered) stay in order.
 */
export const twilioScheme: SignatureScheme<TwilioOptions> = {
  id: 'twilio',
  requiredHeaders: () => [SIGNATURE_HEADER],
  verify(request, context, options) {
    const header = request.header(SIGNATURE_HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SIGNATURE_HEADER} header`);
    const algorithm = readAlgorithm(request.header(SETTINGS_HEADER));
    if (algorithm === undefined) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SETTINGS_HEADER} names an unsupported algorithm`);
    const digest = decodeBase64(header);
    if (digest?.length !== (algorithm === 'sha1' ? 20 : 32)) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SIGNATURE_HEADER} is not a base64 ${algorithm} digest`);

    const url = urlFacts(request.url);
    const bodyHash = url.bodyHash;
    if (bodyHash === undefined) return reject(400, ERROR_CODES.MALFORMED_REQUEST, 'the request URL cannot be parsed');
    // With bodySHA256 the body is JSON and only the URL is signed; otherwise the body is a form.
    const form = bodyHash === null ? decodeForm(request.body) : NO_FORM;
    if (form === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not a UTF-8 form');
    const signedFields = signingOrder(form.fields);
    // The signed string for the URL as received, assembled once rather than once per secret; another
    // URL variant (rarely needed) is signed as that URL followed by the same parameter bytes.
    const signed = signedString(request.url, form, signedFields);
    const signedParts = (url: string) => (url === request.url ? [signed] : [url, signed.subarray(Buffer.byteLength(request.url, 'utf8'))]);

    // URL variants are tried in turn and the first that verifies ends the search: they are derived
    // from the request itself, so which one matched tells the sender nothing it did not send. Within
    // a variant every active secret is still compared in constant time.
    const signedUrl = firstSignedUrl(request.url, (url) => {
      const parts = signedParts(url);
      return macMatches(algorithm, context.secrets, [digest], ...parts);
    });
    if (signedUrl === undefined) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');
    if (bodyHash !== null) {
      const actual = hash('sha256', request.body, 'buffer');
      if (!constantTimeEqual(actual, decodeHex(bodyHash) ?? Buffer.alloc(0))) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'body does not match the signed bodySHA256');
    }

    const parsed = bodyHash === null ? { value: formPayload(signedFields) } : parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const payload = parsed.value;
    const token = options.eventIdSource === 'idempotency-token' ? request.header(IDEMPOTENCY_HEADER) || undefined : undefined;
    const signedContent = SignedContent.of(...signedParts(signedUrl));
    let legacyIds: readonly string[] | undefined;
    return {
      ok: true,
      event: {
        id: token ?? `twilio:${signedContent.key}`,
        signedContent,
        // Version 0.1 named the event by a digest of the parsed parameters: its claims are honoured.
        // Built when read, because only a new claim reads it: the digest costs a body-sized buffer
        // and a SHA-256, which a duplicate or a rejected request should not pay.
        get legacyIds(): readonly string[] | undefined {
          if (token !== undefined) return undefined;
          legacyIds ??= [legacyId(url.json, form, signedFields, payload)];
          return legacyIds;
        },
        type: eventType(payload),
        payload,
        groupKey: readString(payload, 'ConversationSid') ?? readString(payload, 'CallSid') ?? readString(payload, 'MessageSid'),
        acknowledgement: { statusCode: 200, body: EMPTY_TWIML, contentType: 'text/xml' },
      },
    };
  },
};

/** The form as processors see it: one property per parameter, its value, or its (signed) values when it has several. */
function formPayload(signedFields: readonly FormField[]): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (let first = 0; first < signedFields.length;) {
    const end = parameterEnd(signedFields, first);
    const values = end - first === 1 ? signedFields[first].value : signedFields.slice(first, end).map((field) => field.value);
    setOwnProperty(payload, signedFields[first].name, values);
    first = end;
  }
  return payload;
}

/** What verification reads from the request URL alone. */
interface UrlFacts {
  /** The `bodySHA256` query parameter, `null` without one, `undefined` for a URL that does not parse. */
  readonly bodyHash: string | null | undefined;
  /** `JSON.stringify(url)` as UTF-8, for version 0.1's event ID. */
  readonly json: Buffer;
}

let lastUrl: { readonly url: string; readonly facts: UrlFacts } | undefined;

/**
 * The URL's facts, remembered for the last URL: an endpoint's requests mostly share one, and
 * parsing it costs as much as a tenth of a small request's verification.
 */
function urlFacts(url: string): UrlFacts {
  if (lastUrl?.url !== url) lastUrl = { url, facts: { bodyHash: readBodyHash(url), json: Buffer.from(JSON.stringify(url), 'utf8') } };
  return lastUrl.facts;
}

function readBodyHash(url: string): string | null | undefined {
  try {
    return new URL(url).searchParams.get('bodySHA256');
  } catch {
    return undefined;
  }
}

/** `key=…,algorithm=…`; absent (or no `algorithm=`) means the Auth Token's HMAC-SHA1. */
function readAlgorithm(settings: string | undefined): HmacAlgorithm | undefined {
  for (const part of (settings ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'algorithm' && part.slice(eq + 1).trim() !== '') {
      const name = part.slice(eq + 1).trim().toUpperCase();
      return Object.prototype.hasOwnProperty.call(ALGORITHMS, name) ? ALGORITHMS[name] : undefined;
    }
  }
  return 'sha1';
}

/** The first of the URL's variants that `verifies`; the URL as received, by far the likeliest, is tried before any is derived. */
function firstSignedUrl(url: string, verifies: (candidate: string) => boolean): string | undefined {
  if (verifies(url)) return url;
  return urlVariants(url).find((variant) => variant !== url && verifies(variant));
}

/**
 * The URL as Twilio may have signed it: as received, with and without the port (Twilio signs the
 * URL as configured, `:443` or not), and with the query re-encoded as `%20` rather than `+` because
 * API Gateway hands the query over decoded and the original encoding is lost.
 */
function urlVariants(url: string): string[] {
  const variants = new Set<string>();
  for (const candidate of [url, rfc3986Query(url)]) {
    variants.add(candidate);
    const match = /^(https?:\/\/)([^/?#:@]+)(:\d+)?(.*)$/is.exec(candidate);
    if (!match) continue;
    const [, scheme, host, port, rest] = match;
    variants.add(port ? scheme + host + rest : `${scheme}${host}${scheme.toLowerCase() === 'https://' ? ':443' : ':80'}${rest}`);
  }
  return [...variants];
}

function rfc3986Query(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = [...new URLSearchParams(url.slice(at + 1))].map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${url.slice(0, at + 1)}${pairs.join('&')}`;
}

/** Conversations' `EventType`, conference `StatusCallbackEvent`, else `message[.<status>]` / `call[.<status>]`. */
function eventType(payload: unknown): string | undefined {
  const named = readString(payload, 'EventType') ?? readString(payload, 'StatusCallbackEvent') ?? readString(payload, 'type');
  if (named !== undefined) return named;
  const resource = readString(payload, 'MessageSid') !== undefined ? 'message' : readString(payload, 'CallSid') !== undefined ? 'call' : undefined;
  const status = readString(payload, 'MessageStatus') ?? readString(payload, 'SmsStatus') ?? readString(payload, 'CallStatus');
  return resource && status ? `${resource}.${status}` : resource;
}

/** The event ID version 0.1 derived: a digest of the request URL and the parsed, sorted parameters (as JSON). */
function legacyId(urlJson: Buffer, form: DecodedForm, signedFields: readonly FormField[], payload: unknown): string {
  const sid = readString(payload, 'MessageSid') ?? readString(payload, 'CallSid') ?? 'twilio';
  return `${sid}:${hash('sha256', legacyIdText(urlJson, form, signedFields), 'hex')}`;
}
