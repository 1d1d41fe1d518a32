import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CliError } from '../errors';
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
}

export async function runSend(provider: string, raw: Record<string, unknown>, output: Output): Promise<void> {
  const flags = raw as unknown as SendFlags;
  providerById(provider);
  if (flags.count > 1 && flags.eventId !== undefined) throw new CliError('--event-id names one event: it cannot be combined with --count', 2);
  const secret = await resolveSecret(provider, flags, output);
  const body = flags.body === undefined ? undefined : readFileSync(flags.body);
  const options = parseOptions(flags.option ?? []);

  // Each event is built once and its duplicates send the very same bytes, as a provider's retry does.
  const requests: Array<{ readonly request: SignedTestRequest; readonly attempt: number }> = [];
  for (let event = 0; event < flags.count; event++) {
    const request = buildSignedRequest(provider, {
      url: flags.url, signedUrl: flags.signedUrl, secret, eventType: flags.event, body, eventId: flags.eventId,
      timestampOffsetSeconds: flags.timestampOffset, options,
    });
    if (!flags.json && event === 0) output.progress(request.description);
    for (let attempt = 1; attempt <= flags.duplicates; attempt++) requests.push({ request, attempt });
  }

  const answers = await inParallel(requests, flags.concurrency, async ({ request, attempt }) => post(request, attempt));
  for (const answer of answers) {
    if (flags.json) output.json(answer);
    else output.line(formatAnswer(answer));
    if (answer.error !== undefined || answer.status < 200 || answer.status > 299) output.exitCode = 1;
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
    if (!value) throw new CliError(`environment variable ${flags.secretEnv} is not set or empty`, 2);
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
    const text = SecretString.trim();
    if (!text.startsWith('[')) return text;
    const entries = JSON.parse(text) as Array<{ value?: unknown; validUntil?: unknown }>;
    const current = entries.find((entry) => typeof entry.value === 'string' && entry.validUntil === undefined) ?? entries.at(-1);
    if (typeof current?.value !== 'string') throw new CliError(`secret ${arn} holds a rotation list with no usable entry`);
    return current.value;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`could not read secret ${arn}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  } finally {
    client.destroy();
  }
}

/** `key=value` pairs into the construct-named provider options; `true`/`false` become booleans. */
export function parseOptions(pairs: readonly string[]): SendOptions {
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--option takes key=value, got ${JSON.stringify(pair)}`, 2);
    const key = pair.slice(0, at);
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

async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function formatAnswer(answer: Answer): string {
  const event = `${answer.eventId ?? '(derived ID)'}${answer.attempt > 1 ? ` #${answer.attempt}` : ''}`;
  if (answer.error !== undefined) return `${event}  no answer: ${answer.error}`;
  const body = answer.body.length > 300 ? `${answer.body.slice(0, 300)}…` : answer.body;
  return `${event}  ${answer.status}  ${answer.ms} ms  ${body}`;
}

function summary(answers: readonly Answer[]): string {
  const byStatus = new Map<string, number>();
  for (const answer of answers) {
    const key = answer.error !== undefined ? 'no answer' : String(answer.status);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  return `${answers.length} requests: ${[...byStatus].map(([status, count]) => `${status} ×${count}`).join(', ')}`;
}
