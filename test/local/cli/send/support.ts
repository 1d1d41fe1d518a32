/**
 * Runs what `buildSignedRequest` produced through our own verifier scheme, the way the scheme
 * tests do: an API Gateway event (base64 body, as deployed) turned into an InboundRequest.
 */
import { schemeById } from '../../../../lambda/verifier/schemes';
import type { Verdict } from '../../../../lambda/verifier/schemes/types';
import type { SendOptions, SignedTestRequest } from '../../../../local/cli/send';
import { context, inbound } from '../../../support/requests';

export const NOW_MS = 1_700_000_000_000;
export const URL = 'https://hooks.example.com/prod/webhook';

export interface VerifyWith {
  /** The endpoint's secrets (for Discord and SendGrid, public keys). */
  readonly secrets: readonly string[];
  readonly nowMs?: number;
  /** The options the endpoint's scheme runs with; default derived from the send options. */
  readonly schemeOptions?: Record<string, unknown>;
  /** The URL the endpoint believes it is at (its `publicUrl`); default the request URL without its query. */
  readonly publicUrl?: string;
}

export function verifyRequest(provider: string, request: SignedTestRequest, how: VerifyWith): Verdict {
  const scheme = schemeById(provider);
  if (scheme === undefined) throw new Error(`no scheme ${provider}`);
  const url = new globalThis.URL(request.url);
  const query: Record<string, string[]> = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name);
  const publicUrl = how.publicUrl ?? `${url.origin}${url.pathname}`;
  return scheme.verify(inbound({ body: request.body, headers: request.headers, query }, publicUrl), context(how.secrets, how.nowMs ?? NOW_MS), how.schemeOptions ?? {});
}

/** The scheme options an endpoint configured like the send options has (lib/provider.ts maps the props the same way). */
export function schemeOptionsFor(provider: string, options: SendOptions = {}): Record<string, unknown> {
  switch (provider) {
    case 'hmac':
      return {
        header: options.signatureHeader, algorithm: options.algorithm ?? 'sha256', encoding: options.encoding ?? 'hex', prefix: options.prefix,
        timestampHeader: options.timestampHeader, timestampUnit: options.timestampInMilliseconds ? 'milliseconds' : 'seconds',
        signedContent: options.signedContent, eventId: options.eventIdField ?? { jsonPath: 'id' }, eventType: options.eventTypeField,
      };
    case 'github': return { allowLegacySha1: options.legacySha1 ?? false };
    case 'shopify': return options.headerStyle ? { headerStyle: options.headerStyle } : {};
    case 'standard-webhooks':
    case 'svix': return options.headerPrefix ? { headerPrefix: options.headerPrefix } : {};
    case 'twilio':
    case 'linear': return options.eventIdSource ? { eventIdSource: options.eventIdSource } : {};
    default: return {};
  }
}

/** The verdict's event, or a failure that shows why it was refused. */
export function acceptedEvent(verdict: Verdict) {
  if (!verdict.ok) throw new Error(`refused: ${verdict.status} ${verdict.code} ${verdict.detail}`);
  return verdict.event;
}

/** Node headers are case-insensitive; the SDKs that take a plain object want lower-case names. */
export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Stubs `Date.now` for SDKs that read the clock with no way to inject it. */
export function atClock<T>(nowMs: number, run: () => T): T {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(nowMs);
  try {
    return run();
  } finally {
    spy.mockRestore();
  }
}
