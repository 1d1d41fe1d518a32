/**
 * `hardened-webhooks dev`: the webhook endpoints of the user's own CDK app, each on its own loopback
 * port, against moto — the verifier and processors from the bundles the app's assets hold, queues,
 * table and secrets created from its templates.
 */
import { createPublicKey } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { startHarness, type Harness } from '../harness';
import { endpointsIn } from '../harness/topology';
import type { LogEntry } from '../lambda';
import { startMoto, type MotoServer } from '../moto';
import { readAssembly, readCdkJson, synthesize, type AssemblyStack } from './assembly';
import { CliError } from './errors';
import { ensureMotoVirtualenv } from './python-tools';

/** A signing secret for every endpoint, or for the endpoint at one construct path. */
export interface SecretAssignment {
  /** The endpoint's construct path (`MyStack/Stripe`); every endpoint when absent. */
  readonly endpoint?: string;
  readonly value: string;
}

export interface DevOptions {
  /** The project folder: where cdk.json is read and the app runs. */
  readonly cwd: string;
  /** The app command. @default - cdk.json's `app` */
  readonly app?: string;
  /** A synthesized cloud assembly to run instead of synthesizing. */
  readonly cdkOut?: string;
  readonly secrets?: readonly SecretAssignment[];
  /** A running moto server. @default - one started from a project-local virtualenv */
  readonly emulator?: string;
  /** Where the virtualenv goes. @default '<cwd>/.hardened-webhooks/moto-venv' */
  readonly venv?: string;
  /** The first endpoint's port; the next ones count up from it. @default - free ports */
  readonly port?: number;
  readonly onProgress?: (line: string) => void;
  readonly onLog?: (entry: LogEntry) => void;
}

/** One endpoint served on loopback. */
export interface DevEndpoint {
  readonly stackName: string;
  /** The endpoint's construct path. */
  readonly endpoint: string;
  readonly provider: string;
  readonly url: string;
  /** The URL the verifier sees (the deployed form): what `send --signed-url` takes for Twilio and Square. */
  readonly signedUrl: string;
  /** Whether a signing secret was set; the endpoint answers 503 until one is. */
  readonly secretSet: boolean;
  readonly signingSecretArn: string;
  readonly processors: ReadonlyArray<{ readonly name: string; readonly polled: boolean }>;
  readonly warnings: readonly string[];
  readonly harness: Harness;
}

export interface DevSession {
  readonly emulator: string;
  readonly endpoints: readonly DevEndpoint[];
  stop(): Promise<void>;
}

export async function startDev(options: DevOptions): Promise<DevSession> {
  const { stacks, synthesized } = await loadStacks(options);
  // The assembly dev synthesized itself (with copies of the bundles) goes when the session ends.
  const removeAssembly = () => (synthesized ? rmSync(synthesized, { recursive: true, force: true }) : undefined);
  try {
    return await serve(stacks, options, removeAssembly);
  } catch (error) {
    removeAssembly();
    throw error;
  }
}

async function serve(stacks: readonly AssemblyStack[], options: DevOptions, removeAssembly: () => void): Promise<DevSession> {
  const targets = stacks.flatMap((stack) => endpointsIn(stack.template).map(({ endpointName }) => ({ stack, endpoint: endpointName })));
  if (targets.length === 0) {
    throw new CliError(`no HardenedWebhookEndpoint in ${stacks.map((stack) => stack.displayName).join(', ') || 'the assembly (it has no stacks)'}`);
  }
  assertSecretsNameEndpoints(options.secrets ?? [], targets.map((target) => target.endpoint));

  let moto: MotoServer | undefined;
  if (!options.emulator) {
    const venv = await ensureMotoVirtualenv({ venv: options.venv ?? path.join(options.cwd, '.hardened-webhooks', 'moto-venv'), onProgress: options.onProgress });
    options.onProgress?.('Starting moto…');
    moto = await startMoto({ venv });
  }
  const emulator = options.emulator ?? moto?.endpoint ?? '';
  const endpoints: DevEndpoint[] = [];
  const stop = async () => {
    for (const endpoint of endpoints) await endpoint.harness.stop();
    await moto?.stop();
    removeAssembly();
  };
  try {
    for (const [index, { stack, endpoint }] of targets.entries()) {
      options.onProgress?.(`Starting ${endpoint}…`);
      const harness = await startHarness({
        template: stack.template,
        stackName: stack.stackName,
        endpoint,
        emulatorEndpoint: emulator,
        assetDirectories: [stack.directory],
        namePrefix: `hw-dev-${index}`,
        port: options.port === undefined ? 0 : options.port + index,
        onLog: options.onLog,
      });
      const secret = secretFor(options.secrets ?? [], endpoint);
      if (secret !== undefined) await harness.setSigningSecret(secret);
      const keyProblem = secret === undefined ? undefined : publicKeyProblem(harness.config.provider.scheme, secret);
      endpoints.push({
        stackName: stack.stackName,
        endpoint,
        provider: harness.config.provider.scheme,
        url: harness.url,
        signedUrl: harness.publicUrl,
        secretSet: secret !== undefined,
        signingSecretArn: harness.signingSecretArn,
        processors: Object.values(harness.processors).map((processor) => ({ name: processor.name, polled: processor.poller !== undefined })),
        warnings: keyProblem ? [...harness.warnings, keyProblem] : harness.warnings,
        harness,
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { emulator, endpoints, stop };
}

async function loadStacks(options: DevOptions): Promise<{ readonly stacks: AssemblyStack[]; readonly synthesized?: string }> {
  if (options.cdkOut) return { stacks: readAssembly(path.resolve(options.cwd, options.cdkOut)) };
  const cdkJson = readCdkJson(options.cwd);
  const app = options.app ?? cdkJson.app;
  if (!app) throw new CliError(`no app to run: pass --app "<command>" or --cdk-out <folder>, or run in a folder whose cdk.json has "app" (looked in ${options.cwd})`);
  options.onProgress?.(`Synthesizing: ${app}`);
  const synthesized = await synthesize({ app, cwd: options.cwd, context: cdkJson.context });
  try {
    return { stacks: readAssembly(synthesized), synthesized };
  } catch (error) {
    rmSync(synthesized, { recursive: true, force: true });
    throw error;
  }
}

function assertSecretsNameEndpoints(secrets: readonly SecretAssignment[], endpoints: readonly string[]): void {
  for (const secret of secrets) {
    if (secret.endpoint !== undefined && !endpoints.includes(secret.endpoint)) {
      throw new CliError(`--secret-for names no endpoint: ${JSON.stringify(secret.endpoint)}; endpoints: ${endpoints.join(', ')}`, 2);
    }
  }
}

function secretFor(secrets: readonly SecretAssignment[], endpoint: string): string | undefined {
  return secrets.find((secret) => secret.endpoint === endpoint)?.value ?? secrets.find((secret) => secret.endpoint === undefined)?.value;
}

/**
 * Discord and SendGrid endpoints hold the provider's PUBLIC key, not a shared secret: a value that is
 * not one makes every request fail, so say so when the endpoint starts rather than on each 401.
 */
export function publicKeyProblem(scheme: string, secret: string): string | undefined {
  if (scheme === 'discord' && !/^[0-9a-fA-F]{64}$/.test(secret.trim())) {
    return 'this Discord endpoint holds an Ed25519 public key (64 hex characters); the secret given is not one, so every request will be refused. "send discord --generate-key" makes a pair.';
  }
  if (scheme === 'sendgrid' && !isP256PublicKey(secret.trim())) {
    return 'this SendGrid endpoint holds an ECDSA P-256 public key (base64 DER); the secret given is not one, so every request will be refused. "send sendgrid --generate-key" makes a pair.';
  }
  return undefined;
}

function isP256PublicKey(value: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}
