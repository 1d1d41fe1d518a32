// Bundles every Lambda handler with esbuild at library build time. Consumers load the bundles with
// lambda.Code.fromAsset and need neither esbuild nor Docker at synth; the output is deterministic,
// so asset hashes are the same on every machine.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** name → entry point. The AWS SDK v3 ships in the Lambda Node.js runtime, so it stays external. */
export const HANDLERS = {
  verifier: 'lambda/verifier/index.ts',
  rotation: 'lambda/rotation/index.ts',
  'example/fulfilment': 'bin/processors/fulfilment.ts',
  'example/audit': 'bin/processors/audit.ts',
};

const extra = JSON.parse(process.env.HW_EXTRA_HANDLERS ?? '{}');

rmSync(join(root, 'assets'), { recursive: true, force: true });
await Promise.all(Object.entries({ ...HANDLERS, ...extra }).map(([name, entry]) => build({
  entryPoints: [join(root, entry)],
  outfile: join(root, 'assets', name, 'index.js'),
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  logLevel: 'warning',
})));
