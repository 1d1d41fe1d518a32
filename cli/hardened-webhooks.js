#!/usr/bin/env node
/*
 * `npx hardened-webhooks …` for a project that installed the construct package. The CLI itself is
 * in @hardened-webhooks/local, so that its AWS clients and emulator code never become the
 * construct's dependencies: this shim runs it when it is installed beside the construct (the
 * fast path: `npm i -D @hardened-webhooks/local`), and otherwise fetches the matching version
 * once with `npm exec`.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { version } = require('../package.json');

const args = process.argv.slice(2);
let entry;
try {
  entry = require.resolve('@hardened-webhooks/local/cli', { paths: [process.cwd(), __dirname] });
} catch {
  entry = undefined;
}

if (entry) {
  require(entry).main(args).then((code) => {
    process.exitCode = code;
  });
} else {
  process.stderr.write(`The hardened-webhooks CLI is in @hardened-webhooks/local; running version ${version} with npm exec `
    + '(install it with "npm i -D @hardened-webhooks/local" to skip this step).\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['exec', '--yes', `--package=@hardened-webhooks/local@${version}`, '--', 'hardened-webhooks-local', ...args], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
