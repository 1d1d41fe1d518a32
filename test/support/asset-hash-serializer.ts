/**
 * Snapshot serializer that replaces CDK asset hashes, so snapshots do not change when handler code
 * is rebuilt. Any string holding a 64-hex-digit hash is rewritten.
 */
const HAS_HASH = /[0-9a-f]{64}/;
const EVERY_HASH = /[0-9a-f]{64}/g;

export = {
  test: (value: unknown): boolean => typeof value === 'string' && HAS_HASH.test(value),
  serialize: (value: string): string => JSON.stringify(value.replace(EVERY_HASH, '[ASSET HASH]')),
};
