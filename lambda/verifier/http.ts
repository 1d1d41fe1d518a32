import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ErrorCode } from '../shared/contract';
import { decodeBase64 } from './crypto';
import { ConflictingHeaderError, MalformedRequestError } from './errors';
import type { InboundRequest } from './schemes/types';

/**
 * Turns an API Gateway REST proxy event into the request the sender made: exact body bytes
 * (every body arrives base64-encoded because the API declares `*\/*` binary), case-insensitive
 * headers, and the public URL.
 */
export function toInboundRequest(event: APIGatewayProxyEvent, publicUrl?: string): InboundRequest {
  const body = decodeBody(event);
  const headers = collectHeaders(event);
  return {
    body,
    method: event.httpMethod,
    headerNames: [...headers.keys()],
    url: publicUrl ? withQuery(publicUrl, event) : reconstructUrl(event, headers),
    header(name: string): string | undefined {
      const values = headers.get(lowerCaseName(name));
      if (values === undefined) return undefined;
      if (values.length > 1 && values.some((value) => value !== values[0])) throw new ConflictingHeaderError(name);
      return values[0];
    },
  };
}

/** At most this many header names are kept lower-cased; past it the memo starts over. */
const MAX_MEMOISED_NAMES = 256;
const lowerCaseNames = new Map<string, string>();

/**
 * A header name in lower case, memoised: schemes look up the same few names (from their code and
 * configuration) on every request, and lower-casing a mixed-case name allocates a new string each time.
 */
export function lowerCaseName(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    if (lowerCaseNames.size >= MAX_MEMOISED_NAMES) lowerCaseNames.clear();
    lower = name.toLowerCase();
    lowerCaseNames.set(name, lower);
  }
  return lower;
}

function decodeBody(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  if (!event.isBase64Encoded) return Buffer.from(event.body, 'utf8');
  const decoded = event.body.length === 0 ? Buffer.alloc(0) : decodeBase64Body(event.body);
  if (decoded === undefined) throw new MalformedRequestError('body is flagged base64 but is not valid base64');
  return decoded;
}

/**
 * Bodies whose base64 text is at least this long are checked by encoding them again rather than by
 * `decodeBase64`'s regular expression: V8 runs out of stack matching it against a few MiB (a body of
 * 4,560 KiB, the most API Gateway can hand Lambda, is 6 MiB of base64).
 */
const ROUND_TRIP_CHECK_CHARS = 1024 * 1024;

/**
 * A base64 body, decoded strictly: only the canonical padded encoding of some bytes is accepted, as
 * `decodeBase64` accepts it. For a long one, the bytes Node decodes (it would skip characters that are
 * not base64, and read the URL-safe alphabet too) must encode back to exactly the text received.
 */
function decodeBase64Body(text: string): Buffer | undefined {
  if (text.length < ROUND_TRIP_CHECK_CHARS) return decodeBase64(text);
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function collectHeaders(event: APIGatewayProxyEvent): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const add = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    const values = headers.get(key);
    if (values) values.push(value);
    else headers.set(key, [value]);
  };
  if (event.multiValueHeaders && Object.keys(event.multiValueHeaders).length > 0) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) for (const value of values ?? []) add(name, value);
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) add(name, value);
  }
  return headers;
}

/**
 * The URL the sender called. Behind a custom domain API Gateway reports the domain and the path
 * with its base path; on the execute-api domain the path carries the stage.
 */
function reconstructUrl(event: APIGatewayProxyEvent, headers: Map<string, string[]>): string {
  const host = event.requestContext?.domainName ?? headers.get('host')?.[0] ?? 'localhost';
  const path = event.requestContext?.path ?? event.path ?? '/';
  return withQuery(`https://${host}${path}`, event);
}

function withQuery(base: string, event: APIGatewayProxyEvent): string {
  const query = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters ?? {};
  const single = event.queryStringParameters ?? {};
  const names = Object.keys(multi).length > 0 ? Object.keys(multi) : Object.keys(single);
  for (const name of names) {
    for (const value of multi[name] ?? [single[name] ?? '']) query.append(name, value);
  }
  const text = query.toString();
  return text ? `${base}?${text}` : base;
}

export function jsonResponse(statusCode: number, body: Record<string, unknown>, extraHeaders: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extraHeaders },
    body: JSON.stringify(body),
  };
}

export function errorResponse(statusCode: number, code: ErrorCode, message: string, extraHeaders?: Record<string, string>): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error: code, message }, extraHeaders);
}
