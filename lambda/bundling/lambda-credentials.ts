/**
 * Stands in for `@aws-sdk/credential-provider-node` in the handler bundles (an esbuild alias,
 * lambda/bundling/esbuild-options.cjs): the credential chain as a Lambda function has it.
 *
 * Why not the SDK's default chain: it also carries the SSO, INI-profile, process, web-identity and
 * login providers and the STS/SSO clients they call — about 135 KiB of a 410 KiB bundle, parsed at
 * every cold start — and none of them can apply inside Lambda, which hands a function its role's
 * credentials in environment variables (and, where a runtime serves them from a container
 * endpoint instead, through `AWS_CONTAINER_CREDENTIALS_*`). Both of those are the SDK's own
 * providers, in the order the default chain tries them; only the unreachable links are left out.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];

const CONTAINER_CREDENTIAL_VARIABLES = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] as const;

/** Credentials are fetched again this long before they expire, as the SDK's default chain does. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;

/**
 * What the process has resolved. Every client's provider shares one cache: the verifier's three
 * clients would otherwise each fetch the same role's credentials from a container endpoint at cold
 * start. It serves the credentials it resolved until shortly before they expire (never, for
 * environment credentials): the SDK asks on every call, and a container endpoint must not be asked
 * that often. Concurrent callers share one fetch; a failed fetch is not kept. The first caller's
 * `init` (timeouts, logger) is the one used: every client of a handler is built with the SDK's
 * defaults for these.
 */
export class CredentialCache {
  private current: AwsCredentialIdentity | undefined;
  private fetching: Promise<AwsCredentialIdentity> | undefined;

  public get(init: ProviderInit, at: number): Promise<AwsCredentialIdentity> {
    if (this.current && !expiresSoon(this.current, at)) return Promise.resolve(this.current);
    this.fetching ??= resolveCredentials(init)
      .then((credentials) => (this.current = credentials))
      .finally(() => {
        this.fetching = undefined;
      });
    return this.fetching;
  }
}

const PROCESS_CACHE = new CredentialCache();

/** The SDK clients call this (as `credentialDefaultProvider`) once per client; see {@link CredentialCache}. */
export function defaultProvider(init: ProviderInit = {}, now: () => number = Date.now, cache: CredentialCache = PROCESS_CACHE): AwsCredentialIdentityProvider {
  return () => cache.get(init, now());
}

function resolveCredentials(init: ProviderInit): Promise<AwsCredentialIdentity> {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
  if (CONTAINER_CREDENTIAL_VARIABLES.some((name) => process.env[name])) return fromHttp(init)();
  return Promise.reject(new Error('No credentials: a Lambda function gets them in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or from AWS_CONTAINER_CREDENTIALS_*; neither is set'));
}

function expiresSoon(credentials: AwsCredentialIdentity, at: number): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - REFRESH_BEFORE_EXPIRY_MS <= at;
}
