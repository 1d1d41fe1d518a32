import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

interface PackedFile { readonly path: string; readonly size: number }

/** The files `npm pack` would put in the tarball (the build ran before the tests). */
function packedFiles(): PackedFile[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as Array<{ files: PackedFile[] }>)[0].files;
}

/** What a consumer of the published package gets (run after `npm run build`, as `npm test` does). */
describe('package', () => {
  test('the processor runtime is its own package, hardened-webhooks-runtime (the workspace packages/runtime); the constructs package has no runtime subpath', () => {
    const out = execFileSync(process.execPath, ['-e', "const r = require('hardened-webhooks-runtime'); console.log(typeof r.webhookProcessor, typeof r.tokens.get)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function function');
    expect(() => execFileSync(process.execPath, ['-e', "require('hardened-webhooks/runtime')"], { cwd: root, stdio: 'pipe' })).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  test('the construct library is importable from the package root', () => {
    const out = execFileSync(process.execPath, ['-e', "const l = require('hardened-webhooks'); console.log(typeof l.HardenedWebhookEndpoint, typeof l.WebhookProvider.stripe)"], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function function');
  });

  describe('the tarball', () => {
    const files = packedFiles().map((file) => file.path);

    test('ships the constructs, their jsii assembly, the shared contract, the two handler bundles, the CLI shim, README and LICENSE, and nothing a consumer cannot use', () => {
      const tops = [...new Set(files.map((file) => file.split('/').slice(0, file.startsWith('dist/lambda/') ? 3 : 2).join('/')))].sort();
      expect(tops).toEqual([
        '.jsii', '.jsii.gz', 'LICENSE', 'README.md', 'assets/rotation', 'assets/verifier',
        // The `hardened-webhooks` bin: a shim that runs the CLI of @hardened-webhooks/local.
        'cli/hardened-webhooks.js',
        'dist/lambda/shared', 'dist/lambda/verifier', 'dist/lib', 'package.json',
      ]);
      expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    });

    test('every relative require of a shipped file resolves to a shipped file (nothing left behind by the narrower file list)', () => {
      const shipped = new Set(files);
      const missing: string[] = [];
      for (const file of files.filter((name) => name.startsWith('dist/') && name.endsWith('.js'))) {
        const code = readFileSync(path.join(root, file), 'utf8');
        for (const [, target] of code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
          const resolved = path.posix.join(path.posix.dirname(file), target);
          if (![resolved, `${resolved}.js`, `${resolved}/index.js`].some((candidate) => shipped.has(candidate))) missing.push(`${file} → ${target}`);
        }
      }
      expect(missing).toEqual([]);
    });

    test('every type a shipped declaration file imports relatively is shipped too', () => {
      const shipped = new Set(files);
      const missing: string[] = [];
      for (const file of files.filter((name) => name.endsWith('.d.ts'))) {
        const code = readFileSync(path.join(root, file), 'utf8');
        for (const [, target] of code.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          const resolved = path.posix.join(path.posix.dirname(file), target);
          if (![`${resolved}.d.ts`, `${resolved}/index.d.ts`].some((candidate) => shipped.has(candidate))) missing.push(`${file} → ${target}`);
        }
      }
      expect(missing).toEqual([]);
    });
  });

  test('handler bundles are prebuilt and hold no machine-specific path, so asset hashes match on every machine', () => {
    const assets = path.join(root, 'assets');
    const bundles = readdirSync(assets, { recursive: true }).map(String).filter((file) => file.endsWith('index.js'));
    expect(bundles).toEqual(expect.arrayContaining(['verifier/index.js']));
    for (const bundle of bundles) {
      const code = readFileSync(path.join(assets, bundle), 'utf8');
      expect(code).not.toContain(root);
      expect(statSync(path.join(assets, bundle)).size).toBeGreaterThan(1000);
    }
  });

});
