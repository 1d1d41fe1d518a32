import { ERROR_CODES } from '../shared/contract';
import { reject, type Rejection } from './schemes/types';

/** Parses a decimal count of seconds (or milliseconds) strictly: digits only, no sign, exponent or space. */
export function parseEpoch(value: string | undefined, maxDigits = 13): number | undefined {
  if (value === undefined || value.length === 0 || value.length > maxDigits) return undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  return Number(value);
}

/**
 * Checks a signed timestamp against the verifier's clock in both directions: a timestamp from the
 * future is as suspicious as a stale one (clock games let a captured request live longer).
 */
export function checkWindow(timestampMs: number, nowMs: number, toleranceSeconds: number): Rejection | undefined {
  const skewMs = Math.abs(nowMs - timestampMs);
  if (skewMs > toleranceSeconds * 1000) {
    const direction = timestampMs > nowMs ? 'in the future' : 'old';
    return reject(401, ERROR_CODES.STALE_TIMESTAMP, `signed timestamp is ${Math.round(skewMs / 1000)} s ${direction}; tolerance is ${toleranceSeconds} s`);
  }
  return undefined;
}

/** Reads a seconds timestamp header and checks the window; returns the ms value or a rejection. */
export function verifySecondsTimestamp(raw: string | undefined, nowMs: number, toleranceSeconds: number): number | Rejection {
  const seconds = parseEpoch(raw, 12);
  if (seconds === undefined) return reject(401, ERROR_CODES.MALFORMED_TIMESTAMP, 'timestamp is not a whole number of seconds');
  const ms = seconds * 1000;
  return checkWindow(ms, nowMs, toleranceSeconds) ?? ms;
}
