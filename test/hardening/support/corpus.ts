/**
 * Loads the bad-input corpus (test/fixtures/bad-inputs/*.json, format in its README) and turns each
 * case into the exact request: placeholders filled, signatures computed where the case asks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ERROR_CODES } from '../../../lambda/shared/contract';
import { EventField, WebhookProvider } from '../../../lib';
import { apiGatewayEvent } from '../../support/requests';
import { corpusKey, mailgunSignature, RAW_SIGNERS } from './raw-signers';

export const CORPUS_DIR = path.join(__dirname, '..', '..', 'fixtures', 'bad-inputs');
export const NOW_S = 1_700_000_000;
export const NOW_MS = NOW_S * 1000;
export const TOLERANCE_SECONDS = 300;
export const MAX_BODY_BYTES = 256 * 1024;

/** URLs the URL-signing schemes are configured with (the endpoint's `publicUrl`). */
export const PUBLIC_URLS: Readonly<Record<string, string>> = {
  twilio: 'https://hooks.example.com/twilio',
  square: 'https://hooks.example.com/square',
};

/** The provider of each corpus endpoint, as a construct user configures it. */
export function corpusProvider(scheme: string): WebhookProvider {
  switch (scheme) {
    case 'stripe': return WebhookProvider.stripe();
    case 'github': return WebhookProvider.github();
    case 'hmac': return WebhookProvider.hmac({ signatureHeader: 'X-Signature', prefix: 'v1=', timestampHeader: 'X-Timestamp', eventId: EventField.jsonPath('id') });
    case 'mailgun': return WebhookProvider.mailgun();
    case 'sendgrid': return WebhookProvider.sendgrid();
    case 'pagerduty': return WebhookProvider.pagerduty();
    case 'discord': return WebhookProvider.discord();
    case 'standard-webhooks': return WebhookProvider.standardWebhooks();
    case 'svix': return WebhookProvider.svix();
    case 'paddle': return WebhookProvider.paddle();
    case 'intercom': return WebhookProvider.intercom();
    case 'linear': return WebhookProvider.linear();
    case 'slack': return WebhookProvider.slack();
    case 'shopify': return WebhookProvider.shopify();
    case 'twilio': return WebhookProvider.twilio();
    case 'square': return WebhookProvider.square();
    case 'zoom': return WebhookProvider.zoom();
    default: throw new Error(`the corpus has no endpoint for scheme "${scheme}"`);
  }
}

export interface BadInputCase {
  readonly file: string;
  readonly description: string;
  readonly scheme: string;
  readonly request: {
    readonly headers?: Readonly<Record<string, string>>;
    readonly multiValueHeaders?: Readonly<Record<string, readonly string[]>>;
    readonly body?: string | null;
    readonly bodyHex?: string;
    readonly bodyParts?: ReadonlyArray<string | { readonly repeat: string; readonly times: number }>;
    readonly eventBody?: string | null;
    readonly isBase64Encoded?: boolean;
  };
  readonly sign?: { readonly scheme?: string; readonly timestamp?: string; readonly key?: 'configured' | 'other'; readonly token?: string; readonly messageId?: string };
  readonly via?: 'event';
  readonly expect: { readonly status: number; readonly error: string };
}

/** Every case of every corpus file, in file order; malformed entries fail the load with their location. */
export function loadCorpus(): BadInputCase[] {
  const cases: BadInputCase[] = [];
  const codes = new Set<string>(Object.values(ERROR_CODES));
  for (const file of fs.readdirSync(CORPUS_DIR).filter((name) => name.endsWith('.json')).sort()) {
    const entries = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8')) as Omit<BadInputCase, 'file'>[];
    entries.forEach((entry, index) => {
      const where = `${file}[${index}]`;
      if (typeof entry.description !== 'string' || entry.description.length < 10) throw new Error(`${where}: needs a description`);
      if (typeof entry.scheme !== 'string') throw new Error(`${where}: needs a scheme`);
      if (!entry.expect || entry.expect.status < 400 || entry.expect.status > 499 || !codes.has(entry.expect.error)) {
        throw new Error(`${where}: expect must be a 4xx status with an error code from ERROR_CODES`);
      }
      cases.push({ file, ...entry });
    });
  }
  return cases;
}

/** Fills `{{now}}`, `{{nowMs}}` and `{{repeat:<text>:<times>}}`. */
export function expand(text: string): string {
  return text
    .replace(/\{\{repeat:(.*?):(\d+)\}\}/g, (_m, unit: string, times: string) => unit.repeat(Number(times)))
    .replace(/\{\{nowMs\}\}/g, String(NOW_MS))
    .replace(/\{\{now\}\}/g, String(NOW_S));
}

export interface BuiltRequest {
  /** The bytes sent; null for an absent body. */
  readonly body: Buffer | null;
  /** The event's body field verbatim, when the case gives it. */
  readonly eventBody?: string | null;
  readonly isBase64Encoded: boolean;
  /** Header name/value pairs in order, names exactly as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export function buildRequest(c: BadInputCase): BuiltRequest {
  const sign = c.sign;
  const timestamp = expand(sign?.timestamp ?? '{{now}}');
  const key = corpusKey(c.scheme, sign?.key ?? 'configured');

  let body: Buffer | null;
  if (c.request.bodyHex !== undefined) body = Buffer.from(c.request.bodyHex, 'hex');
  else if (c.request.bodyParts !== undefined) body = Buffer.from(c.request.bodyParts.map((part) => (typeof part === 'string' ? expand(part) : part.repeat.repeat(part.times))).join(''), 'utf8');
  else if (c.request.body === null || (c.request.body === undefined && c.request.eventBody !== undefined)) body = null;
  else {
    let text = expand(c.request.body ?? '');
    if (sign && (sign.scheme ?? c.scheme) === 'mailgun') {
      const token = expand(sign.token ?? 'corpus-token');
      text = text.replace(/\{\{timestamp\}\}/g, timestamp).replace(/\{\{token\}\}/g, token).replace(/\{\{signature\}\}/g, mailgunSignature(key, timestamp, token));
    }
    body = Buffer.from(text, 'utf8');
  }

  let signedHeaders: Record<string, string> = {};
  if (sign) {
    const scheme = sign.scheme ?? c.scheme;
    const signer = RAW_SIGNERS[scheme];
    if (!signer) throw new Error(`${c.file}: no raw signer for scheme ${scheme}`);
    signedHeaders = signer({ body: body ?? Buffer.alloc(0), timestamp, key, url: PUBLIC_URLS[scheme] ?? '', messageId: sign.messageId ?? 'msg_corpus' });
  }
  const signed = Object.fromEntries(Object.entries(signedHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  const fill = (name: string, value: string) => {
    const expanded = expand(value);
    if (!expanded.includes('{{signed}}')) return expanded;
    const replacement = signed[name.toLowerCase()];
    if (replacement === undefined) throw new Error(`${c.file} "${c.description}": {{signed}} in ${name}, which the signer does not produce`);
    return expanded.replace(/\{\{signed\}\}/g, replacement);
  };
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(c.request.headers ?? {})) headers.push([name, fill(name, value)]);
  for (const [name, values] of Object.entries(c.request.multiValueHeaders ?? {})) for (const value of values) headers.push([name, fill(name, value)]);
  const present = new Set(headers.map(([name]) => name.toLowerCase()));
  for (const [name, value] of Object.entries(signedHeaders)) if (!present.has(name.toLowerCase())) headers.push([name, value]);
  return {
    body,
    ...(c.request.eventBody !== undefined ? { eventBody: c.request.eventBody === null ? null : expand(c.request.eventBody) } : {}),
    isBase64Encoded: c.request.isBase64Encoded ?? true,
    headers,
  };
}

/** The API Gateway proxy event of a built request, as the deployed stage would make it (or verbatim where the case says). */
export function toEvent(built: BuiltRequest, c: BadInputCase): APIGatewayProxyEvent {
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of built.headers) (grouped[name] ??= []).push(value);
  const event = apiGatewayEvent({ body: built.body ?? Buffer.alloc(0), headers: grouped, base64: built.isBase64Encoded, path: c.scheme === 'square' ? '/square' : '/webhook' });
  if (built.eventBody !== undefined) {
    event.body = built.eventBody;
    event.isBase64Encoded = built.isBase64Encoded;
  } else if (built.body === null) {
    event.body = null;
    event.isBase64Encoded = false;
  }
  return event;
}
