import { copyBytes, filled } from '../bytes';
import { needsJsonEscape, type DecodedForm, type FormField } from '../payload';

/**
 * The fields in the order Twilio signs them: by name, a repeated name's values de-duplicated and
 * sorted. The fields of one name are adjacent and make one parameter (see {@link parameterEnd}); a
 * flat list, not one object per parameter, because this runs on every request.
 */
export function signingOrder(fields: readonly FormField[]): FormField[] {
  const sorted = [...fields].sort(byNameThenValue);
  let kept = 0;
  for (const field of sorted) {
    const previous = kept > 0 ? sorted[kept - 1] : undefined;
    if (previous === undefined || field.name !== previous.name || field.value !== previous.value) sorted[kept++] = field;
  }
  sorted.length = kept;
  return sorted;
}

/** The order of `Array.prototype.sort` without a comparator (UTF-16 code units), on the name, then the value. */
function byNameThenValue(a: FormField, b: FormField): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Where the parameter starting at `signed[first]` ends: the index after its name's last field. */
export function parameterEnd(signed: readonly FormField[], first: number): number {
  let end = first + 1;
  while (end < signed.length && signed[end].name === signed[first].name) end++;
  return end;
}

/**
 * The string Twilio signs, as UTF-8: the URL, then `name + value` for every signed field. A field's
 * value bytes follow its name's in the form's bytes, so each pair is one range to copy.
 */
export function signedString(url: string, form: DecodedForm, signed: readonly FormField[]): Buffer {
  let length = Buffer.byteLength(url, 'utf8');
  for (const field of signed) length += field.end - field.start;
  const out = Buffer.allocUnsafe(length);
  let at = out.write(url, 0, 'utf8');
  for (const field of signed) at = copyBytes(form.bytes, field.start, field.end, out, at);
  return filled(out, at);
}

const OPEN = 0x5b;
const CLOSE = 0x5d;
const COMMA = 0x2c;
const DOUBLE_QUOTE = 0x22;
const NOTHING_ESCAPED: ReadonlyMap<string, Buffer> = new Map();

/**
 * The UTF-8 of `JSON.stringify([url, [[name, [value, …]], …]])` over the signed parameters, given
 * `urlJson`, the UTF-8 of `JSON.stringify(url)`: the text version 0.1's event ID digests, written from
 * the bytes already decoded (serialising the strings and encoding the result again costs more than
 * the rest of the verification for a large body).
 */
export function legacyIdText(urlJson: Buffer, form: DecodedForm, signed: readonly FormField[]): Buffer {
  // Most forms need no escaping at all (the decoder says so), sparing a scan of every string.
  const escaped = form.jsonEscapes ? escapedStrings(form, signed) : NOTHING_ESCAPED;
  const out = Buffer.allocUnsafe(legacyIdTextLength(urlJson, signed, escaped));
  // [url,[[name,[value,value]],[name,[value]]]]; loops rather than callbacks, as `at` moves on every byte.
  out[0] = OPEN;
  let at = copyBytes(urlJson, 0, urlJson.length, out, 1);
  out[at++] = COMMA;
  out[at++] = OPEN;
  for (let first = 0; first < signed.length;) {
    const end = parameterEnd(signed, first);
    if (first > 0) out[at++] = COMMA;
    out[at++] = OPEN;
    at = writeJsonString(signed[first].name, form.bytes, signed[first].start, signed[first].valueStart, escaped, out, at);
    out[at++] = COMMA;
    out[at++] = OPEN;
    for (let value = first; value < end; value++) {
      if (value > first) out[at++] = COMMA;
      at = writeJsonString(signed[value].value, form.bytes, signed[value].valueStart, signed[value].end, escaped, out, at);
    }
    out[at++] = CLOSE;
    out[at++] = CLOSE;
    first = end;
  }
  out[at++] = CLOSE;
  out[at++] = CLOSE;
  return filled(out, at);
}

function legacyIdTextLength(urlJson: Buffer, signed: readonly FormField[], escaped: ReadonlyMap<string, Buffer>): number {
  let length = urlJson.length + 5; // [url,[ ]]
  for (let first = 0; first < signed.length;) {
    const end = parameterEnd(signed, first);
    // [name,[ ]], the comma before every parameter but the first, and those between its values
    length += 5 + (first > 0 ? 1 : 0) + (end - first - 1) + jsonStringLength(signed[first].name, signed[first].start, signed[first].valueStart, escaped);
    for (let value = first; value < end; value++) length += jsonStringLength(signed[value].value, signed[value].valueStart, signed[value].end, escaped);
    first = end;
  }
  return length;
}

function jsonStringLength(text: string, start: number, end: number, escaped: ReadonlyMap<string, Buffer>): number {
  return escaped.size === 0 ? end - start + 2 : (escaped.get(text)?.length ?? end - start + 2);
}

/** Writes `text`, whose UTF-8 is `bytes[start, end)`, as a JSON string; returns the offset after it. */
function writeJsonString(text: string, bytes: Buffer, start: number, end: number, escaped: ReadonlyMap<string, Buffer>, out: Buffer, at: number): number {
  const json = escaped.size === 0 ? undefined : escaped.get(text);
  if (json !== undefined) return copyBytes(json, 0, json.length, out, at);
  out[at] = DOUBLE_QUOTE;
  const next = copyBytes(bytes, start, end, out, at + 1);
  out[next] = DOUBLE_QUOTE;
  return next + 1;
}

/**
 * JSON.stringify escapes only `"`, `\` and controls below U+0020 in well-formed text (decoded UTF-8
 * always is): any other string's JSON is its UTF-8 bytes in quotes. The others, by their text, as JSON.
 */
function escapedStrings(form: DecodedForm, signed: readonly FormField[]): Map<string, Buffer> {
  const escaped = new Map<string, Buffer>();
  const check = (text: string, start: number, end: number) => {
    if (!escaped.has(text) && needsJsonEscape(form.bytes, start, end)) escaped.set(text, Buffer.from(JSON.stringify(text), 'utf8'));
  };
  for (const field of signed) {
    check(field.name, field.start, field.valueStart);
    check(field.value, field.valueStart, field.end);
  }
  return escaped;
}
