import * as path from 'node:path';
import { startDev, type DevSession, type SecretAssignment } from '../dev';
import { CliError } from '../errors';
import type { Output } from '../output';

interface DevFlags {
  readonly app?: string;
  readonly cdkOut?: string;
  readonly secret?: string;
  readonly secretEnv?: string;
  readonly secretFor?: readonly string[];
  readonly emulator?: string;
  readonly port?: number;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly venv: string;
}

/** Starts the endpoints, prints their URLs, and runs until SIGINT or SIGTERM. */
export async function runDev(raw: Record<string, unknown>, output: Output): Promise<void> {
  const flags = raw as unknown as DevFlags;
  if (flags.app !== undefined && flags.cdkOut !== undefined) throw new CliError('give --app or --cdk-out, not both', 2);
  const cwd = process.cwd();
  const session = await startDev({
    cwd,
    app: flags.app,
    cdkOut: flags.cdkOut,
    secrets: secretAssignments(flags),
    emulator: flags.emulator,
    venv: path.resolve(cwd, flags.venv),
    port: flags.port,
    onProgress: (line) => output.progress(line),
    onLog: flags.quiet ? undefined : (entry) => (flags.json
      ? output.json({ log: entry.source, text: entry.text.trimEnd() })
      : output.line(`[${entry.source}] ${entry.text.trimEnd()}`)),
  });
  printReady(session, flags, output);
  await untilSignalled();
  output.progress('Stopping…');
  await session.stop();
}

function secretAssignments(flags: DevFlags): SecretAssignment[] {
  const assignments: SecretAssignment[] = [];
  if (flags.secret !== undefined && flags.secretEnv !== undefined) throw new CliError('give --secret or --secret-env, not both', 2);
  if (flags.secret !== undefined) assignments.push({ value: flags.secret });
  if (flags.secretEnv !== undefined) {
    const value = process.env[flags.secretEnv];
    // The name is not echoed: a secret pasted where its variable's name belongs must not be printed.
    if (!value) throw new CliError('the environment variable --secret-env names is not set or empty', 2);
    assignments.push({ value });
  }
  for (const pair of flags.secretFor ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--secret-for takes <construct path>=<secret>, got a value without "="`, 2);
    assignments.push({ endpoint: pair.slice(0, at), value: pair.slice(at + 1) });
  }
  return assignments;
}

/** Schemes whose signature covers the URL the provider called. */
const SIGNS_URL: ReadonlySet<string> = new Set(['twilio', 'square']);

function printReady(session: DevSession, flags: DevFlags, output: Output): void {
  if (flags.json) {
    output.json({
      ready: true,
      emulator: session.emulator,
      endpoints: session.endpoints.map(({ harness: _harness, ...endpoint }) => endpoint),
    });
    return;
  }
  output.line(`Ready: ${session.endpoints.length} endpoint${session.endpoints.length === 1 ? '' : 's'} (AWS emulator ${session.emulator}). Ctrl-C stops.`);
  for (const endpoint of session.endpoints) {
    output.line(`  ${endpoint.endpoint} (${endpoint.provider})  POST ${endpoint.url}`);
    if (SIGNS_URL.has(endpoint.provider)) output.line(`    it verifies signatures over ${endpoint.signedUrl}: send with --signed-url ${endpoint.signedUrl}`);
    const processors = endpoint.processors.map((processor) => `${processor.name}${processor.polled ? '' : ' (not run)'}`).join(', ');
    output.line(`    processors: ${processors || 'none'}; signing secret: ${endpoint.secretSet ? 'set' : 'NOT SET (answers 503 until --secret is given)'}`);
    for (const warning of endpoint.warnings) output.line(`    warning: ${warning}`);
  }
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
