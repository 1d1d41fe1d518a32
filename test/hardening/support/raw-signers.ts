/**
 * Signs exact bytes the way each provider does, for data-driven cases ("sign with scheme X"): the
 * case gives the body (possibly malformed) and the timestamp text (possibly malformed), and the
 * signature is computed over them at test time, so the verifier gets past the signature check and
 * the case exercises what comes after it.
 */
import { createHmac, sign as signData, type KeyObject } from 'node:crypto';
import { fixedKey, type KeyMaterial } from './signers';

export interface RawSignInput {
  readonly body: Buffer;
  /** The timestamp exactly as it is sent (seconds, or milliseconds where the scheme says so). */
  readonly timestamp: string;
  /** The key that signs. */
  readonly key: KeyMaterial;
  /** The URL the provider calls (Twilio, Square). */
  readonly url: string;
  /** Message ID (Standard Webhooks, Svix). */
  readonly messageId: string;
}

type RawSigner = (input: RawSignInput) => Record<string, string>;

const hmacHex = (algorithm: string, key: string | Buffer, ...parts: (string | Buffer)[]) => parts.reduce((h, p) => h.update(p), createHmac(algorithm, key)).digest('hex');
const hmacB64 = (algorithm: string, key: string | Buffer, ...parts: (string | Buffer)[]) => parts.reduce((h, p) => h.update(p), createHmac(algorithm, key)).digest('base64');
const secret = (key: KeyMaterial) => key.signing as string;

export const RAW_SIGNERS: Readonly<Record<string, RawSigner>> = {
  stripe: ({ body, timestamp, key }) => ({ 'Stripe-Signature': `t=${timestamp},v1=${hmacHex('sha256', secret(key), `${timestamp}.`, body)}` }),
  github: ({ body, key }) => ({ 'X-Hub-Signature-256': `sha256=${hmacHex('sha256', secret(key), body)}` }),
  // The corpus's generic HMAC endpoint: X-Signature: v1=<hex> over `{timestamp}.{body}`, X-Timestamp in seconds.
  hmac: ({ body, timestamp, key }) => ({ 'X-Signature': `v1=${hmacHex('sha256', secret(key), `${timestamp}.`, body)}`, 'X-Timestamp': timestamp }),
  slack: ({ body, timestamp, key }) => ({ 'X-Slack-Signature': `v0=${hmacHex('sha256', secret(key), `v0:${timestamp}:`, body)}`, 'X-Slack-Request-Timestamp': timestamp }),
  zoom: ({ body, timestamp, key }) => ({ 'x-zm-signature': `v0=${hmacHex('sha256', secret(key), `v0:${timestamp}:`, body)}`, 'x-zm-request-timestamp': timestamp }),
  paddle: ({ body, timestamp, key }) => ({ 'Paddle-Signature': `ts=${timestamp};h1=${hmacHex('sha256', secret(key), `${timestamp}:`, body)}` }),
  pagerduty: ({ body, key }) => ({ 'X-PagerDuty-Signature': `v1=${hmacHex('sha256', secret(key), body)}` }),
  intercom: ({ body, key }) => ({ 'X-Hub-Signature': `sha1=${hmacHex('sha1', secret(key), body)}` }),
  linear: ({ body, key }) => ({ 'Linear-Signature': hmacHex('sha256', secret(key), body) }),
  shopify: ({ body, key }) => ({ 'X-Shopify-Hmac-Sha256': hmacB64('sha256', secret(key), body) }),
  square: ({ body, key, url }) => ({ 'x-square-hmacsha256-signature': hmacB64('sha256', secret(key), url, body) }),
  twilio: ({ body, key, url }) => {
    // Form bodies: the URL, then each sorted parameter name + value.
    const params = [...new URLSearchParams(body.toString('utf8'))];
    const names = [...new Set(params.map(([name]) => name))].sort();
    const data = names.map((name) => [...new Set(params.filter(([n]) => n === name).map(([, v]) => v))].sort().map((v) => name + v).join('')).join('');
    return { 'X-Twilio-Signature': hmacB64('sha1', secret(key), url + data) };
  },
  'standard-webhooks': ({ body, timestamp, key, messageId }) => ({
    'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${hmacB64('sha256', key.signing as Buffer, `${messageId}.${timestamp}.`, body)}`,
  }),
  svix: ({ body, timestamp, key, messageId }) => ({
    'svix-id': messageId, 'svix-timestamp': timestamp, 'svix-signature': `v1,${hmacB64('sha256', key.signing as Buffer, `${messageId}.${timestamp}.`, body)}`,
  }),
  discord: ({ body, timestamp, key }) => ({
    'X-Signature-Ed25519': signData(null, Buffer.concat([Buffer.from(timestamp), body]), key.signing as KeyObject).toString('hex'), 'X-Signature-Timestamp': timestamp,
  }),
  sendgrid: ({ body, timestamp, key }) => ({
    'X-Twilio-Email-Event-Webhook-Signature': signData('sha256', Buffer.concat([Buffer.from(timestamp), body]), key.signing as KeyObject).toString('base64'),
    'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
  }),
  // Mailgun signs inside the body: see mailgunSignature.
  mailgun: () => ({}),
};

/** Mailgun's `signature.signature`: HMAC-SHA256 hex of timestamp + token. */
export function mailgunSignature(key: KeyMaterial, timestamp: string, token: string): string {
  return hmacHex('sha256', secret(key), timestamp, token);
}

/** The key of the corpus for a scheme, and a different one ("another secret"). */
export function corpusKey(scheme: string, which: 'configured' | 'other' = 'configured'): KeyMaterial {
  return fixedKey(scheme, which === 'configured' ? `corpus-secret-${scheme}` : `another-secret-${scheme}`);
}

