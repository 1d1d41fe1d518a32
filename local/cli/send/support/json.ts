/** JSON helpers for building bodies and for reading what a user-given body says. */

export function jsonBytes(value: unknown, indent?: number): Buffer {
  return Buffer.from(JSON.stringify(value, null, indent), 'utf8');
}

/** The parsed body, or undefined when it is not UTF-8 JSON (a user-given body may be anything). */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A dot-separated path's value as the verifier reads it: a non-empty string, or a finite number as
 * text; own properties only. Undefined otherwise.
 */
export function readField(value: unknown, path: string): string | undefined {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string' && current.length > 0) return current;
  return typeof current === 'number' && Number.isFinite(current) ? String(current) : undefined;
}

/** Sets a dot-separated path, creating the objects on the way (a generic HMAC endpoint may read its ID at `meta.id`). */
export function writeField(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    current = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (current[key] = {});
  }
  current[keys[keys.length - 1]] = value;
}
