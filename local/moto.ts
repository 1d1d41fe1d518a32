import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** A running moto server on loopback. */
export interface MotoServer {
  /** e.g. `http://127.0.0.1:53211` */
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Raised when the emulator cannot start: the suite fails with this message instead of skipping. */
export class EmulatorUnavailableError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorUnavailableError';
  }
}

const ROOT = path.join(__dirname, '..');

/** The moto_server binary installed by scripts/ensure-python-tools.sh. */
export function motoBinary(root = ROOT): string {
  return path.join(root, '.venv', 'bin', 'moto_server');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts moto server on a free loopback port and waits until it answers. */
export async function startMoto(options: { root?: string; timeoutMs?: number } = {}): Promise<MotoServer> {
  const binary = motoBinary(options.root);
  if (!existsSync(binary)) {
    throw new EmulatorUnavailableError(`moto server is not installed at ${binary}. Run "bash scripts/ensure-python-tools.sh" (npm test does it).`);
  }
  const port = await freePort();
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new EmulatorUnavailableError(`moto server exited with code ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new EmulatorUnavailableError(`moto server did not answer on ${endpoint} within the timeout: ${stderr}`);
  }
  return {
    endpoint,
    process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}

/** Clears every resource in the emulator. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
}
