/** Everything but printable ASCII, U+00A0–U+2027 and U+202A onwards (UTF-16 code units: astral characters pass). */
const NOT_PRINTABLE = /[^\x20-\x7e\u00a0-\u2027\u202a-\uffff]/g;

/**
 * A value from an archived event, fit for a terminal line: control characters (C0, DEL, C1) and
 * line and paragraph separators are shown as `\uXXXX` escapes. Event IDs, types and groups come
 * from the provider's requests, and not every scheme signs them: printed as they are, an escape
 * sequence in one could rewrite what the operator sees, or a newline forge another line.
 */
export function printable(value: string): string {
  return value.replace(NOT_PRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
