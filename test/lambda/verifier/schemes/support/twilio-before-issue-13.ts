// A frozen copy of lambda/verifier/schemes/twilio.ts as of commit f5291c9 (before issue 13's rewrite),
// kept only to prove that the rewrite names every request exactly as it did: deployed claims are keyed
// on these IDs. Its digests use node:crypto directly and its form parser is the old URLSearchParams
// one, so that nothing rewritten since can leak into the reference. Do not "fix" or speed it up.
import { createHash, createHmac } from 'node:crypto';
import { ERROR_CODES } from '../../../../../lambda/shared/contract';
import { anyMatches, constantTimeEqual, decodeBase64, decodeHex, type HmacAlgorithm } from '../../../../../lambda/verifier/crypto';
import { isRejection, reject, type Rejection } from '../../../../../lambda/verifier/schemes/types';
import { parseJsonBody, readString } from '../../../../../lambda/verifier/payload';
import type { InboundRequest, VerificationContext, VerifiedEvent } from '../../../../../lambda/verifier/schemes/types';

/** A verdict as the scheme gave it before issue 13: the signed content was named by its digest. */
export type VerdictBeforeIssue13 = Rejection | { readonly ok: true; readonly event: Omit<VerifiedEvent, 'signedContent'> & { readonly signedContent?: string } };

function hmac(algorithm: HmacAlgorithm, key: string, ...parts: readonly (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function signedContentKey(...parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function parseForm(body: Buffer): Map<string, string[]> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return undefined;
  }
  const form = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const values = form.get(key);
    if (values) values.push(value);
    else form.set(key, [value]);
  }
  return form;
}

const SIGNATURE_HEADER = 'X-Twilio-Signature';
const SETTINGS_HEADER = 'X-Twilio-Webhooks-Signature-Settings';
const ALGORITHMS: Readonly<Record<string, HmacAlgorithm>> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

const IDEMPOTENCY_HEADER = 'I-Twilio-Idempotency-Token';
/** An empty TwiML document: "nothing to say" to an inbound message or call; ignored by status callbacks. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** Options for Twilio. The secret is the Auth Token or the SharedKey secret (both may be active). */
interface TwilioOptions {
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
export const twilioSchemeBeforeIssue13 = {
  id: 'twilio',
  requiredHeaders: () => [SIGNATURE_HEADER],
  verify(request: InboundRequest, context: VerificationContext, options: TwilioOptions): VerdictBeforeIssue13 {
    const header = request.header(SIGNATURE_HEADER);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${SIGNATURE_HEADER} header`);
    const algorithm = readAlgorithm(request.header(SETTINGS_HEADER));
    if (algorithm === undefined) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SETTINGS_HEADER} names an unsupported algorithm`);
    const digest = decodeBase64(header);
    if (digest?.length !== (algorithm === 'sha1' ? 20 : 32)) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${SIGNATURE_HEADER} is not a base64 ${algorithm} digest`);

    let bodyHash: string | null;
    try {
      bodyHash = new URL(request.url).searchParams.get('bodySHA256');
    } catch {
      return reject(400, ERROR_CODES.MALFORMED_REQUEST, 'the request URL cannot be parsed');
    }
    // With bodySHA256 the body is JSON and only the URL is signed; otherwise the body is a form.
    const form = bodyHash === null ? parseForm(request.body) : new Map<string, string[]>();
    if (form === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not a UTF-8 form');
    const params = [...form.keys()].sort().map((name) => {
      const values = form.get(name) as string[];
      return [name, values.length === 1 ? values : [...new Set(values)].sort()] as const;
    });
    // The signed bytes after the URL, encoded once rather than once per secret and URL variant.
    const suffix = Buffer.from(params.map(([name, values]) => values.map((value) => name + value).join('')).join(''), 'utf8');

    // URL variants are tried in turn and the first that verifies ends the search: they are derived
    // from the request itself, so which one matched tells the sender nothing it did not send. Within
    // a variant every active secret is still compared in constant time.
    let signedUrl: string | undefined;
    for (const url of urlVariants(request.url)) {
      if (anyMatches(context.secrets.map((secret) => hmac(algorithm, secret, url, suffix)), [digest])) {
        signedUrl = url;
        break;
      }
    }
    if (signedUrl === undefined) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');
    if (bodyHash !== null) {
      const actual = createHash('sha256').update(request.body).digest();
      if (!constantTimeEqual(actual, decodeHex(bodyHash) ?? Buffer.alloc(0))) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'body does not match the signed bodySHA256');
    }

    const parsed = bodyHash === null ? { value: Object.fromEntries(params.map(([name, values]) => [name, values.length === 1 ? values[0] : values])) } : parseJsonBody(request.body);
    if (isRejection(parsed)) return parsed;
    const payload = parsed.value;
    const token = options.eventIdSource === 'idempotency-token' ? request.header(IDEMPOTENCY_HEADER) || undefined : undefined;
    const signedContent = signedContentKey(signedUrl, suffix);
    return {
      ok: true,
      event: {
        id: token ?? `twilio:${signedContent}`,
        signedContent,
        // Version 0.1 named the event by a digest of the parsed parameters: its claims are honoured.
        legacyIds: token === undefined ? [legacyId(request.url, params, payload)] : undefined,
        type: eventType(payload),
        payload,
        groupKey: readString(payload, 'ConversationSid') ?? readString(payload, 'CallSid') ?? readString(payload, 'MessageSid'),
        acknowledgement: { statusCode: 200, body: EMPTY_TWIML, contentType: 'text/xml' },
      },
    };
  },
};

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

/** The event ID version 0.1 derived: a digest of the request URL and the parsed, sorted parameters. */
function legacyId(url: string, params: readonly (readonly [string, readonly string[]])[], payload: unknown): string {
  const sid = readString(payload, 'MessageSid') ?? readString(payload, 'CallSid') ?? 'twilio';
  return `${sid}:${createHash('sha256').update(JSON.stringify([url, params])).digest('hex')}`;
}
