import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UNSET_SECRET_PLACEHOLDER } from '../shared/contract';
import { DownstreamError } from './errors';

/**
 * The signing secrets active now. The Secrets Manager value is either the secret itself, or a JSON
 * array of entries — a string, or `{ "value": "…", "validUntil": "<ISO 8601>" }` — so that the old
 * and the new secret are both accepted while the sender rolls its secret:
 *
 *     ["whsec_new", { "value": "whsec_old", "validUntil": "2026-12-01T00:00:00Z" }]
 */
export interface ActiveSecrets {
  readonly values: readonly string[];
}

interface Entry {
  readonly value: string;
  readonly validUntilMs?: number;
}

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
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      return parseSecretValue(result.SecretString);
    } catch (error) {
      // A secret created without a value has no AWSCURRENT version yet: that is "unset", not an outage.
      if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') return [];
      throw new DownstreamError('secret', { cause: error });
    }
  }
}

/** Parses the stored value into entries; anything unusable yields no entry (fail closed). */
export function parseSecretValue(raw: string | undefined): readonly Entry[] {
  const text = raw?.trim();
  if (!text || text === UNSET_SECRET_PLACEHOLDER) return [];
  if (!text.startsWith('[')) return [{ value: text }];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [{ value: text }];
  }
  if (!Array.isArray(list)) return [];
  const entries: Entry[] = [];
  for (const item of list) {
    if (typeof item === 'string' && item && item !== UNSET_SECRET_PLACEHOLDER) entries.push({ value: item });
    else if (typeof item === 'object' && item !== null && typeof (item as { value?: unknown }).value === 'string' && (item as { value: string }).value) {
      const until = (item as { validUntil?: unknown }).validUntil;
      const validUntilMs = typeof until === 'string' ? Date.parse(until) : undefined;
      if (validUntilMs !== undefined && Number.isNaN(validUntilMs)) continue; // an unreadable expiry is treated as expired
      entries.push({ value: (item as { value: string }).value, validUntilMs });
    }
  }
  return entries;
}
