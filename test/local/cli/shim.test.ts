import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The construct package's `hardened-webhooks` bin: it runs @hardened-webhooks/local's CLI when that is
 * installed, and otherwise fetches the same version with `npm exec` (here a stand-in npm on PATH).
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const SHIM = path.join(ROOT, 'cli', 'hardened-webhooks.js');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('with @hardened-webhooks/local installed beside it, the shim runs its CLI and passes the exit code on', () => {
  const help = spawnSync(process.execPath, [SHIM, 'send', '--help'], { cwd: ROOT, encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('Usage: hardened-webhooks send [options] <provider>');
  const wrong = spawnSync(process.execPath, [SHIM, 'send', 'stripe'], { cwd: ROOT, encoding: 'utf8' });
  expect(wrong.status).not.toBe(0);
  expect(wrong.stderr).toContain("required option '--url <url>' not specified");
});

test('without it, the shim says so and runs the same version through npm exec, passing the arguments and the exit code on', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hw-shim-'));
  try {
    // The construct package as installed, alone: package.json and the bin, nothing to resolve the CLI from.
    mkdirSync(path.join(dir, 'pkg', 'cli'), { recursive: true });
    copyFileSync(SHIM, path.join(dir, 'pkg', 'cli', 'hardened-webhooks.js'));
    writeFileSync(path.join(dir, 'pkg', 'package.json'), JSON.stringify({ name: 'hardened-webhooks', version: VERSION }));
    // A stand-in npm that records its arguments and exits 7.
    mkdirSync(path.join(dir, 'bin'));
    const npm = path.join(dir, 'bin', 'npm');
    writeFileSync(npm, `#!/bin/sh\nprintf '%s\\n' "$@" > "${path.join(dir, 'npm-args')}"\nexit 7\n`);
    chmodSync(npm, 0o755);
    const run = spawnSync(process.execPath, [path.join(dir, 'pkg', 'cli', 'hardened-webhooks.js'), 'send', 'stripe', '--url', 'http://x'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` },
    });
    expect(run.status).toBe(7);
    expect(run.stderr).toContain(`The hardened-webhooks CLI is in @hardened-webhooks/local; running version ${VERSION} with npm exec`);
    expect(readFileSync(path.join(dir, 'npm-args'), 'utf8').trim().split('\n')).toEqual([
      'exec', '--yes', `--package=@hardened-webhooks/local@${VERSION}`, '--', 'hardened-webhooks-local', 'send', 'stripe', '--url', 'http://x',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
