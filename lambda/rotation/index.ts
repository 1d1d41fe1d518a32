/**
 * Rotation function of a scoped token: Secrets Manager calls it for createSecret, setSecret,
 * testSecret and finishSecret; a schedule calls it to revoke the AWSPREVIOUS token once its grace
 * is over. It rotates the one secret named in its configuration.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV, type RotationConfig } from '../shared/contract';
import { RotationConfigError } from './errors';
import { issuerFor, type Issuer } from './issuers';
import { SdkLambdaInvoker, type LambdaInvoker } from './invoker';
import { handleRotationEvent, type RevokeOutcome, type RotationDependencies } from './rotation';

export { IssuerError, RotationConfigError, RotationStateError, TokenTestFailedError } from './errors';

/** Created once per execution environment. */
const secretsManager = new SecretsManagerClient({});

/** Reads and checks {@link RotationConfig} from `HW_ROTATION_CONFIG`. */
export function loadRotationConfig(env: NodeJS.ProcessEnv = process.env): RotationConfig {
  const raw = env[ENV.ROTATION_CONFIG];
  if (!raw) throw new RotationConfigError(`${ENV.ROTATION_CONFIG} is not set`);
  let config: RotationConfig;
  try {
    config = JSON.parse(raw) as RotationConfig;
  } catch (error) {
    throw new RotationConfigError(`${ENV.ROTATION_CONFIG} is not JSON`, { cause: error });
  }
  if (typeof config.tokenName !== 'string' || !config.tokenName) throw new RotationConfigError('tokenName is missing');
  if (typeof config.secretArn !== 'string' || !config.secretArn) throw new RotationConfigError('secretArn is missing');
  if (!Number.isFinite(config.graceSeconds) || config.graceSeconds < 0) throw new RotationConfigError(`graceSeconds must be a non-negative number; got ${config.graceSeconds}`);
  if (typeof config.issuer !== 'object' || config.issuer === null) throw new RotationConfigError('issuer is missing');
  return config;
}

export interface RotationHandlerOptions {
  /** @default - {@link loadRotationConfig} on the first invocation */
  readonly config?: RotationConfig;
  /** @default - a client built from the environment */
  readonly client?: SecretsManagerClient;
  /** @default - the issuer the configuration names */
  readonly issuer?: Issuer;
  /** How a `TokenIssuer.fromFunction()` function is invoked. @default - the Lambda Node.js runtime's AWS SDK */
  readonly invoker?: LambdaInvoker;
  readonly clock?: () => number;
}

/** Builds the Lambda handler; the configuration is read and checked on the first invocation. */
export function createRotationHandler(options: RotationHandlerOptions = {}): (event: unknown) => Promise<RevokeOutcome | undefined> {
  let deps: RotationDependencies | undefined;
  return async (event) => {
    if (!deps) {
      const config = options.config ?? loadRotationConfig();
      deps = {
        config,
        client: options.client ?? secretsManager,
        issuer: options.issuer ?? issuerFor(config.issuer, () => options.invoker ?? new SdkLambdaInvoker()),
        clock: options.clock,
      };
    }
    return handleRotationEvent(event, deps);
  };
}

export const handler = createRotationHandler();
