/**
 * A synthesized cloud assembly (`cdk.out`), read as the CDK CLI reads it: the manifest's stack
 * artifacts and their templates, nested stage assemblies included. Or synthesized first, by running
 * the app command the way `cdk synth` does (the output folder and the context in the environment).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CfnTemplate } from '../template';
import { CliError } from './errors';

/** One CloudFormation stack of the assembly. */
export interface AssemblyStack {
  /** The stack's name as deployed. */
  readonly stackName: string;
  /** The artifact's ID, or its display path for stacks in stages (`Prod/Webhooks`). */
  readonly displayName: string;
  readonly template: CfnTemplate;
  /** The assembly folder holding the template (and, for the root assembly, the assets). */
  readonly directory: string;
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type?: string;
    readonly displayName?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  }>;
}

const STACK = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY = 'cdk:cloud-assembly';

/** Every stack in the assembly at `directory`, stages' nested assemblies included. */
export function readAssembly(directory: string): AssemblyStack[] {
  const manifestFile = path.join(directory, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new CliError(`${directory} is not a cloud assembly (no manifest.json): give the folder "cdk synth" writes (cdk.out), or use --app`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === STACK && artifact.properties?.templateFile) {
      const template = JSON.parse(readFileSync(path.join(directory, artifact.properties.templateFile), 'utf8')) as CfnTemplate;
      stacks.push({ stackName: artifact.properties.stackName ?? id, displayName: artifact.displayName ?? id, template, directory });
    } else if (artifact.type === NESTED_ASSEMBLY && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(directory, artifact.properties.directoryName)));
    }
  }
  return stacks;
}

export interface SynthOptions {
  /** The app command (cdk.json's `app`), run through the shell like the CDK CLI runs it. */
  readonly app: string;
  readonly cwd: string;
  /** Context values, as cdk.json's `context` gives them. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Receives the app's output lines (synthesis warnings, cdk-nag findings). */
  readonly onOutput?: (line: string) => void;
}

/** Runs the app into a fresh folder and returns that folder. */
export async function synthesize(options: SynthOptions): Promise<string> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'hardened-webhooks-dev-'));
  const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(options.context ?? {}) };
  try {
    await runApp(options, env);
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  if (!existsSync(path.join(outdir, 'manifest.json'))) {
    rmSync(outdir, { recursive: true, force: true });
    throw new CliError(`the app "${options.app}" exited without writing a cloud assembly: does it call app.synth()?`);
  }
  return outdir;
}

function runApp(options: SynthOptions, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(options.app, { cwd: options.cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(new CliError(`could not run the app "${options.app}": ${error.message}`)));
    child.on('exit', (code) => (code === 0
      ? resolve()
      : reject(new CliError(`the app "${options.app}" failed to synthesize (exit code ${code}):\n${tail.trim()}`))));
  });
}

/** The `app` command and `context` of the cdk.json in `cwd`. */
export function readCdkJson(cwd: string): { readonly app?: string; readonly context?: Record<string, unknown> } {
  const file = path.join(cwd, 'cdk.json');
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { app?: unknown; context?: unknown };
  return {
    app: typeof parsed.app === 'string' ? parsed.app : undefined,
    context: typeof parsed.context === 'object' && parsed.context !== null ? parsed.context as Record<string, unknown> : undefined,
  };
}
