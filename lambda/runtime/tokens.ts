import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DIMENSIONS, ENV, METRICS, STAGES, tokenMetricId } from '../shared/contract';
import { isUnissued, parseTokenValue } from '../shared/token-value';
import { defaultMetricsSink, type MetricsSink } from './metrics';
import { HandlerError } from '../shared/errors';

/** Options of {@link ScopedTokens}; every one defaults to what `addProcessor` configured. */
export interface ScopedTokensOptions {
  /**
   * Token name → ARN of the secret holding it.
   * @default - the `HW_TOKENS` environment variable, set by `addProcessor(fn, { tokens })`
   */
  readonly secretArns?: Readonly<Record<string, string>>;
  /**
   * How long a token is served from memory before it is read again.
   * @default - `HW_TOKEN_CACHE_TTL_SECONDS`, else 300
   */
  readonly cacheTtlSeconds?: number;
  /**
   * The processor's name, the `Processor` dimension of the usage metric.
   * @default - the `HW_PROCESSOR_NAME` environment variable
   */
  readonly processorName?: string;
  /**
   * The processor's endpoint, the `Endpoint` dimension of the usage metric by processor.
   * @default - the `HW_ENDPOINT_NAME` environment variable
   */
  readonly endpointName?: string;
  /** @default - one client per execution environment, built from the environment */
  readonly client?: SecretsManagerClient;
  /** @default - Powertools Metrics (Embedded Metric Format on stdout) */
  readonly metrics?: MetricsSink;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** The processor asked for a token it was not given (`addProcessor(fn, { tokens })`). */
export class UnknownTokenError extends HandlerError {
  public constructor(public readonly tokenName: string, granted: readonly string[]) {
    super('UnknownTokenError', `no scoped token named ${JSON.stringify(tokenName)} was granted to this processor; granted: ${granted.length ? granted.join(', ') : 'none'}`);
  }
}

/** The token could not be read, or no token has been issued yet. */
export class TokenUnavailableError extends HandlerError {
  public constructor(public readonly tokenName: string, reason: string, options?: { cause?: unknown }) {
    super('TokenUnavailableError', `scoped token ${JSON.stringify(tokenName)} is unavailable: ${reason}`, options);
  }
}

/** The processor's configuration of tokens is invalid. */
export class TokenConfigError extends HandlerError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super('TokenConfigError', message, options);
  }
}

interface CachedToken {
  readonly value: string;
  readonly fetchedAtMs: number;
  readonly expiresAtMs?: number;
}

interface ResolvedOptions {
  readonly secretArns: Readonly<Record<string, string>>;
  readonly ttlMs: number;
  readonly processorName?: string;
  readonly endpointName?: string;
  readonly client: SecretsManagerClient;
  readonly metrics: MetricsSink;
  readonly clock: () => number;
}

const DEFAULT_TTL_SECONDS = 300;
let sharedClient: SecretsManagerClient | undefined;

/**
 * The processor's scoped tokens: `await tokens.get('orders-write')`.
 *
 * - Serves the AWSCURRENT token from memory for the cache TTL, then reads it again, so a rotation
 *   reaches every processor within the TTL (the previous token stays valid for the grace, which is
 *   longer). Concurrent callers share one read.
 * - `tokens.invalidate(name)` when the API refused the token: the next `get` reads the secret.
 * - Records one `TokenUsage` data point per `get` (dimensions `Token` — the secret's name —, and `Token` + `Endpoint` + `Processor`),
 *   which the token's usage-spike alarms watch.
 */
export class ScopedTokens {
  private resolved: ResolvedOptions | undefined;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  public constructor(private readonly options: ScopedTokensOptions = {}) {}

  /** The current token. Throws {@link UnknownTokenError} or {@link TokenUnavailableError}. */
  public async get(name: string): Promise<string> {
    const options = this.settings();
    const secretArn = options.secretArns[name];
    if (secretArn === undefined) throw new UnknownTokenError(name, Object.keys(options.secretArns));
    const now = options.clock();
    let entry = this.cache.get(name);
    if (!entry || now - entry.fetchedAtMs >= options.ttlMs || (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now)) {
      entry = await this.refresh(name, secretArn, options);
    }
    // Keyed by the secret (unique per account and Region), not the token's name (unique per stack).
    const token = tokenMetricId(secretArn);
    const dimensionSets: Record<string, string>[] = [{ [DIMENSIONS.TOKEN]: token }];
    if (options.processorName) {
      dimensionSets.push(options.endpointName
        ? { [DIMENSIONS.TOKEN]: token, [DIMENSIONS.ENDPOINT]: options.endpointName, [DIMENSIONS.PROCESSOR]: options.processorName }
        : { [DIMENSIONS.TOKEN]: token, [DIMENSIONS.PROCESSOR]: options.processorName });
    }
    options.metrics.count(METRICS.TOKEN_USAGE, dimensionSets);
    return entry.value;
  }

  /** Forgets a cached token (all of them without a name): call it when the token was refused. */
  public invalidate(name?: string): void {
    if (name === undefined) this.cache.clear();
    else this.cache.delete(name);
  }

  /** Names of the tokens this processor was granted. */
  public names(): string[] {
    return Object.keys(this.settings().secretArns);
  }

  private refresh(name: string, secretArn: string, options: ResolvedOptions): Promise<CachedToken> {
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.fetch(name, secretArn, options)
        .then((entry) => {
          this.cache.set(name, entry);
          return entry;
        })
        .finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  private async fetch(name: string, secretArn: string, options: ResolvedOptions): Promise<CachedToken> {
    let raw: string | undefined;
    try {
      const result = await options.client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: STAGES.CURRENT }));
      raw = result.SecretString;
    } catch (error) {
      throw new TokenUnavailableError(name, 'reading its secret failed', { cause: error });
    }
    if (isUnissued(raw)) throw new TokenUnavailableError(name, 'no token has been issued yet (the first rotation has not completed)');
    let value;
    try {
      value = parseTokenValue(raw as string);
    } catch (error) {
      throw new TokenUnavailableError(name, 'its secret does not hold a token value', { cause: error });
    }
    const expiresAtMs = value.expiresAt !== undefined ? Date.parse(value.expiresAt) : undefined;
    return { value: value.token, fetchedAtMs: options.clock(), expiresAtMs: Number.isNaN(expiresAtMs) ? undefined : expiresAtMs };
  }

  private settings(): ResolvedOptions {
    this.resolved ??= resolve(this.options);
    return this.resolved;
  }
}

function resolve(options: ScopedTokensOptions): ResolvedOptions {
  let secretArns = options.secretArns;
  if (!secretArns) {
    const raw = process.env[ENV.TOKENS];
    try {
      secretArns = raw ? (JSON.parse(raw) as Record<string, string>) : {};
    } catch (error) {
      throw new TokenConfigError(`${ENV.TOKENS} is not JSON`, { cause: error });
    }
    if (typeof secretArns !== 'object' || secretArns === null || Array.isArray(secretArns) || Object.values(secretArns).some((arn) => typeof arn !== 'string')) {
      throw new TokenConfigError(`${ENV.TOKENS} must be a JSON object of token name → secret ARN`);
    }
  }
  const envTtl = process.env[ENV.TOKEN_CACHE_TTL_SECONDS];
  const ttlSeconds = options.cacheTtlSeconds ?? (envTtl !== undefined && envTtl !== '' ? Number(envTtl) : DEFAULT_TTL_SECONDS);
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) throw new TokenConfigError(`the token cache TTL must be a non-negative number of seconds; got ${ttlSeconds}`);
  return {
    secretArns,
    ttlMs: ttlSeconds * 1000,
    processorName: options.processorName ?? process.env[ENV.PROCESSOR_NAME],
    endpointName: options.endpointName ?? process.env[ENV.ENDPOINT_NAME],
    client: options.client ?? (sharedClient ??= new SecretsManagerClient({})),
    metrics: options.metrics ?? defaultMetricsSink(),
    clock: options.clock ?? Date.now,
  };
}

/** The processor's tokens, configured by `addProcessor(fn, { tokens })`. */
export const tokens = new ScopedTokens();
