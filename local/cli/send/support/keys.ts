import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SendInputError } from './errors';

/** DER PKCS#8 header of a raw 32-byte Ed25519 seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * An Ed25519 private key from what a developer may hold: PKCS#8 PEM, the 32-byte seed in hex, or
 * the 64-byte NaCl secret key (seed then public key) in hex that tweetnacl-based tools print.
 */
export function ed25519PrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{128}$/.test(trimmed) ? fromSeed(Buffer.from(trimmed.slice(0, 64), 'hex')) : fromPem(trimmed, 'an Ed25519');
  if (key.asymmetricKeyType !== 'ed25519') throw new SendInputError(`the private key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/** A P-256 private key from PEM (PKCS#8 or SEC1) or base64 DER PKCS#8. */
export function p256PrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----') ? fromPem(trimmed, 'a P-256') : fromBase64Der(trimmed);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SendInputError(`the private key is not an ECDSA P-256 key (${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''})`.trim());
  }
  return key;
}

/** Discord shows an application's public key as its 32 raw bytes in hex. */
export function ed25519PublicHex(privateKey: KeyObject): string {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('hex');
}

/** SendGrid shows the verification key as base64 DER SubjectPublicKeyInfo. */
export function p256PublicBase64(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
}

export function newEd25519Key(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

export function newP256Key(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

export function privatePem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function fromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function fromPem(text: string, kind: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch {
    throw new SendInputError(`the secret is not ${kind} PRIVATE key${looksPublic(text) ? ': it is a public key — the endpoint holds that one; sign with the private half (generateKeyPair makes a test pair)' : ''}`);
  }
}

function fromBase64Der(text: string): KeyObject {
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  for (const type of ['pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  const hint = looksPublicDer(der) ? ': it is a public key — the endpoint holds that one; sign with the private half (generateKeyPair makes a test pair)' : '';
  throw new SendInputError(`the secret is not a P-256 PRIVATE key (PEM, or base64 DER PKCS#8)${hint}`);
}

function looksPublic(text: string): boolean {
  try {
    createPublicKey(text);
    return !/PRIVATE KEY/.test(text);
  } catch {
    return false;
  }
}

function looksPublicDer(der: Buffer): boolean {
  try {
    createPublicKey({ key: der, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}
