/**
 * The `--since` / `--until` range of the archive commands: half-open, [since, until), in UTC
 * milliseconds. Instants are ISO 8601 with an explicit zone (`2025-01-31T10:00Z`,
 * `2025-01-31T11:00:00.000+01:00`) or a bare date, meaning its UTC midnight: a date-time without a
 * zone would mean the operator's local time, and the same command would select other events on
 * another machine.
 */
import { ArchiveInputError } from './errors';

export interface TimeRange {
  /** Inclusive. */
  readonly sinceMs: number;
  /** Exclusive. */
  readonly untilMs: number;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An instant given on the command line, in UTC milliseconds; throws {@link ArchiveInputError} naming the flag. */
export function parseInstant(flag: string, value: string): number {
  const match = INSTANT.exec(value);
  const problem = `expected an ISO 8601 date (2025-01-31, UTC midnight) or date-time with a zone (2025-01-31T10:00Z, 2025-01-31T10:00:00+01:00); got ${JSON.stringify(value)}`;
  if (!match) throw new ArchiveInputError(flag, problem);
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  // Date.parse rolls 2025-02-30 over into March and accepts 24:00; a typo must not move the range.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw new ArchiveInputError(flag, problem);
  const ms = Date.parse(match[4] === undefined ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new ArchiveInputError(flag, problem);
  return ms;
}

/** `--since` and `--until` as a range; `until` must be later than `since`. */
export function parseRange(since: string, until: string): TimeRange {
  const range = { sinceMs: parseInstant('--since', since), untilMs: parseInstant('--until', until) };
  if (range.untilMs <= range.sinceMs) {
    throw new ArchiveInputError('--until', `must be later than --since (the range is [since, until)); got ${until}, which is not after ${since}`);
  }
  return range;
}

/** Whether an instant lies in the half-open range. */
export function inRange(range: TimeRange, ms: number): boolean {
  return ms >= range.sinceMs && ms < range.untilMs;
}

export function describeRange(range: TimeRange): string {
  return `[${new Date(range.sinceMs).toISOString()}, ${new Date(range.untilMs).toISOString()})`;
}
