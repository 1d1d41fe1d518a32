import { isAscii, isUtf8 } from 'node:buffer';
import { ERROR_CODES } from '../shared/contract';
import { isRejection, reject, type Rejection, type VerifiedEvent } from './schemes/types';

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
 * arrays costs a fraction of scanning every character of the text first. The recursion stops one
 * level past `limit`, so however deep the body nests, the stack holds at most `limit + 1` frames.
 * Walking in place (an index loop, `for…in` over own keys) allocates nothing; collecting each
 * object's values into an array made the walk 2× slower on a large body (BENCHMARKS.md, B1).
 */
function nestsDeeperThan(value: unknown, limit: number, level = 1): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (level > limit) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestsDeeperThan(value[i], limit, level + 1)) return true;
    return false;
  }
  for (const key in value) {
    // Own keys only: JSON.parse makes only own properties, and an enumerable property some other code
    // put on Object.prototype must not be walked (a self-referencing one would read as infinitely deep).
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (nestsDeeperThan((value as Record<string, unknown>)[key], limit, level + 1)) return true;
  }
  return false;
}

/** Strict UTF-8 decoding: `undefined` for invalid byte sequences instead of replacement characters. */
export function decodeUtf8(body: Buffer): string | undefined {
  // Validating natively first spares building a decoder and throwing on every request; for valid
  // UTF-8 `toString` is exact (it keeps a leading BOM, as `ignoreBOM` did).
  return isUtf8(body) ? body.toString('utf8') : undefined;
}

/**
 * Reads a dot-separated path from parsed JSON, following own properties only, so keys such as
 * `__proto__` or `constructor` in an attacker's body resolve to data, never to prototypes.
 */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of segmentsOf(path)) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** At most this many paths are kept split; past it the memo starts over. */
const MAX_MEMOISED_PATHS = 256;
const pathSegments = new Map<string, readonly string[]>();

/**
 * A path's segments, memoised: schemes read the same few paths (from their code and configuration) on
 * every request, and a key sliced afresh is a new string that every property lookup must first find
 * in V8's string table; a kept segment is found once.
 */
function segmentsOf(path: string): readonly string[] {
  let segments = pathSegments.get(path);
  if (segments === undefined) {
    if (pathSegments.size >= MAX_MEMOISED_PATHS) pathSegments.clear();
    segments = path.split('.');
    pathSegments.set(path, segments);
  }
  return segments;
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
  const decoded = decodeForm(body);
  if (decoded === undefined) return undefined;
  const form = new Map<string, string[]>();
  for (const { name, value } of decoded.fields) {
    const values = form.get(name);
    if (values) values.push(value);
    else form.set(name, [value]);
  }
  return form;
}

/** A form body as decoded: its fields in order, and their names' and values' UTF-8 bytes. */
export interface DecodedForm {
  readonly fields: readonly FormField[];
  /** Every field's name then value, as UTF-8, back to back in field order. */
  readonly bytes: Buffer;
  /** Whether any of `bytes` is one JSON.stringify escapes (see {@link needsJsonEscape}), noted while decoding to spare a scan. */
  readonly jsonEscapes: boolean;
}

/** One field, and where its UTF-8 bytes are in its form's `bytes`: the name's from `start`, the value's from `valueStart` to `end`. */
export interface FormField {
  readonly name: string;
  readonly value: string;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/**
 * Decodes an `application/x-www-form-urlencoded` body exactly as `URLSearchParams` reads the body's
 * text, keeping the decoded bytes for schemes that sign or digest them (encoding the text again
 * would cost as much as decoding it); `undefined` for a body that is not UTF-8.
 */
export function decodeForm(body: Buffer): DecodedForm | undefined {
  if (!isUtf8(body)) return undefined;
  return decodeWellFormedForm(body) ?? decodeFormAsUrlSearchParams(body);
}

/**
 * The reference reading, for the bodies the fast decoder declines: URLSearchParams keeps a `%` that
 * starts no escape, and turns escaped bytes that are not UTF-8 into replacement characters, in ways
 * (a field mixing both loses the high bits of its other characters) only it reproduces.
 */
export function decodeFormAsUrlSearchParams(body: Buffer): DecodedForm {
  const fields: FormField[] = [];
  const chunks: Buffer[] = [];
  let written = 0;
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    chunks.push(nameBytes, valueBytes);
    fields.push({ name, value, start: written, valueStart: written + nameBytes.length, end: written + nameBytes.length + valueBytes.length });
    written += nameBytes.length + valueBytes.length;
  }
  const bytes = Buffer.concat(chunks, written);
  return { fields, bytes, jsonEscapes: needsJsonEscape(bytes, 0, bytes.length) };
}

const DOUBLE_QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** 1 for each byte JSON.stringify escapes in well-formed text: controls below U+0020, `"` and `\` (inside a UTF-8 character every byte is ≥ 0x80). */
const JSON_ESCAPED = Uint8Array.from({ length: 256 }, (_, byte) => (byte < 0x20 || byte === DOUBLE_QUOTE || byte === BACKSLASH ? 1 : 0));

/** Whether any byte in `[start, end)` is one JSON.stringify escapes. */
export function needsJsonEscape(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (JSON_ESCAPED[bytes[i]] === 1) return true;
  return false;
}

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;
const QUESTION_MARK = 0x3f;

/** Bodies up to this size are read as text too (see `decodeWellFormedForm`). */
export const TEXT_SLICE_LIMIT = 4096;

/** Each byte's value as a hex digit, or -1. */
const HEX_DIGIT_VALUE = Int8Array.from({ length: 256 }, (_, byte) => {
  const char = String.fromCharCode(byte);
  return /^[0-9a-fA-F]$/.test(char) ? parseInt(char, 16) : -1;
});

/**
 * Decodes a UTF-8 form body in one pass, as URLSearchParams does (one leading `?` dropped, empty pairs
 * skipped, the first `=` splits, `+` is a space, `%XX` a byte), into one buffer (decoding never
 * lengthens, so the body's size suffices). Declines (`undefined`) a `%` that starts no escape, and
 * escaped bytes that are not UTF-8: URLSearchParams reads those lossily.
 */
export function decodeWellFormedForm(body: Buffer): DecodedForm | undefined {
  const fields: FormField[] = [];
  // In an ASCII body characters are bytes: a field with nothing to decode is a slice of the text,
  // far cheaper than a string made from bytes; but making the text costs more than it saves once
  // the body is long (a long body is mostly one long value).
  const text = body.length <= TEXT_SLICE_LIMIT && isAscii(body) ? body.toString('latin1') : undefined;
  const cursor: FormCursor = { body, text, bytes: Buffer.allocUnsafe(body.length), written: 0, at: body[0] === QUESTION_MARK ? 1 : 0, jsonEscapes: false };
  for (; cursor.at < body.length; cursor.at++) {
    if (body[cursor.at] === AMPERSAND) continue; // an empty pair
    const start = cursor.written;
    const name = decodeNext(cursor, true);
    if (name === undefined) return undefined;
    const valueStart = cursor.written;
    let value: string | undefined = '';
    if (body[cursor.at] === EQUALS) {
      cursor.at++;
      value = decodeNext(cursor, false);
      if (value === undefined) return undefined;
    }
    fields.push({ name, value, start, valueStart, end: cursor.written });
  }
  return { fields, bytes: cursor.bytes.subarray(0, cursor.written), jsonEscapes: cursor.jsonEscapes };
}

/**
 * A plain object, not a class instance: V8 drops the hidden classes of short-lived instances at a
 * full garbage collection and throws away the optimised code that relied on them.
 */
interface FormCursor {
  readonly body: Buffer;
  readonly text: string | undefined;
  readonly bytes: Buffer;
  /** How many bytes of `bytes` are decoded. */
  written: number;
  /** The next byte of `body` to read. */
  at: number;
  /** Whether a byte JSON.stringify escapes was decoded. */
  jsonEscapes: boolean;
}

/**
 * Decodes from the cursor up to the next `&` (or `=` too, for a name), leaving the cursor on it; the
 * text, or `undefined` where URLSearchParams would be lossy.
 */
function decodeNext(cursor: FormCursor, isName: boolean): string | undefined {
  const { body, bytes } = cursor;
  const length = body.length;
  const start = cursor.at;
  const from = cursor.written;
  let written = from;
  let escaped = false;
  let plus = false;
  let jsonEscapes = 0;
  let i = start;
  for (; i < length; i++) {
    const byte = body[i];
    if (byte === AMPERSAND || (byte === EQUALS && isName)) break;
    if (byte === PERCENT) {
      // Separators are not hex digits: an escape never reaches past its field.
      const high = i + 2 < length ? HEX_DIGIT_VALUE[body[i + 1]] : -1;
      const low = i + 2 < length ? HEX_DIGIT_VALUE[body[i + 2]] : -1;
      if (high < 0 || low < 0) return undefined;
      const decoded = (high << 4) | low;
      bytes[written++] = decoded;
      jsonEscapes |= JSON_ESCAPED[decoded];
      escaped = true;
      i += 2;
    } else if (byte === PLUS) {
      bytes[written++] = SPACE;
      plus = true;
    } else {
      bytes[written++] = byte;
      jsonEscapes |= JSON_ESCAPED[byte];
    }
  }
  cursor.at = i;
  cursor.written = written;
  if (jsonEscapes !== 0) cursor.jsonEscapes = true;
  // Unescaped bytes are a slice of the UTF-8 body between ASCII separators: UTF-8 already.
  if (escaped && !isUtf8(bytes.subarray(from, written))) return undefined;
  return cursor.text !== undefined && !escaped && !plus ? cursor.text.slice(start, i) : bytes.toString('utf8', from, written);
}

/**
 * Sets an own, enumerable data property, as `Object.fromEntries` would: for the one name `__proto__`,
 * plain assignment would instead run the prototype setter of `Object.prototype`.
 */
export function setOwnProperty(record: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
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
