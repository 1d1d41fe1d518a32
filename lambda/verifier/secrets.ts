import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UNSET_SECRET_PLACEHOLDER } from '../shared/contract';
import { DownstreamError } from './errors';

/**
 * The signing secrets active now. The Secrets Manager value (surrounding whitespace ignored) is one of:
 *
 * - the secret itself: any text that does not start with `[` or `{`, taken literally;
 * - a JSON array of entries, so that the old and the new secret are both accepted while the sender
 *   rolls its secret:
 *
 *       ["whsec_new", { "value": "whsec_old", "validUntil": "2026-12-01T00:00:00Z" }]
 *
 *   Each entry is either a non-empty string (valid until removed) or an object with exactly the
 *   keys `value` (a non-empty string, required) and `validUntil` (optional; when present a string
 *   `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with an explicit zone, `Z` or `±HH:MM`, naming a real
 *   calendar date; the entry is accepted strictly before that instant).
 *
 * Everything else fails closed — the offending entry, or the whole value, is dropped and reported
 * as a {@link DroppedEntry}: a value starting with `[` or `{` that is not JSON; JSON that is not an
 * array (e.g. a single entry object stored without its list); an item that is neither a string nor
 * an object (number, `null`, boolean, nested array); an object with any other key (a typo such as
 * `validUntill`), a key named twice, a missing, non-string, empty or whitespace-only `value`, or a
 * `validUntil` that is not a string of the form above (a number, `null`, a date without a time or
 * zone, `2026-02-30T…`); the unset placeholder inside the list. A secret listed more than once is
 * kept once, with the earliest expiry of its occurrences (no duplicate can extend its life); the
 * other occurrences are reported as dropped.
 */
export interface ActiveSecrets {
  readonly values: readonly string[];
}

/** One accepted secret. */
export interface Entry {
  readonly value: string;
  /** Epoch milliseconds from which the secret is no longer accepted; absent: valid until removed. */
  readonly validUntilMs?: number;
}

/** Why an entry, or the whole value, was dropped. Never carries any part of a secret. */
export type DropReason =
  /** The value starts with `[` or `{` but is not JSON. */
  | 'invalid_json'
  /** The value is JSON but not an array (a single entry stored without its list). */
  | 'not_a_list'
  /** A list item is neither a string nor an object. */
  | 'not_an_entry'
  /** An entry object names the same key twice (JSON readers disagree on which one wins). */
  | 'duplicate_key'
  /** An entry object has a key other than `value` and `validUntil`. */
  | 'unknown_key'
  /** An entry object's `value` is missing or not a string. */
  | 'invalid_value'
  /** The secret is empty or whitespace only. */
  | 'empty_value'
  /** The unset placeholder appears inside the list. */
  | 'placeholder'
  /** `validUntil` is present but not a strict ISO 8601 date-time with an explicit zone. */
  | 'invalid_valid_until'
  /** The secret is listed again; only the occurrence with the earliest expiry is kept. */
  | 'duplicate_value';

/** An entry, or the whole value, that was dropped. */
export interface DroppedEntry {
  /** Position of the entry in the JSON list; absent when the whole value was dropped. */
  readonly index?: number;
  readonly reason: DropReason;
}

/** What {@link parseSecretValue} read: the usable entries and what it dropped. */
export interface ParsedSecret {
  readonly entries: readonly Entry[];
  readonly dropped: readonly DroppedEntry[];
}

/** Called once per fetch whose value had dropped entries (so that a roll that fails closed is seen). */
export type DroppedEntriesCallback = (dropped: readonly DroppedEntry[]) => void;

/**
 * Caches the signing secret for a short TTL so a new value takes effect without a redeploy, with
 * one fetch shared by concurrent callers and the "unset" answer cached too (an unconfigured
 * endpoint under load must not turn every request into a Secrets Manager call).
 *
 * Hand-written rather than Powertools Parameters: that provider neither caches failures nor parses
 * the rotation list, and the verifier's bundle and cold start stay smaller without it.
 */
export class SigningSecretCache {
  private entries: readonly Entry[] | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<readonly Entry[]> | undefined;

  public constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
    private readonly onDropped?: DroppedEntriesCallback,
  ) {}

  /** Secrets valid now; empty when the secret holds no usable value. Throws {@link DownstreamError}. */
  public async active(): Promise<ActiveSecrets> {
    const now = this.clock();
    if (this.entries === undefined || now - this.fetchedAtMs >= this.ttlMs) {
      this.entries = await this.refresh();
      this.fetchedAtMs = this.clock();
    }
    return { values: this.entries.filter((entry) => entry.validUntilMs === undefined || entry.validUntilMs > now).map((entry) => entry.value) };
  }

  private refresh(): Promise<readonly Entry[]> {
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<readonly Entry[]> {
    let raw: string | undefined;
    try {
      raw = (await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }))).SecretString;
    } catch (error) {
      // A secret created without a value has no AWSCURRENT version yet: that is "unset", not an outage.
      if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') return [];
      throw new DownstreamError('secret', { cause: error });
    }
    const parsed = parseSecretValue(raw);
    if (parsed.dropped.length > 0 && this.onDropped) {
      try {
        this.onDropped(parsed.dropped);
      } catch {
        // Reporting must never make the secret unreadable.
      }
    }
    return parsed.entries;
  }
}

/**
 * Parses the stored value (see {@link ActiveSecrets} for the format) into the usable entries and
 * what was dropped. Pure: it reads no clock, so an expired entry is still returned here and is
 * excluded by {@link SigningSecretCache.active}. Anything malformed is dropped (fail closed).
 */
export function parseSecretValue(raw: string | undefined): ParsedSecret {
  const text = raw?.trim();
  if (!text || text === UNSET_SECRET_PLACEHOLDER) return { entries: [], dropped: [] };
  if (!text.startsWith('[') && !text.startsWith('{')) return { entries: [{ value: text }], dropped: [] };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return { entries: [], dropped: [{ reason: 'invalid_json' }] };
  }
  if (!Array.isArray(list)) return { entries: [], dropped: [{ reason: 'not_a_list' }] };

  const withDuplicateKeys = itemsWithDuplicateKeys(text);
  const read = list.map((item: unknown, index) => readEntry(item, withDuplicateKeys.has(index)));
  // One occurrence per secret: the one that expires first (no expiry counts as the latest).
  const kept = new Map<string, number>();
  read.forEach((entry, index) => {
    if (typeof entry === 'string') return;
    const other = kept.get(entry.value);
    if (other === undefined || expiry(entry) < expiry(read[other] as Entry)) kept.set(entry.value, index);
  });
  const entries: Entry[] = [];
  const dropped: DroppedEntry[] = [];
  read.forEach((entry, index) => {
    if (typeof entry === 'string') dropped.push({ index, reason: entry });
    else if (kept.get(entry.value) !== index) dropped.push({ index, reason: 'duplicate_value' });
    else entries.push(entry);
  });
  return { entries, dropped };
}

const ENTRY_KEYS: ReadonlySet<string> = new Set(['value', 'validUntil']);

function readEntry(item: unknown, duplicateKey: boolean): Entry | DropReason {
  if (typeof item === 'string') return valueProblem(item) ?? { value: item };
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'not_an_entry';
  if (duplicateKey) return 'duplicate_key';
  const fields = item as Record<string, unknown>;
  if (Object.keys(fields).some((key) => !ENTRY_KEYS.has(key))) return 'unknown_key';
  const value = fields.value;
  if (typeof value !== 'string') return 'invalid_value';
  const problem = valueProblem(value);
  if (problem) return problem;
  if (!Object.prototype.hasOwnProperty.call(fields, 'validUntil')) return { value };
  const validUntilMs = parseInstant(fields.validUntil);
  return validUntilMs === undefined ? 'invalid_valid_until' : { value, validUntilMs };
}

function valueProblem(value: string): DropReason | undefined {
  if (value.trim() === '') return 'empty_value';
  if (value.trim() === UNSET_SECRET_PLACEHOLDER) return 'placeholder';
  return undefined;
}

function expiry(entry: Entry): number {
  return entry.validUntilMs ?? Number.POSITIVE_INFINITY;
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Epoch milliseconds of a strict ISO 8601 date-time with an explicit zone; undefined for anything else. */
function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_INSTANT.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.parse rolls 2026-02-30 over into March; a date that is not on the calendar is malformed.
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(2000, month, 0)).getUTCDate() : 0;
  const leapDayMissing = month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  if (day < 1 || day > daysInMonth || leapDayMissing) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Indexes of the items of a JSON array (`text`, already known to be valid JSON) that contain an
 * object naming a key twice. `JSON.parse` silently keeps the last one, so `{"validUntil": …,
 * "validUntil": …}` would otherwise be read differently from what its author may have meant.
 */
function itemsWithDuplicateKeys(text: string): Set<number> {
  const found = new Set<number>();
  const open: (Set<string> | undefined)[] = []; // the keys seen, per open object; undefined per open array
  let item = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next += 1;
      const keys = open[open.length - 1];
      if (keys && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) found.add(item);
        keys.add(key);
      }
      i = end;
    } else if (c === '{') open.push(new Set());
    else if (c === '[') open.push(undefined);
    else if (c === '}' || c === ']') open.pop();
    else if (c === ',' && open.length === 1) item += 1;
  }
  return found;
}
