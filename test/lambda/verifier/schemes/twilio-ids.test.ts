import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { twilioScheme, type TwilioOptions } from '../../../../lambda/verifier/schemes/twilio';
import type { Verdict } from '../../../../lambda/verifier/schemes/types';
import { context, inbound } from '../../../support/requests';
import { twilioSchemeBeforeIssue13, type VerdictBeforeIssue13 } from './support/twilio-before-issue-13';

/**
 * Issue 13 rewrote the Twilio scheme for speed. Deployed claims are keyed on its event IDs (the
 * signed-content digest and version 0.1's legacy ID), so for every request the rewrite must give the
 * very verdict the previous implementation gave: same ID, signed content, legacy IDs, type, group
 * and payload; same refusal for what it refused.
 */
const TOKEN = 'twilio_auth_token_0123456789';
const OLD_TOKEN = 'previous_auth_token_9876543210';
const NOW_MS = 1_700_000_000_000;
const PUBLIC_URL = 'https://hooks.example.com/twilio';

interface Call {
  /** The body exactly as sent: a string of form text, or raw bytes. */
  readonly body: string | Buffer;
  /** What the sender signed, when not the body itself (a re-split replays another body's signature). */
  readonly signedBody?: string | Buffer;
  readonly query?: Record<string, string>;
  readonly publicUrl?: string;
  /** The URL the sender signed, when it differs from the one the verifier rebuilds. */
  readonly signedUrl?: string;
  readonly headers?: Record<string, string>;
  readonly algorithm?: 'sha1' | 'sha256';
  readonly secret?: string;
  readonly options?: TwilioOptions;
}

/** The URL the verifier rebuilds for a call: the public URL and the query, as URLSearchParams writes it. */
function requestUrl(call: Call): string {
  const query = new URLSearchParams(call.query ?? {}).toString();
  return query ? `${call.publicUrl ?? PUBLIC_URL}?${query}` : call.publicUrl ?? PUBLIC_URL;
}

/**
 * Signs as Twilio does, from the parameters as URLSearchParams reads the signed body (the reading both
 * implementations must agree with): the URL, then each sorted name with each of its sorted distinct values.
 */
function sign(call: Call): string {
  const body = call.signedBody ?? call.body;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  const form = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) form.set(name, [...(form.get(name) ?? []), value]);
  const data = [...form.keys()].sort().map((name) => [...new Set(form.get(name))].sort().map((value) => name + value).join('')).join('');
  return createHmac(call.algorithm ?? 'sha1', call.secret ?? TOKEN).update((call.signedUrl ?? requestUrl(call)) + data).digest('base64');
}

/** The verdict with its signed content named by its key, as the claim names it: comparable with the old scheme's. */
function keyed(verdict: Verdict): VerdictBeforeIssue13 {
  return verdict.ok ? { ...verdict, event: { ...verdict.event, signedContent: verdict.event.signedContent?.key } } : verdict;
}

function verdicts(call: Call): { readonly now: VerdictBeforeIssue13; readonly before: VerdictBeforeIssue13 } {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sign(call), ...(call.algorithm === 'sha256' ? { 'X-Twilio-Webhooks-Signature-Settings': 'key=k,algorithm=HMAC_SHA256' } : {}), ...call.headers };
  const request = () => inbound({ body: call.body, headers, query: call.query }, call.publicUrl ?? PUBLIC_URL);
  const secrets = context([TOKEN, OLD_TOKEN], NOW_MS);
  return { now: keyed(twilioScheme.verify(request(), secrets, call.options ?? {})), before: twilioSchemeBeforeIssue13.verify(request(), secrets, call.options ?? {}) };
}

const form = (pairs: readonly (readonly [string, string])[]) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
const STATUS: [string, string][] = [['MessageSid', 'SM1'], ['MessageStatus', 'delivered'], ['AccountSid', 'AC1'], ['To', '+15550001111'], ['Body', 'Hi there']];

const CORPUS: readonly (readonly [string, Call])[] = [
  ['a status callback', { body: form(STATUS) }],
  ['the same callback with its parameters reordered', { body: form([...STATUS].reverse()) }],
  ['repeated keys, some values repeated', { body: 'Digits=5678&Sid=CA1&Digits=1234&Digits=1234&Digits=0' }],
  ['a repeated key with an empty value among others', { body: 'Media=&Media=b&Media=a&MessageSid=SM2' }],
  ['empty values and a parameter with no "="', { body: 'Body=&MessageSid=SM3&Flag&To=' }],
  ['an empty name', { body: '=orphan&MessageSid=SM4' }],
  ['"+" as a space and %20 as a space', { body: 'Body=hello+big%20world&City=SAN+FRANCISCO&MessageSid=SM5' }],
  ['%2B as a plus', { body: 'From=%2B14155550199&To=%2B14155550100&CallSid=CA6&CallStatus=ringing' }],
  ['unicode, percent-encoded', { body: form([['Body', 'café ☕ 😀 中文 Ünïcødé'], ['MessageSid', 'SM7']]) }],
  ['unicode sent raw (not percent-encoded)', { body: 'Body=café ☕ 😀&MessageSid=SM8' }],
  ['a leading "?" and empty pairs', { body: '?MessageSid=SM9&&Body=x&&' }],
  ['a BOM at the start of the body', { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('MessageSid=SM10&Body=x')]) }],
  ['a percent-encoded BOM in a value', { body: 'Body=%EF%BB%BFhi&MessageSid=SM11' }],
  ['quotes, backslashes and control characters (escaped in the legacy JSON)', { body: form([['Body', 'He said "hi"\\n\nnext\tline\u0001'], ['Quote"Name', 'x'], ['MessageSid', 'SM12']]) }],
  ['names sorting differently by code unit than by code point', { body: form([['\uff61', 'a'], ['\ud83d\ude00', 'b'], ['z', 'c'], ['MessageSid', 'SM13']]) }],
  ['__proto__ and constructor as parameter names', { body: '__proto__=polluted&constructor=x&toString=y&MessageSid=SM14' }],
  ['a "%" that starts no escape (URLSearchParams keeps it)', { body: 'Body=100%&Note=%zz&MessageSid=SM15' }],
  ['escaped bytes that are not UTF-8 (URLSearchParams replaces them)', { body: 'Body=%FF%FE&Other=%C3&MessageSid=SM16' }],
  ['a field mixing an invalid escape, a valid one and raw unicode', { body: 'Body=caf\u00e9%41%zz&MessageSid=SM17' }],
  ['a "%" escape split across a separator', { body: 'Body=%4&1=2&MessageSid=SM18' }],
  ['"=" inside a value and percent-encoded "=" and "&" in names', { body: 'a=b=c&n%3Dm=1&x%26y=2&MessageSid=SM19' }],
  ['a large body', { body: form([['Body', 'Hello from the benchmark, café ☕ & co. '.repeat(2000)], ['MessageSid', 'SM20'], ['SmsStatus', 'received']]) }],
  ['re-split: an empty parameter appended', { body: `${form(STATUS)}&=`, signedBody: form(STATUS) }],
  ['re-split: two parameters merged into one', { body: 'AccountSid=AC1BodyHi+thereMessageSidSM1&MessageStatus=delivered&To=%2B15550001111', signedBody: form(STATUS) }],
  ['re-split: a character moved between name and value', { body: 'A=ccountSidAC1&Body=Hi+there&MessageSid=SM1&MessageStatu=sdelivered&To=%2B15550001111', signedBody: form(STATUS) }],
  ['a query in the URL, with a space that must be tried as %20', { body: form(STATUS), query: { note: 'a b', foo: '1' }, signedUrl: `${PUBLIC_URL}?note=a%20b&foo=1` }],
  ['the URL signed with its default port', { body: form(STATUS), signedUrl: 'https://hooks.example.com:443/twilio' }],
  ['a public URL with a quote and a backslash (escaped in the legacy JSON)', { body: form(STATUS), publicUrl: 'https://hooks.example.com/a"b\\c' }],
  ['signed with the previous token', { body: form(STATUS), secret: OLD_TOKEN }],
  ['SharedKey HMAC-SHA256', { body: form(STATUS), algorithm: 'sha256' }],
  ['named by its idempotency token', { body: form(STATUS), headers: { 'I-Twilio-Idempotency-Token': 'tok-1' }, options: { eventIdSource: 'idempotency-token' } }],
  ['a Conversations event', { body: form([['EventType', 'onMessageAdded'], ['ConversationSid', 'CH1'], ['MessageSid', 'IM1']]) }],
  ['a call without a message SID', { body: form([['CallSid', 'CA1'], ['CallStatus', 'completed']]) }],
  ['no SID at all', { body: form([['AccountSid', 'AC1']]) }],
  ['an empty body', { body: '' }],
  ['a body that is not UTF-8', { body: Buffer.from([0x41, 0x3d, 0xff]) }],
  ['a tampered body', { body: form([...STATUS, ['Extra', 'x']]), signedBody: form(STATUS) }],
];

/** A JSON body, signed through the URL's bodySHA256. */
function jsonCall(body: string, hash = createHash('sha256').update(body).digest('hex')): Call {
  return { body, query: { bodySHA256: hash } };
}

describe('the rewritten Twilio scheme gives every request the verdict it gave before', () => {
  test.each(CORPUS)('%s', (_case, call) => {
    const { now, before } = verdicts(call);
    expect(now).toEqual(before);
  });

  test.each([
    ['a JSON body', jsonCall('{"MessageSid":"SM9","MessageStatus":"sent"}')],
    ['a JSON body that is not JSON', jsonCall('not json')],
    ['a JSON body that does not hash to bodySHA256', jsonCall('{"a":1}', createHash('sha256').update('{"a":2}').digest('hex'))],
  ])('%s', (_case, call) => {
    expect(verdicts(call).now).toEqual(verdicts(call).before);
  });

  test('the corpus is accepted but for the two requests that must be refused: the comparison is not between two refusals', () => {
    const refused = CORPUS.filter(([, call]) => !verdicts(call).now.ok).map(([name]) => name);
    expect(refused).toEqual(['a body that is not UTF-8', 'a tampered body']);
  });

  test('each re-split replays the genuine callback\'s signature and is named as that very callback', () => {
    const genuine = verdicts({ body: form(STATUS) }).now;
    for (const [name, call] of CORPUS.filter(([name]) => name.startsWith('re-split'))) {
      const { now } = verdicts(call);
      if (!now.ok || !genuine.ok) throw new Error(`${name} was refused`);
      expect({ id: now.event.id, signedContent: now.event.signedContent }).toEqual({ id: genuine.event.id, signedContent: genuine.event.signedContent });
    }
  });

  test('random form bodies, however malformed, get the same verdict, ID and legacy ID', () => {
    const atom = fc.constantFrom('a', 'B', '=', '&', '+', '%', '%4', '%41', '%2B', '%26', '%3D', '%C3%A9', '%C3', '%FF', '%zz', '%0A', '%22', '%5C', 'é', '☕', '😀', '?', ' ', '"', '\\', 'Sid', 'MessageSid=SM1');
    fc.assert(fc.property(fc.array(atom, { maxLength: 24 }).map((atoms) => atoms.join('')), fc.constantFrom('sha1' as const, 'sha256' as const), (body, algorithm) => {
      const { now, before } = verdicts({ body, algorithm });
      expect(now).toEqual(before);
    }), { numRuns: 1500, seed: 13 });
  });
});
