import { ERROR_CODES } from '../shared/contract';
import { isRejection, reject, type Rejection } from './crypto';
import type { VerifiedEvent } from './schemes/types';

/**
 * How deeply JSON may nest. Provider payloads stay under 20 levels; JSON.parse copes with any depth,
 * but the recursive code that processors run on the value (JSON.stringify, loggers, deep copies)
 * overflows the stack at a few thousand, so a deeper body would fail in every processor until it
 * reached the dead-letter queue.
 */
export const MAX_JSON_DEPTH = 512;

/** Parses a verified body as JSON; a body that is not UTF-8 JSON is a 400, never a 500. */
export function parseJsonBody(body: Buffer): { readonly value: unknown } | Rejection {
  const text = decodeUtf8(body);
  if (text === undefined) return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return reject(400, ERROR_CODES.MALFORMED_BODY, 'body is not valid JSON');
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return reject(400, ERROR_CODES.MALFORMED_BODY, `body is JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  return { value };
}

/**
 * Whether objects and arrays nest deeper than `limit` (the outermost one is level 1). Checked on the
 * parsed value, after JSON.parse (which parses any depth without recursion): visiting only objects and
 * arrays costs a fraction of scanning every character of the text first. Iterative, no recursion.
 */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const levels: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown>;
    const level = levels.pop() as number;
    if (level > limit) return true;
    for (const child of Array.isArray(node) ? (node as unknown[]) : Object.values(node)) {
      if (typeof child === 'object' && child !== null) {
        nodes.push(child);
        levels.push(level + 1);
      }
    }
  }
  return false;
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
  // Walks the segments in place rather than splitting: schemes read several paths per request.
  for (let start = 0; ;) {
    const dot = path.indexOf('.', start);
    const key = dot < 0 ? path.slice(start) : path.slice(start, dot);
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
    if (dot < 0) return current;
    start = dot + 1;
  }
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

/** Where a JSON scheme finds its event's fields in the verified body (dot-separated paths). */
export interface JsonEventFields {
  readonly id: string;
  readonly type?: string;
  /** Candidates for the message group, first present wins. */
  readonly groupKey?: readonly string[];
}

/** The verified JSON body as an event: its ID is required (400 without it), type and group are optional. */
export function jsonEvent(body: Buffer, fields: JsonEventFields): { readonly ok: true; readonly event: VerifiedEvent } | Rejection {
  const parsed = parseJsonBody(body);
  if (isRejection(parsed)) return parsed;
  const id = readString(parsed.value, fields.id);
  if (id === undefined) return missingEventId(`the body field "${fields.id}"`);
  const groupKey = fields.groupKey?.map((path) => readString(parsed.value, path)).find((value) => value !== undefined);
  return { ok: true, event: { id, type: fields.type ? readString(parsed.value, fields.type) : undefined, payload: parsed.value, groupKey } };
}
