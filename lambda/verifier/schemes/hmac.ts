import { ERROR_CODES } from '../../shared/contract';
import { decodeBase64Loose, decodeHex, macMatches, SignedContent, type HmacAlgorithm } from '../crypto';
import { checkWindow, parseEpoch } from '../timestamps';
import { isRejection, reject, type InboundRequest, type SignatureScheme, type Verdict } from './types';
import { parseJsonBody, readString } from '../payload';

/** Where a value comes from: a request header or a field of the JSON body. */
export type FieldSource = { readonly header: string } | { readonly jsonPath: string };

export interface HmacOptions {
  readonly header: string;
  readonly algorithm: HmacAlgorithm;
  readonly encoding: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=`. */
  readonly prefix?: string;
  /** Separator when the header may carry several signatures (e.g. `,` or ` `). */
  readonly separator?: string;
  readonly timestampHeader?: string;
  readonly timestampUnit?: 'seconds' | 'milliseconds';
  /** Layout of the signed content; `{timestamp}` and `{body}` are replaced. */
  readonly signedContent?: string;
  readonly eventId: FieldSource;
  readonly eventType?: FieldSource;
  readonly groupKey?: FieldSource;
}

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/**
 * A generic HMAC scheme for providers not built in: header name, digest and encoding, an optional
 * prefix, an optional signed timestamp and the layout of the signed content.
 *
 * An event ID or type read from a header is not signed: such events are claimed under the digest of
 * the signed content, bound to the ID and type they first arrived with, so a changed header neither
 * makes a second event nor re-routes one.
 */
export const hmacScheme: SignatureScheme<HmacOptions> = {
  id: 'hmac',
  requiredHeaders: (options) => [options.header, ...(options.timestampHeader ? [options.timestampHeader] : [])],
  checkOptions: layoutProblem,
  verify(request, context, options): Verdict {
    // The construct refuses these layouts at synth; a configuration that bypassed it fails closed.
    const problem = layoutProblem(options);
    if (problem !== undefined) return reject(401, ERROR_CODES.BAD_SIGNATURE, `the endpoint's signed-content layout is unsafe: ${problem}`);
    const header = request.header(options.header);
    if (header === undefined) return reject(401, ERROR_CODES.MISSING_SIGNATURE, `missing ${options.header} header`);
    const candidates = readCandidates(header, options);
    if (candidates.length === 0) return reject(401, ERROR_CODES.MALFORMED_SIGNATURE, `${options.header} carries no well-formed signature`);

    let timestamp = '';
    if (options.timestampHeader) {
      const raw = request.header(options.timestampHeader);
      const unitMs = options.timestampUnit === 'milliseconds' ? 1 : 1000;
      const value = parseEpoch(raw, unitMs === 1 ? 15 : 12);
      if (raw === undefined || value === undefined) return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, `${options.timestampHeader} is missing or not a whole number`);
      const outOfWindow = checkWindow(value * unitMs, context.nowMs, context.toleranceSeconds);
      if (outOfWindow) return outOfWindow;
      timestamp = raw;
    }

    const [before, after] = splitLayout(layoutOf(options), timestamp);
    if (!macMatches(options.algorithm, context.secrets, candidates, before, request.body, after)) return reject(401, ERROR_CODES.BAD_SIGNATURE, 'signature does not match');

    const parsed = needsBody(options) ? parseJsonBody(request.body) : { value: undefined };
    if (isRejection(parsed)) return parsed;
    const id = readField(request, parsed.value, options.eventId);
    if (id === undefined) return reject(400, ERROR_CODES.MISSING_EVENT_ID, 'no event ID found where the provider options say it is');
    return {
      ok: true,
      event: {
        id,
        type: options.eventType && readField(request, parsed.value, options.eventType),
        payload: parsed.value,
        groupKey: options.groupKey && readField(request, parsed.value, options.groupKey),
        ...(fromHeader(options.eventId) || fromHeader(options.eventType) ? { signedContent: SignedContent.of(before, request.body, after) } : {}),
      },
    };
  },
};

function layoutOf(options: HmacOptions): string {
  return options.signedContent ?? (options.timestampHeader ? '{timestamp}.{body}' : '{body}');
}

function occurrences(text: string, token: string): number {
  return text.split(token).length - 1;
}

/**
 * Why a layout would let something the verifier trusts go unsigned, or undefined when it is sound:
 * the body must be signed exactly once, and a timestamp held to the window must be the signed one.
 */
export function layoutProblem(options: HmacOptions): string | undefined {
  const layout = layoutOf(options);
  const bodies = occurrences(layout, '{body}');
  if (bodies !== 1) return `signedContent must contain {body} exactly once (found ${bodies}), got ${JSON.stringify(layout)}`;
  const timestamps = occurrences(layout, '{timestamp}');
  if (options.timestampHeader && timestamps === 0) {
    return `signedContent must contain {timestamp} when timestampHeader is set: the window would be enforced on a header anyone can rewrite, got ${JSON.stringify(layout)}`;
  }
  if (!options.timestampHeader && timestamps > 0) return `signedContent contains {timestamp} but no timestampHeader is set, got ${JSON.stringify(layout)}`;
  return undefined;
}

function fromHeader(source: FieldSource | undefined): boolean {
  return source !== undefined && 'header' in source;
}

function readCandidates(header: string, options: HmacOptions): Buffer[] {
  const parts = options.separator ? header.split(options.separator) : [header];
  const prefix = options.prefix ?? '';
  const digests: Buffer[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part.startsWith(prefix)) continue;
    const encoded = part.slice(prefix.length);
    const digest = options.encoding === 'hex' ? decodeHex(encoded) : decodeBase64Loose(encoded);
    if (digest?.length === DIGEST_BYTES[options.algorithm]) digests.push(digest);
  }
  return digests;
}

/** Splits the layout around `{body}` so the body is fed to the MAC as bytes, never re-encoded. */
function splitLayout(layout: string, timestamp: string): [string, string] {
  const at = layout.indexOf('{body}');
  const fill = (text: string) => text.split('{timestamp}').join(timestamp);
  return at < 0 ? [fill(layout), ''] : [fill(layout.slice(0, at)), fill(layout.slice(at + '{body}'.length))];
}

function needsBody(options: HmacOptions): boolean {
  return [options.eventId, options.eventType, options.groupKey].some((source) => source !== undefined && 'jsonPath' in source);
}

function readField(request: InboundRequest, payload: unknown, source: FieldSource): string | undefined {
  return 'header' in source ? request.header(source.header) || undefined : readString(payload, source.jsonPath);
}
