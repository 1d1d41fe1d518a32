import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from './errors';

/** The pinned moto requirement this package ships (one pin for the CLI and the repository's tests). */
export function motoRequirementsFile(): string {
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'requirements-moto.txt');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(directory) === directory) throw new CliError('requirements-moto.txt is missing from the @hardened-webhooks/local package: reinstall it');
  }
}

export interface EnsureMotoOptions {
  /** Where the virtualenv lives: project-local, so nothing is installed system-wide. */
  readonly venv: string;
  /** @default 'python3' */
  readonly python?: string;
  readonly onProgress?: (line: string) => void;
}

/**
 * A virtualenv holding moto server, and nothing else (not the scanners the repository's tests use):
 * created on first use, reused while the requirements file is unchanged (a stamp holds its hash).
 * Returns the virtualenv's directory.
 */
export async function ensureMotoVirtualenv(options: EnsureMotoOptions): Promise<string> {
  const requirements = motoRequirementsFile();
  const stamp = path.join(options.venv, '.requirements.sha256');
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const installed = existsSync(path.join(options.venv, 'bin', 'moto_server')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want;
  if (installed) return options.venv;

  const python = options.python ?? 'python3';
  const version = spawnSync(python, ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new CliError(
      `${python} was not found: "dev" runs moto (an AWS emulator written in Python) in a project-local virtualenv. `
      + 'Install Python 3.9 or later, or pass --emulator <url> of a moto server you run yourself.',
    );
  }
  mkdirSync(path.dirname(options.venv), { recursive: true });
  options.onProgress?.(`Installing moto into ${path.relative(process.cwd(), options.venv) || options.venv} (first run only; it takes about a minute)…`);
  await run(python, ['-m', 'venv', options.venv], 'creating the virtualenv');
  await run(path.join(options.venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], 'installing moto with pip');
  writeFileSync(stamp, `${want}\n`);
  options.onProgress?.('moto installed.');
  return options.venv;
}

function run(command: string, args: readonly string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) => reject(new CliError(`${what} failed: ${error.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`${what} failed (exit code ${code}): ${stderr.trim()}`))));
  });
}
