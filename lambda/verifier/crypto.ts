import { createHash, createHmac, createSecretKey, hash, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** HMAC of the parts, concatenated, without copying them into one buffer. A string key is its UTF-8 bytes. */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer | KeyObject, ...parts: readonly (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, typeof key === 'string' ? hmacKey(key) : key);
  for (const part of parts) mac.update(part);
  // digest() hands back a Buffer allocated outside Node's pool, which costs about a fifth of a
  // whole 1 KiB HMAC; the same bytes as a "binary" (latin1) string, re-wrapped from the pool, cost far less.
  return Buffer.from(mac.digest('binary'), 'binary');
}

/**
 * Constant-time comparison that is also safe for inputs of different lengths: `timingSafeEqual`
 * throws on a length mismatch, and a length mismatch only reveals the (public) digest size.
 */
export function constantTimeEqual(expected: Buffer, candidate: Buffer): boolean {
  if (expected.length !== candidate.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, candidate);
}

/**
 * Whether the MAC of the parts under any of the keys equals any candidate: each key's MAC is computed
 * once and compared with every candidate in constant time, with no early exit (the time taken must not
 * tell which secret or which candidate matched). One loop and no array of MACs: this is every HMAC
 * scheme's check, on every request.
 */
export function macMatches(
  algorithm: HmacAlgorithm, keys: readonly (string | Buffer | KeyObject)[], candidates: readonly Buffer[], ...parts: readonly (string | Buffer)[]
): boolean {
  let matched = false;
  for (const key of keys) {
    const expected = hmac(algorithm, key, ...parts);
    for (const candidate of candidates) if (constantTimeEqual(expected, candidate)) matched = true;
  }
  return matched;
}

/** Whether any candidate equals any expected digest; every pair is compared in constant time. */
export function anyMatches(expected: readonly Buffer[], candidates: readonly Buffer[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const c of candidates) {
      // No early exit: the time taken must not tell which secret or which candidate matched.
      if (constantTimeEqual(e, c)) matched = true;
    }
  }
  return matched;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict hex decoding: `undefined` for odd length or any non-hex character. */
export function decodeHex(value: string): Buffer | undefined {
  // Node stops decoding at the first pair that is not hex, so a full-length result proves every
  // character was hex: the same check as the regular expression, without running it.
  if (value.length === 0 || value.length % 2 !== 0) return undefined;
  const decoded = Buffer.from(value, 'hex');
  return decoded.length * 2 === value.length ? decoded : undefined;
}

/** Strict, padded base64 decoding: `undefined` for anything Node would silently skip over. */
export function decodeBase64(value: string): Buffer | undefined {
  return value.length > 0 && BASE64.test(value) && canonicalPadding(value) ? Buffer.from(value, 'base64') : undefined;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Before padding, the last character carries bits past the last byte (4 before `==`, 2 before `=`)
 * that Node ignores: `…IQ=` and `…IR=` decode alike. Only the form with those bits zero (the one
 * every encoder writes) is accepted, so a signature has exactly one accepted spelling.
 */
function canonicalPadding(value: string): boolean {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  if (padding === 0) return true;
  return (BASE64_ALPHABET.indexOf(value[value.length - padding - 1]) & (padding === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Strict base64 or base64url, as some providers send it: padding either left out or exactly what the
 * length needs (never surplus `=`), so a signature still has one accepted spelling per alphabet and
 * padding style.
 */
export function decodeBase64Loose(value: string): Buffer | undefined {
  const parts = /^([A-Za-z0-9+/_-]+)(={0,2})$/.exec(value);
  if (!parts) return undefined;
  const [, digits, padding] = parts;
  const needed = (4 - (digits.length % 4)) % 4;
  if (padding.length !== 0 && padding.length !== needed) return undefined;
  return decodeBase64(digits.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat(needed));
}

/**
 * Memoises key parsing per configured string (at most 16 kept, for rotation): building a KeyObject
 * on every request would dominate the hot path (for a public key), or cost a tenth of a small
 * body's HMAC (for a secret). `parse` returns undefined for a key that is unusable, and that answer is
 * cached too.
 */
export function cachedKeyParser<K extends KeyObject | undefined>(parse: (text: string) => K): (text: string) => K {
  const cache = new Map<string, K>();
  return (text) => {
    const cached = cache.get(text);
    if (cached !== undefined || cache.has(text)) return cached as K;
    if (cache.size >= 16) cache.clear();
    const key = parse(text);
    cache.set(text, key);
    return key;
  };
}

/**
 * A signing secret (its UTF-8 bytes, as `createHmac` reads a string key) as a KeyObject, kept for the
 * next request: `createHmac` then skips converting and copying the key.
 */
export const hmacKey = cachedKeyParser((secret) => createSecretKey(Buffer.from(secret, 'utf8')));

/** Whether any key verifies the signature; a malformed signature is a mismatch, never a thrown error. */
export function anyKeyVerifies(algorithm: 'sha256' | null, data: Buffer, keys: readonly KeyObject[], signature: Buffer): boolean {
  return keys.some((key) => {
    try {
      return verify(algorithm, data, key, signature);
    } catch {
      return false;
    }
  });
}

/**
 * The digest that names one signed content: SHA-256 (hex) of the parts concatenated, exactly as the
 * MAC or signature takes them. Concatenated, never delimited: the signature covers the concatenation,
 * so every way of splitting it into parts (a timestamp and a token, form names and values) must give
 * the same key.
 */
export function signedContentKey(...parts: readonly (string | Buffer)[]): string {
  if (parts.length === 1) return hash('sha256', parts[0], 'hex');
  const bytes = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
  const length = bytes.reduce((sum, part) => sum + part.length, 0);
  // Below this, copying the parts together costs less than a Hash object (built, and later finalised
  // by the garbage collector); above it, the copy would cost more than the hashing saves.
  if (length <= ONE_SHOT_COPY_LIMIT) return hash('sha256', Buffer.concat(bytes, length), 'hex');
  const digest = createHash('sha256');
  for (const part of bytes) digest.update(part);
  return digest.digest('hex');
}

/** See {@link signedContentKey}. */
export const ONE_SHOT_COPY_LIMIT = 64 * 1024;

const isNotEmpty = (part: string | Buffer) => part.length > 0;

/**
 * The exact bytes a signature covers, named by {@link signedContentKey} when a content claim needs the
 * name. A scheme only records the parts: the digest is taken after verification, where the claim is
 * made, and once per request — a claim over the body alone uses it as the body's digest too, instead
 * of hashing the body a second time.
 */
export class SignedContent {
  /** The signed bytes in the order the signature takes them; empty parts add nothing to the digest. */
  public static of(...parts: readonly (string | Buffer)[]): SignedContent {
    // Most contents are one non-empty part (a body): keep the array the call already made.
    return new SignedContent(parts.every(isNotEmpty) ? parts : parts.filter(isNotEmpty));
  }

  private digest: string | undefined;

  private constructor(private readonly parts: readonly (string | Buffer)[]) {}

  /** SHA-256 (hex) of the signed bytes: the content claim's key. */
  public get key(): string {
    this.digest ??= signedContentKey(...this.parts);
    return this.digest;
  }

  /** Whether the signature covers these very bytes and nothing else, so {@link key} is their digest. */
  public isExactly(body: Buffer): boolean {
    return this.parts.length === 1 && this.parts[0] === body;
  }
}
