import { ERROR_CODES } from '../shared/contract';
import { reject, type Rejection } from './crypto';

/** Parses a verified body as JSON; a body that is not UTF-8 JSON is a 400, never a 500. */
export function parseJsonBody(body: Buffer): { readonly value: unknown } | Rejection {
  const text = decodeUtf8(body);
  if (text === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not valid UTF-8');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not valid JSON');
  }
}

/** Strict UTF-8 decoding: `undefined` for invalid byte sequences instead of replacement characters. */
export function decodeUtf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Reads a dot-separated path from parsed JSON, following own properties only, so keys such as
 * `__proto__` or `constructor` in an attacker's body resolve to data, never to prototypes.
 */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A path's value as a non-empty string (numbers are accepted and stringified), or `undefined`. */
export function readString(value: unknown, path: string): string | undefined {
  const found = readPath(value, path);
  if (typeof found === 'string' && found.length > 0) return found;
  if (typeof found === 'number' && Number.isFinite(found)) return String(found);
  return undefined;
}

/** Parses an `application/x-www-form-urlencoded` body into ordered key/values. */
export function parseForm(body: Buffer): Map<string, string[]> | undefined {
  const text = decodeUtf8(body);
  if (text === undefined) return undefined;
  const form = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    const values = form.get(key);
    if (values) values.push(value);
    else form.set(key, [value]);
  }
  return form;
}

/** The event ID must exist; a signed body without one cannot be made idempotent. */
export function missingEventId(where: string): Rejection {
  return reject(400, ERROR_CODES.MISSING_EVENT_ID, `no event ID found in ${where}`);
}
