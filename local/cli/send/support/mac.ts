import { createHash, createHmac } from 'node:crypto';

export type MacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** HMAC over the parts concatenated; a string key is used as its UTF-8 bytes, as every provider does. */
export function hmac(algorithm: MacAlgorithm, key: string | Buffer, ...parts: readonly (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

export function sha256Hex(...parts: readonly (string | Buffer)[]): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest('hex');
}
