import {
  DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, TagResourceCommand, UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import {
  REVOKE_PREVIOUS_ACTION, STAGES, TOKEN_TAGS, TOKEN_VALUE_VERSION, type RevokePreviousEvent, type RotationConfig,
  type TokenSecretValue,
} from '../shared/contract';
import { formatTokenValue, isUnissued, MalformedTokenValueError, parseTokenValue } from '../shared/token-value';
import { RotationStateError } from './errors';
import type { Issuer, IssuerContext } from './issuers';

export type LogEntry = Readonly<Record<string, unknown>> & { readonly level: 'INFO' | 'WARN' | 'ERROR'; readonly msg: string };

export interface RotationDependencies {
  readonly client: SecretsManagerClient;
  readonly issuer: Issuer;
  readonly config: RotationConfig;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default - one JSON line on stdout */
  readonly log?: (entry: LogEntry) => void;
}

/** What the grace sweep did. */
export type RevokeOutcome =
  | { readonly revoked: false; readonly reason: 'no-previous' | 'in-grace' | 'grace-started' }
  | { readonly revoked: true; readonly versionId: string };

type Stages = Readonly<Record<string, readonly string[]>>;

interface SecretState {
  readonly rotationEnabled: boolean;
  readonly stages: Stages;
  readonly tags: Readonly<Record<string, string>>;
}

const defaultLog = (entry: LogEntry): void => {
  process.stdout.write(JSON.stringify(entry) + '\n');
};

/** Routes a Secrets Manager step event or the grace sweep's schedule event. */
export async function handleRotationEvent(event: unknown, deps: RotationDependencies): Promise<RevokeOutcome | undefined> {
  if (isRevokePreviousEvent(event)) return revokeExpiredPrevious(deps);
  if (isStepEvent(event)) {
    await rotationStep(event, deps);
    return undefined;
  }
  throw new RotationStateError('the event is neither a Secrets Manager rotation step nor a revoke-previous schedule');
}

export function isRevokePreviousEvent(event: unknown): event is RevokePreviousEvent {
  return typeof event === 'object' && event !== null && (event as { action?: unknown }).action === REVOKE_PREVIOUS_ACTION;
}

function isStepEvent(event: unknown): event is SecretsManagerRotationEvent {
  const candidate = event as Partial<SecretsManagerRotationEvent> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.Step === 'string'
    && typeof candidate.SecretId === 'string' && typeof candidate.ClientRequestToken === 'string';
}

/**
 * One step of Secrets Manager's rotation protocol. Each step checks the ClientRequestToken first:
 * the version must exist and be AWSPENDING; if it is already AWSCURRENT the rotation is over and
 * the step does nothing. Every step may run twice with the same result.
 */
export async function rotationStep(event: SecretsManagerRotationEvent, deps: RotationDependencies): Promise<void> {
  const rotation = new Rotation(deps);
  rotation.assertOwnSecret(event.SecretId);
  const token = event.ClientRequestToken;
  const state = await rotation.describe();
  if (!state.rotationEnabled) throw new RotationStateError(`secret ${deps.config.secretArn} is not enabled for rotation`);
  const stages = state.stages[token];
  if (stages === undefined) {
    // Secrets Manager creates the (empty) AWSPENDING version before it calls createSecret; when it
    // has not (an emulator, a hand-driven rotation) createSecret creates it. Later steps never do.
    if (event.Step !== 'createSecret') throw new RotationStateError(`version ${token} of the secret has no stage for rotation`);
  } else if (stages.includes(STAGES.CURRENT)) {
    if (event.Step === 'finishSecret' && stages.includes(STAGES.PENDING)) await rotation.removeLabel(STAGES.PENDING, token);
    rotation.log({ level: 'INFO', msg: 'version is already AWSCURRENT; nothing to do', step: event.Step, versionId: token });
    return;
  } else if (!stages.includes(STAGES.PENDING)) {
    throw new RotationStateError(`version ${token} of the secret is not AWSPENDING`);
  }

  switch (event.Step) {
    case 'createSecret':
      return rotation.createSecret(state, token);
    case 'setSecret':
      return rotation.setSecret(token);
    case 'testSecret':
      return rotation.testSecret(token);
    case 'finishSecret':
      return rotation.finishSecret(state, token);
    default:
      throw new RotationStateError(`unknown step ${JSON.stringify(event.Step)}`);
  }
}

/**
 * The grace sweep (run on a schedule): revokes the AWSPREVIOUS token once it has been replaced for
 * longer than the grace — the issuer revokes it, then the AWSPREVIOUS label is removed so that
 * services checking the secret stop accepting it. Safe to run at any time and any number of times.
 */
export async function revokeExpiredPrevious(deps: RotationDependencies): Promise<RevokeOutcome> {
  const rotation = new Rotation(deps);
  const state = await rotation.describe();
  const previous = versionWith(state.stages, STAGES.PREVIOUS);
  if (!previous) return { revoked: false, reason: 'no-previous' };
  const current = versionWith(state.stages, STAGES.CURRENT);
  const since = Date.parse(state.tags[TOKEN_TAGS.CURRENT_SINCE] ?? '');
  if (!current || state.tags[TOKEN_TAGS.CURRENT_VERSION] !== current || Number.isNaN(since)) {
    // We do not know when the previous token was replaced (tags removed, labels moved by hand):
    // start its grace now rather than revoke a token that may still be in use.
    if (current) await rotation.tagCurrent(current);
    rotation.log({ level: 'WARN', msg: 'replacement time of AWSPREVIOUS unknown; its grace starts now', versionId: previous });
    return { revoked: false, reason: 'grace-started' };
  }
  if (rotation.now() < since + deps.config.graceSeconds * 1000) return { revoked: false, reason: 'in-grace' };
  await rotation.retire(previous, STAGES.PREVIOUS, 'grace over');
  return { revoked: true, versionId: previous };
}

class Rotation {
  private readonly client: SecretsManagerClient;
  private readonly issuer: Issuer;
  private readonly config: RotationConfig;
  private readonly clock: () => number;
  public readonly log: (entry: LogEntry) => void;

  public constructor(deps: RotationDependencies) {
    this.client = deps.client;
    this.issuer = deps.issuer;
    this.config = deps.config;
    this.clock = deps.clock ?? Date.now;
    this.log = deps.log ?? defaultLog;
  }

  public now(): number {
    return this.clock();
  }

  /** The function rotates exactly one secret; any other is refused (its role could not touch it anyway). */
  public assertOwnSecret(secretId: string): void {
    if (secretId !== this.config.secretArn) throw new RotationStateError(`this function rotates ${this.config.secretArn} only; asked to rotate ${secretId}`);
  }

  public async describe(): Promise<SecretState> {
    const secret = await this.client.send(new DescribeSecretCommand({ SecretId: this.config.secretArn }));
    return {
      rotationEnabled: secret.RotationEnabled === true,
      stages: secret.VersionIdsToStages ?? {},
      tags: Object.fromEntries((secret.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    };
  }

  /**
   * createSecret: stores a new token as AWSPENDING under the ClientRequestToken. If that version
   * already holds a value, nothing happens. Before minting, it revokes what this rotation would
   * otherwise orphan: the AWSPREVIOUS token (it loses its label when AWSCURRENT moves) and an
   * AWSPENDING token a failed rotation left on another version.
   */
  public async createSecret(state: SecretState, token: string): Promise<void> {
    if (!versionWith(state.stages, STAGES.CURRENT)) throw new RotationStateError('the secret has no AWSCURRENT version');
    await this.client.send(new GetSecretValueCommand({ SecretId: this.config.secretArn, VersionStage: STAGES.CURRENT }));
    if ((await this.readRaw(token, STAGES.PENDING)) !== undefined) {
      this.log({ level: 'INFO', msg: 'createSecret: the pending version already holds a token', versionId: token });
      return;
    }
    const previous = versionWith(state.stages, STAGES.PREVIOUS);
    if (previous) await this.retire(previous, STAGES.PREVIOUS, 'a new rotation replaces it');
    for (const [versionId, labels] of Object.entries(state.stages)) {
      if (versionId !== token && labels.includes(STAGES.PENDING) && !labels.includes(STAGES.CURRENT)) {
        await this.retire(versionId, STAGES.PENDING, 'left over by an unfinished rotation');
      }
    }
    const minted = await this.issuer.mint(this.context(token));
    const value: TokenSecretValue = {
      v: TOKEN_VALUE_VERSION,
      token: minted.token,
      issuedAt: new Date(this.now()).toISOString(),
      ...(minted.tokenId !== undefined ? { tokenId: minted.tokenId } : {}),
      ...(minted.expiresAt !== undefined ? { expiresAt: minted.expiresAt } : {}),
      ...(minted.metadata !== undefined ? { metadata: minted.metadata } : {}),
    };
    await this.client.send(new PutSecretValueCommand({
      SecretId: this.config.secretArn,
      ClientRequestToken: token,
      SecretString: formatTokenValue(value),
      VersionStages: [STAGES.PENDING],
    }));
    this.log({ level: 'INFO', msg: 'createSecret: stored a new token as AWSPENDING', versionId: token, tokenId: minted.tokenId });
  }

  /** setSecret: the issuer activates the pending token. */
  public async setSecret(token: string): Promise<void> {
    const pending = await this.readToken(token, STAGES.PENDING);
    await this.issuer.activate(this.context(token), pending);
    this.log({ level: 'INFO', msg: 'setSecret: activated the pending token', versionId: token });
  }

  /** testSecret: the issuer proves the pending token works; a failure stops the rotation before AWSCURRENT moves. */
  public async testSecret(token: string): Promise<void> {
    const pending = await this.readToken(token, STAGES.PENDING);
    await this.issuer.test(this.context(token), pending);
    this.log({ level: 'INFO', msg: 'testSecret: the pending token works', versionId: token });
  }

  /**
   * finishSecret: records when the switch happens, moves AWSCURRENT to the new version (Secrets
   * Manager moves AWSPREVIOUS to the old one) and removes AWSPENDING.
   */
  public async finishSecret(state: SecretState, token: string): Promise<void> {
    const current = versionWith(state.stages, STAGES.CURRENT);
    // Tag first: if the move then fails, the grace of the old AWSPREVIOUS only starts later.
    await this.tagCurrent(token);
    await this.client.send(new UpdateSecretVersionStageCommand({
      SecretId: this.config.secretArn,
      VersionStage: STAGES.CURRENT,
      MoveToVersionId: token,
      ...(current ? { RemoveFromVersionId: current } : {}),
    }));
    await this.removeLabel(STAGES.PENDING, token);
    this.log({ level: 'INFO', msg: 'finishSecret: the new token is AWSCURRENT', versionId: token, previousVersionId: current });
  }

  public async tagCurrent(versionId: string): Promise<void> {
    await this.client.send(new TagResourceCommand({
      SecretId: this.config.secretArn,
      Tags: [
        { Key: TOKEN_TAGS.CURRENT_VERSION, Value: versionId },
        { Key: TOKEN_TAGS.CURRENT_SINCE, Value: new Date(this.now()).toISOString() },
      ],
    }));
  }

  /** Revokes the token a version holds (if it holds one the issuer knows) and removes the label. */
  public async retire(versionId: string, stage: string, why: string): Promise<void> {
    const raw = await this.readRaw(versionId, stage);
    if (raw !== undefined && !isUnissued(raw)) {
      let value: TokenSecretValue | undefined;
      try {
        value = parseTokenValue(raw);
      } catch (error) {
        if (!(error instanceof MalformedTokenValueError)) throw error;
        this.log({ level: 'WARN', msg: 'not a token value; the label is removed without asking the issuer to revoke it', versionId, stage, error: error.message });
      }
      if (value) await this.issuer.revoke(this.context(versionId), value);
    }
    await this.removeLabel(stage, versionId);
    this.log({ level: 'INFO', msg: `revoked the ${stage} token: ${why}`, versionId, tokenId: raw && !isUnissued(raw) ? safeTokenId(raw) : undefined });
  }

  /** Removes a label; succeeds if a concurrent run (sweep and rotation) removed it first. */
  public async removeLabel(stage: string, versionId: string): Promise<void> {
    try {
      await this.client.send(new UpdateSecretVersionStageCommand({ SecretId: this.config.secretArn, VersionStage: stage, RemoveFromVersionId: versionId }));
    } catch (error) {
      const state = await this.describe();
      if (state.stages[versionId]?.includes(stage)) throw error;
    }
  }

  private async readToken(versionId: string, stage: string): Promise<TokenSecretValue> {
    const raw = await this.readRaw(versionId, stage);
    if (raw === undefined) throw new RotationStateError(`version ${versionId} holds no ${stage} value; createSecret has not run`);
    return parseTokenValue(raw);
  }

  /** The value of one version at one stage, or undefined if that version holds none. */
  private async readRaw(versionId: string, stage: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.config.secretArn, VersionId: versionId, VersionStage: stage }));
      return result.SecretString;
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  private context(versionId: string): IssuerContext {
    return { tokenName: this.config.tokenName, secretArn: this.config.secretArn, versionId };
  }
}

function versionWith(stages: Stages, stage: string): string | undefined {
  return Object.entries(stages).find(([, labels]) => labels.includes(stage))?.[0];
}

function safeTokenId(raw: string): string | undefined {
  try {
    return parseTokenValue(raw).tokenId;
  } catch {
    return undefined;
  }
}
