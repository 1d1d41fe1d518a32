import { ArchiveInputError } from '../archive/errors';

/**
 * A replay ID: 1–64 ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit
 * (`fix-1234`, `2025-01-31.backfill`). Printable ASCII only, because it travels inside the
 * deduplication ID, the envelope and the processor's record key; short, because it names an
 * operator's decision, not data.
 */
const REPLAY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkReplayId(value: string): string {
  if (!REPLAY_ID.test(value)) {
    throw new ArchiveInputError('--replay-id', `must be 1–64 ASCII letters, digits, ".", "_" or "-", starting with a letter or digit; got ${JSON.stringify(value)}`);
  }
  return value;
}
