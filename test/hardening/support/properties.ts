/**
 * The signature properties every scheme must have, checked on random bodies, headers, keys, options
 * and clocks (fast-check). Shared by the property test files, which split the schemes between them
 * so jest can run them on both cores.
 */
import fc from 'fast-check';
import { ERROR_CODES } from '../../../lambda/shared/contract';
import { schemeById } from '../../../lambda/verifier/schemes';
import type { Verdict } from '../../../lambda/verifier/schemes/types';
import { context, inbound } from '../../support/requests';
import { eventSeed, type EventSeed, type KeyMaterial, type SchemeSigner, type SignedRequest } from './signers';

/** Cases per scheme per run. The issue asks for at least 10,000; HW_PROPERTY_RUNS raises it for a longer run by hand. */
export const RUNS = Math.max(10_000, Number(process.env.HW_PROPERTY_RUNS ?? 0) || 0);

/** Ten years: how far beyond the window the "outside" timestamps may go. */
const DECADE_MS = 10 * 365 * 24 * 3600 * 1000;

export interface PropertyCase {
  readonly options: Record<string, unknown>;
  /** [signing key, a second active key (rotation), a key that is not configured]. */
  readonly keys: readonly [KeyMaterial, KeyMaterial, KeyMaterial];
  readonly seed: EventSeed;
  readonly nowMs: number;
  readonly toleranceSeconds: number;
  /** Where the signed timestamp falls inside the window, as a fraction of it in [-1, 1]. */
  readonly inside: number;
  /** How far beyond the window the stale and future timestamps are, in ms. */
  readonly beyondMs: readonly [number, number];
  /** 0: only the signing key is active; 1, 2: a second key is active too, before or after it. */
  readonly rotation: 0 | 1 | 2;
  readonly decoys: boolean;
  readonly variant: number;
  readonly flip: { readonly at: number; readonly mask: number };
  readonly headerEdit: { readonly pick: number; readonly at: number; readonly char: number; readonly remove: boolean };
}

/** Keys that HMAC (or the public-key scheme) treats as the same key are not "another secret". */
function keyIdentity(key: KeyMaterial): string {
  if (Buffer.isBuffer(key.signing)) return `bytes:${key.signing.toString('hex').replace(/(00)+$/, '')}`;
  return `stored:${key.stored}`;
}

export function caseArbitrary(signer: SchemeSigner): fc.Arbitrary<PropertyCase> {
  return fc.record({
    options: signer.options,
    keys: fc.uniqueArray(signer.key, { minLength: 3, maxLength: 3, selector: keyIdentity }) as unknown as fc.Arbitrary<[KeyMaterial, KeyMaterial, KeyMaterial]>,
    seed: eventSeed,
    // 2001 … 2096: seconds fit the 12 digits a timestamp may have, and ten years back stays positive.
    nowMs: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
    toleranceSeconds: fc.integer({ min: 1, max: 3600 }),
    inside: fc.double({ min: -1, max: 1, noNaN: true }),
    beyondMs: fc.tuple(fc.integer({ min: 0, max: DECADE_MS }), fc.integer({ min: 0, max: DECADE_MS })),
    rotation: fc.constantFrom(0 as const, 1 as const, 2 as const),
    decoys: fc.boolean(),
    variant: fc.nat({ max: 11 }),
    flip: fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    headerEdit: fc.record({ pick: fc.nat(), at: fc.nat(), char: fc.nat({ max: 94 }), remove: fc.boolean() }),
  });
}

/** Counts what one scheme's run tried, for the report. */
export interface Tally { cases: number; accepted: number; bodyFlips: number; headerEdits: number; headerRemovals: number; windowChecks: number; otherKeys: number; equivalentMutations: number }
export const newTally = (): Tally => ({ cases: 0, accepted: 0, bodyFlips: 0, headerEdits: 0, headerRemovals: 0, windowChecks: 0, otherKeys: 0, equivalentMutations: 0 });

/**
 * Checks every property on one case; throws (with the reason) at the first violation so fast-check
 * shrinks to a minimal counterexample.
 */
export function checkCase(signer: SchemeSigner, c: PropertyCase, tally: Tally): void {
  const scheme = schemeById(signer.id);
  if (!scheme) throw new Error(`scheme ${signer.id} is not registered`);
  const [key, second, other] = c.keys;
  const secrets = c.rotation === 0 ? [key.stored] : c.rotation === 1 ? [second.stored, key.stored] : [key.stored, second.stored];
  const stamped = signer.timestamp(c.options);
  // Inside the window: seconds schemes lose up to 1 s to truncation, so they stay a second inside it.
  const reach = stamped === 'milliseconds' ? c.toleranceSeconds * 1000 : (c.toleranceSeconds - 1) * 1000;
  const signedAt = c.nowMs + Math.trunc(c.inside * reach);
  const verify = (request: SignedRequest, keys = secrets): Verdict => scheme.verify(
    inbound({ body: request.body, headers: request.headers, query: request.query }, signer.publicUrl),
    context(keys, c.nowMs, c.toleranceSeconds),
    c.options,
  );
  tally.cases += 1;

  // 1. A correctly signed request is accepted (decoys and a second active key included).
  const genuine = signer.sign(c.seed, key, signedAt, c.options, { decoys: c.decoys, variant: c.variant });
  const accepted = verify(genuine);
  if (!accepted.ok) throw new Error(`genuine request refused: ${accepted.code} (${accepted.detail})`);
  if (genuine.expectedId !== undefined && accepted.event.id !== genuine.expectedId) {
    throw new Error(`event ID ${JSON.stringify(accepted.event.id)} read, ${JSON.stringify(genuine.expectedId)} expected`);
  }
  tally.accepted += 1;

  // Mutations start from the plainest form of the request: one signature, no decoys.
  const plain = c.decoys && signer.decoys ? signer.sign(c.seed, key, signedAt, c.options, { variant: c.variant }) : genuine;
  const plainVerdict = plain === genuine ? accepted : verify(plain);
  if (!plainVerdict.ok) throw new Error(`genuine request (no decoys) refused: ${plainVerdict.code}`);
  const refused = (what: string, mutated: SignedRequest, verdict: Verdict) => {
    if (!verdict.ok) {
      if (verdict.status !== 400 && verdict.status !== 401) throw new Error(`${what}: refused with ${verdict.status}`);
      return;
    }
    const excuse = signer.acceptedMutation
      ? signer.acceptedMutation(plain, mutated, verdict.event, plainVerdict.event, c.options)
      : 'this scheme signs every byte it reads';
    if (excuse !== undefined) throw new Error(`${what} was accepted (${excuse}); event ${JSON.stringify(verdict.event.id)}`);
    tally.equivalentMutations += 1;
  };

  // 2. One flipped body byte.
  if (plain.body.length > 0) {
    const body = Buffer.from(plain.body);
    const at = c.flip.at % body.length;
    body[at] ^= c.flip.mask;
    const mutated = { ...plain, body };
    refused(`body byte ${at} xor 0x${c.flip.mask.toString(16)}`, mutated, verify(mutated));
    tally.bodyFlips += 1;
  }

  // 3. A changed (or removed) signed header.
  const signedHeaders = signer.signedHeaders(c.options, plain);
  if (signedHeaders.length > 0) {
    const name = signedHeaders[c.headerEdit.pick % signedHeaders.length];
    const value = plain.headers[name];
    if (value === undefined) throw new Error(`signer did not send its signed header ${name}`);
    const headers = { ...plain.headers };
    if (c.headerEdit.remove || value.length === 0) {
      delete headers[name];
      tally.headerRemovals += 1;
    } else {
      const at = c.headerEdit.at % value.length;
      headers[name] = value.slice(0, at) + different(value[at], c.headerEdit.char) + value.slice(at + 1);
      tally.headerEdits += 1;
    }
    const mutated = { ...plain, headers };
    refused(`header ${name}: ${JSON.stringify(value)} → ${JSON.stringify(headers[name])}`, mutated, verify(mutated));
  }

  // 4. A timestamp beyond the window, in either direction.
  if (stamped !== 'none') {
    const margin = stamped === 'milliseconds' ? 1 : 1000;
    for (const [direction, extra] of [[-1, c.beyondMs[0]], [1, c.beyondMs[1]]] as const) {
      const at = c.nowMs + direction * (c.toleranceSeconds * 1000 + margin + extra);
      const verdict = verify(signer.sign(c.seed, key, at, c.options, { variant: c.variant }));
      if (verdict.ok || verdict.code !== ERROR_CODES.STALE_TIMESTAMP) {
        throw new Error(`timestamp ${direction < 0 ? 'before' : 'after'} the window (${at} vs now ${c.nowMs}, ±${c.toleranceSeconds} s): ${verdict.ok ? 'accepted' : verdict.code}`);
      }
      tally.windowChecks += 1;
    }
  }

  // 5. A signature made with a key that is not configured.
  const forged = signer.sign(c.seed, other, signedAt, c.options, { variant: c.variant });
  const verdict = verify(forged);
  if (verdict.ok || verdict.code !== ERROR_CODES.BAD_SIGNATURE) throw new Error(`signature by another key: ${verdict.ok ? 'accepted' : verdict.code}`);
  tally.otherKeys += 1;
}

/**
 * A printable ASCII character that is really different from `current`: hex digits are read as bytes,
 * so a change of letter case is not a change; base64url's `-`/`_` are read as `+`/`/`.
 */
function different(current: string, pick: number): string {
  const same = new Set([current, current.toLowerCase(), current.toUpperCase(), ...(EQUIVALENT[current] ?? [])]);
  for (let i = 0; i < 95; i += 1) {
    const candidate = String.fromCharCode(0x20 + ((pick + i) % 95));
    if (!same.has(candidate)) return candidate;
  }
  throw new Error('unreachable');
}
// '=' is optional padding where base64url is accepted (generic HMAC), and header parts are trimmed.
const EQUIVALENT: Record<string, string[]> = { '+': ['-'], '-': ['+'], '/': ['_'], _: ['/'], '=': [' '] };

/**
 * Declares one test per registered scheme in this shard: `RUNS` random cases, each checking every
 * property above. The schemes are split across test files so that jest runs them in parallel.
 */
export function describeSchemeProperties(shard: number, shards: number): void {
  // Imported lazily so the registry is read when the file runs, with every scheme registered by then.
  const { SCHEMES } = require('../../../lambda/verifier/schemes') as typeof import('../../../lambda/verifier/schemes');
  const { SIGNERS } = require('./signers') as typeof import('./signers');
  // Heaviest schemes first, each to the lightest shard: the shards take about the same time.
  const load = Array.from({ length: shards }, () => 0);
  const owner = new Map<string, number>();
  for (const id of Object.keys(SCHEMES).sort((a, b) => (SIGNERS[b]?.weight ?? 1) - (SIGNERS[a]?.weight ?? 1) || a.localeCompare(b))) {
    const lightest = load.indexOf(Math.min(...load));
    owner.set(id, lightest);
    load[lightest] += SIGNERS[id]?.weight ?? 1;
  }
  const ids = [...owner].filter(([, index]) => index === shard).map(([id]) => id).sort();

  describe(`signature properties, ${RUNS} random cases per scheme (shard ${shard + 1}/${shards})`, () => {
    test('every registered scheme has a signer in test/hardening/support/signers.ts', () => {
      expect(Object.keys(SCHEMES).filter((id) => SIGNERS[id] === undefined)).toEqual([]);
    });

    test.each(ids)('%s: signed requests are accepted; a flipped body byte, a changed signed header, a timestamp outside the window and another key are refused', (id) => {
      // GIVEN the scheme's signer and random keys, options, bodies, clocks and tolerances
      const signer = SIGNERS[id];
      const tally = newTally();
      // WHEN every property is checked on RUNS cases
      // HW_PROPERTY_SEED (and HW_PROPERTY_PATH) replay the run a failure printed.
      const replay = process.env.HW_PROPERTY_SEED ? { seed: Number(process.env.HW_PROPERTY_SEED), path: process.env.HW_PROPERTY_PATH } : {};
      fc.assert(fc.property(caseArbitrary(signer), (c) => checkCase(signer, c, tally)), { numRuns: RUNS, ...replay });
      // THEN every case ran every mutation that applies to the scheme
      expect(tally.cases).toBeGreaterThanOrEqual(RUNS);
      expect(tally.accepted).toBe(tally.cases);
      expect(tally.otherKeys).toBe(tally.cases);
      expect(tally.bodyFlips).toBe(tally.cases);
      if (id !== 'mailgun') expect(tally.headerEdits + tally.headerRemovals).toBe(tally.cases);
      const stamped = signer.timestamp({}) !== 'none' || id === 'hmac';
      if (stamped) expect(tally.windowChecks).toBeGreaterThan(0);
      recordTally(id, tally);
    });
  });
}

/** Writes the counts where the hardening report can read them (HW_HARDENING_STATS, if set). */
export function recordTally(id: string, tally: Tally): void {
  const dir = process.env.HW_HARDENING_STATS;
  if (!dir) return;
  const fs = require('node:fs') as typeof import('node:fs');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/properties-${id}.json`, JSON.stringify({ id, ...tally }));
}
