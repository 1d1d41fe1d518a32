import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UNSET_SECRET_PLACEHOLDER } from '../../../lambda/shared/contract';
import { CliError } from '../errors';
import { inParallel } from '../in-parallel';
import type { Output } from '../output';
import { buildSignedRequest, generateKeyPair, providerById, type SendOptions, type SignedTestRequest } from '../send';

interface SendFlags {
  readonly url: string;
  readonly secret?: string;
  readonly secretEnv?: string;
  readonly secretArn?: string;
  readonly generateKey?: boolean;
  readonly signedUrl?: string;
  readonly event?: string;
  readonly eventId?: string;
  readonly body?: string;
  readonly count: number;
  readonly duplicates: number;
  readonly concurrency: number;
  readonly timestampOffset: number;
  readonly option?: readonly string[];
  readonly json?: boolean;
}

/** What one POST got back. */
interface Answer {
  readonly eventId?: string;
  readonly eventType?: string;
  readonly attempt: number;
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  readonly error?: string;
  /** For a handshake: whether the endpoint answered what the provider requires to accept the URL. */
  readonly handshake?: 'expected' | 'unexpected';
  readonly expectedReply?: { readonly statusCode: number; readonly body: string };
}

export async function runSend(provider: string, raw: Record<string, unknown>, output: Output): Promise<void> {
  const flags = raw as unknown as SendFlags;
  providerById(provider);
  if (flags.count > 1 && flags.eventId !== undefined) throw new CliError('--event-id names one event: it cannot be combined with --count', 2);
  const secret = await resolveSecret(provider, flags, output);
  const body = flags.body === undefined ? undefined : readFileSync(flags.body);
  const options = parseOptions(provider, flags.option ?? []);

  // Each event is built once and its duplicates send the very same bytes, as a provider's retry does.
  const requests: Array<{ readonly request: SignedTestRequest; readonly attempt: number }> = [];
  for (let event = 0; event < flags.count; event++) {
    const request = buildSignedRequest(provider, {
      url: flags.url, signedUrl: flags.signedUrl, secret, eventType: flags.event, body, eventId: flags.eventId,
      timestampOffsetSeconds: flags.timestampOffset, options,
    });
    if (!flags.json && event === 0) output.progress(request.description);
    if (event === 0 && flags.eventId !== undefined && request.eventId !== flags.eventId) {
      output.progress(`note: ${provider} endpoints name an event by what its signature covers, not by an ID field: --event-id set the payload's IDs, `
        + 'and the event ID the endpoint sees changes with the signed timestamp or content');
    }
    for (let attempt = 1; attempt <= flags.duplicates; attempt++) requests.push({ request, attempt });
  }

  const answers = await inParallel(requests, flags.concurrency, async ({ request, attempt }) => withHandshakeCheck(request, await post(request, attempt)));
  for (const answer of answers) {
    if (flags.json) output.json(answer);
    else output.line(formatAnswer(answer));
    if (answer.error !== undefined || answer.status < 200 || answer.status > 299 || answer.handshake === 'unexpected') output.exitCode = 1;
  }
  if (!flags.json && answers.length > 1) output.line(summary(answers));
}

async function resolveSecret(provider: string, flags: SendFlags, output: Output): Promise<string> {
  const given = [flags.secret !== undefined, flags.secretEnv !== undefined, flags.secretArn !== undefined, flags.generateKey === true].filter(Boolean).length;
  if (given !== 1) throw new CliError('give exactly one of --secret, --secret-env, --secret-arn or --generate-key', 2);
  if (flags.generateKey) {
    const pair = generateKeyPair(provider);
    // A public key is not a secret: the endpoint's secret must hold it for the request to verify.
    output.progress(`generated a key pair; store this PUBLIC key in the endpoint's signing secret: ${pair.publicKey}`);
    return pair.privateKey;
  }
  if (flags.secretEnv !== undefined) {
    const value = process.env[flags.secretEnv];
    // The name is not echoed: a secret pasted where its variable's name belongs must not be printed.
    if (!value) throw new CliError('the environment variable --secret-env names is not set or empty', 2);
    return value;
  }
  if (flags.secretArn !== undefined) return currentSecretValue(flags.secretArn);
  return flags.secret as string;
}

/** The value the provider signs with now: a plain secret, or the entry of a rotation list that does not expire. */
async function currentSecretValue(arn: string): Promise<string> {
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!SecretString) throw new CliError(`secret ${arn} has no string value`);
    return currentOfRotationList(SecretString, arn);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`could not read secret ${arn}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  } finally {
    client.destroy();
  }
}

/**
 * The value a provider signs with now, from the signing secret as the verifier reads it: a plain
 * secret, or a rotation list (`["new", {"value": "old", "validUntil": "…"}]`) whose entry without an
 * expiry is the current one — the provider has switched to it, the others are only still accepted.
 */
export function currentOfRotationList(stored: string, arn: string): string {
  const text = stored.trim();
  // The construct creates the secret with a placeholder that the verifier reads as "not set".
  if (text === UNSET_SECRET_PLACEHOLDER) throw new CliError(`secret ${arn} is not set yet: it still holds the placeholder the endpoint was deployed with`);
  if (!text.startsWith('[')) return text;
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text: it must not reach the output.
    throw new CliError(`secret ${arn} starts like a rotation list but is not valid JSON`);
  }
  const read = (Array.isArray(entries) ? entries : []).map((entry: unknown) => (typeof entry === 'string'
    ? { value: entry, validUntil: undefined }
    : { value: (entry as { value?: unknown } | null)?.value, validUntil: (entry as { validUntil?: unknown } | null)?.validUntil }));
  const usable = read.filter((entry): entry is { value: string; validUntil: unknown } => typeof entry.value === 'string' && entry.value.length > 0 && entry.value !== UNSET_SECRET_PLACEHOLDER);
  const current = usable.find((entry) => entry.validUntil === undefined)
    ?? usable.sort((a, b) => Date.parse(String(b.validUntil)) - Date.parse(String(a.validUntil)))[0];
  if (!current) throw new CliError(`secret ${arn} holds a rotation list with no usable entry`);
  return current.value;
}

/** `key=value` pairs into the construct-named provider options; `true`/`false` become booleans. */
export function parseOptions(provider: string, pairs: readonly string[]): SendOptions {
  const known: readonly string[] = providerById(provider).options ?? [];
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError('--option takes key=value', 2);
    const key = pair.slice(0, at);
    if (!known.includes(key)) {
      throw new CliError(`--option ${key} does not apply to ${provider}; ${known.length > 0 ? `its options: ${known.join(', ')}` : 'it takes no options'}`, 2);
    }
    const value = pair.slice(at + 1);
    if (key === 'eventIdField' || key === 'eventTypeField') options[key] = value.startsWith('header:') ? { header: value.slice(7) } : { jsonPath: value.replace(/^jsonPath:/, '') };
    else options[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return options as SendOptions;
}

async function post(request: SignedTestRequest, attempt: number): Promise<Answer> {
  const started = performance.now();
  const identity = { eventId: request.eventId, eventType: request.eventType, attempt };
  try {
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
    return { ...identity, status: response.status, body: await response.text(), ms: Math.round(performance.now() - started) };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { ...identity, status: 0, body: '', ms: Math.round(performance.now() - started), error: `${error instanceof Error ? error.message : String(error)}${cause}` };
  }
}


/** A handshake is only done when the endpoint answered what the provider checks for. */
function withHandshakeCheck(request: SignedTestRequest, answer: Answer): Answer {
  const expected = request.expectedReply;
  if (!expected || answer.error !== undefined) return answer;
  const matches = answer.status === expected.statusCode && sameBody(answer.body, expected.body);
  return { ...answer, handshake: matches ? 'expected' : 'unexpected', ...(matches ? {} : { expectedReply: expected }) };
}

function sameBody(actual: string, expected: string): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(actual), JSON.parse(expected));
  } catch {
    return actual === expected;
  }
}

function formatAnswer(answer: Answer): string {
  const event = `${answer.eventId ?? '(derived ID)'}${answer.attempt > 1 ? ` #${answer.attempt}` : ''}`;
  if (answer.error !== undefined) return `${event}  no answer: ${answer.error}`;
  const body = answer.body.length > 300 ? `${answer.body.slice(0, 300)}…` : answer.body;
  const handshake = answer.handshake === 'unexpected' && answer.expectedReply
    ? `\n  the provider would not accept this endpoint: it expects ${answer.expectedReply.statusCode} ${answer.expectedReply.body}`
    : '';
  return `${event}  ${answer.status}  ${answer.ms} ms  ${body}${handshake}`;
}

function summary(answers: readonly Answer[]): string {
  const byStatus = new Map<string, number>();
  for (const answer of answers) {
    const key = answer.error !== undefined ? 'no answer' : String(answer.status);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  return `${answers.length} requests: ${[...byStatus].map(([status, count]) => `${status} ×${count}`).join(', ')}`;
}
