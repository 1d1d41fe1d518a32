import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Folder of a handler bundle built by `npm run build` (esbuild, at library build time), so that
 * consumers need neither esbuild nor Docker at synth and asset hashes match on every machine.
 * Works from the sources (`lib/private/`) and from the compiled package (`dist/lib/private/`).
 */
export function handlerAsset(name: string): string {
  const candidates = [path.join(__dirname, '..', '..', 'assets', name), path.join(__dirname, '..', '..', '..', 'assets', name)];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    throw new Error(`hardened-webhooks: the "${name}" handler bundle is missing (looked in ${candidates.join(', ')}); run "npm run build"`);
  }
  return found;
}
