import { createHash, randomBytes } from 'node:crypto';

/** Random values in the shapes providers use for their IDs. */
export interface Random {
  bytes(count: number): Buffer;
  /** `count` characters drawn uniformly from `alphabet`. */
  chars(count: number, alphabet: string): string;
  /** `count` lower-case hex characters. */
  hex(count: number): string;
  /** `count` decimal digits, the first never 0 (provider numeric IDs have no leading zero). */
  digits(count: number): string;
  /** A version-4 UUID. */
  uuid(): string;
  /** An integer in [min, max]. */
  integer(min: number, max: number): number;
}

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const LOWER_ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz';
export const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Crockford's base 32, as ULIDs (PagerDuty's event IDs) are written. */
export const CROCKFORD32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Fresh randomness, or, with a seed, a reproducible stream (SHA-256 in counter mode): given an event
 * ID, a request is the same every time, so a test or a `--count` run with `--event-id` is repeatable.
 */
export function randomSource(seed?: string): Random {
  return fromBytes(seed === undefined ? randomBytes : seededBytes(seed));
}

function seededBytes(seed: string): (count: number) => Buffer {
  let block = 0;
  let pool = Buffer.alloc(0);
  return (count) => {
    while (pool.length < count) {
      const next = createHash('sha256').update(`hardened-webhooks send\u0000${seed}\u0000${block++}`).digest();
      pool = Buffer.concat([pool, next]);
    }
    const out = pool.subarray(0, count);
    pool = pool.subarray(count);
    return Buffer.from(out);
  };
}

function fromBytes(bytes: (count: number) => Buffer): Random {
  const chars = (count: number, alphabet: string) => drawChars(bytes, count, alphabet);
  return {
    bytes,
    chars,
    hex: (count) => chars(count, '0123456789abcdef'),
    digits: (count) => chars(1, '123456789') + chars(count - 1, '0123456789'),
    uuid: () => uuidV4(bytes(16)),
    integer: (min, max) => min + (bytes(4).readUInt32BE(0) % (max - min + 1)),
  };
}

/** Rejection sampling: a byte above the largest multiple of the alphabet's size would bias the first characters. */
function drawChars(bytes: (count: number) => Buffer, count: number, alphabet: string): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < count) {
    for (const byte of bytes(count - out.length)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

function uuidV4(raw: Buffer): string {
  raw[6] = (raw[6] & 0x0f) | 0x40;
  raw[8] = (raw[8] & 0x3f) | 0x80;
  const hex = raw.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
