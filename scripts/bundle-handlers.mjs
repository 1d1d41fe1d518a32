// Bundles every Lambda handler with esbuild at library build time. Consumers load the bundles with
// lambda.Code.fromAsset and need neither esbuild nor Docker at synth; the output is deterministic,
// so asset hashes are the same on every machine.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bundling from '../lambda/bundling/esbuild-options.cjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * name → entry point. Each bundle carries the AWS SDK v3 clients it uses, tree-shaken from their ES
 * modules: the Lambda runtime has an SDK too, but loading its CommonJS builds (every command of each
 * service) was most of the verifier's cold start (BENCHMARKS.md, B3), and the SDK the handlers run
 * must be the one their retry and timeout settings were tested with. How SDK fixes reach users: README,
 * "The bundled AWS SDK". The esbuild options, and the SDK pieces swapped for Lambda, are in
 * lambda/bundling/esbuild-options.cjs.
 */
export const HANDLERS = {
  verifier: 'lambda/verifier/index.ts',
  rotation: 'lambda/rotation/index.ts',
  'example/fulfilment': 'bin/processors/fulfilment.ts',
  'example/audit': 'bin/processors/audit.ts',
};

/**
 * Asset folder → { file name → entry point }: modules a handler `require`s only when it first needs
 * them, each bundled as a file of its own beside the handler's index.js (see `lazyModulesPlugin` in
 * lambda/bundling/esbuild-options.cjs). The verifier's S3 client is one: only large bodies and the
 * archive write to S3, and the verifier that does neither must not parse it at every cold start.
 */
export const LAZY_MODULES = {
  verifier: { 's3.js': 'lambda/verifier/s3.ts' },
};

/** Beside each bundle: the packages inside it (see {@link bundledPackages}), and their licences. */
export const BUNDLED_PACKAGES = 'bundled-packages.json';
export const THIRD_PARTY_LICENSES = 'THIRD-PARTY-LICENSES.txt';

const extra = JSON.parse(process.env.HW_EXTRA_HANDLERS ?? '{}');

rmSync(join(root, 'assets'), { recursive: true, force: true });
await Promise.all(Object.entries({ ...HANDLERS, ...extra }).map(async ([name, entry]) => {
  const folder = join(root, 'assets', name);
  const lazy = Object.entries(LAZY_MODULES[name] ?? {});
  const lazyModules = Object.fromEntries(lazy.map(([file, source]) => [join(root, source), file]));
  const results = await Promise.all([['index.js', entry], ...lazy].map(([file, source]) => build({
    ...bundling.handlerBuildOptions(file === 'index.js' ? { lazyModules } : {}),
    entryPoints: [join(root, source)],
    outfile: join(folder, file),
    metafile: true,
    logLevel: 'warning',
  })));
  // One list and one licence file per folder: what is deployed together is described together.
  const packages = bundledPackages(results.map((result) => result.metafile));
  writeFileSync(join(folder, BUNDLED_PACKAGES), `${JSON.stringify(Object.fromEntries(packages.map(({ name: packageName, version, license }) => [packageName, { version, license }])), null, 2)}\n`);
  writeFileSync(join(folder, THIRD_PARTY_LICENSES), licenceTexts(packages));
}));

/**
 * Every npm package whose code is in a folder's bundles — an input that contributed bytes to an
 * output, not merely one esbuild read — with its version and licence, from esbuild's metafiles: what
 * a software-composition scanner, or a user checking whether an SDK advisory applies to a deployed
 * function, reads (the bundles are minified and carry no legal comments).
 */
function bundledPackages(metafiles) {
  const packages = new Map();
  for (const [output, { inputs }] of metafiles.flatMap((metafile) => Object.entries(metafile.outputs))) {
    if (!output.endsWith('.js')) continue;
    for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
      const at = input.lastIndexOf('node_modules/');
      if (at < 0 || bytesInOutput === 0) continue;
      const parts = input.slice(at + 'node_modules/'.length).split('/');
      const packageName = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      if (packages.has(packageName)) continue;
      const dir = join(root, input.slice(0, at), 'node_modules', packageName);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      packages.set(packageName, { name: packageName, version: manifest.version, license: manifest.license ?? 'UNKNOWN', dir });
    }
  }
  return [...packages.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The licence text of every bundled package, as its licence asks to be kept with copies (MIT's
 * copyright notice among them): minifying drops the notices from the code itself. Packages whose
 * licence files are identical (the AWS SDK's Apache-2.0 text) share one copy.
 */
function licenceTexts(packages) {
  const byText = new Map();
  for (const { name, version, license, dir } of packages) {
    const file = readdirSync(dir).find((entry) => /^(licen[sc]e|copying)(\.(md|txt))?$/i.test(entry));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file in the package; its package.json says ${license})`;
    byText.set(text, [...(byText.get(text) ?? []), `${name}@${version} (${license})`]);
  }
  return [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`).join(`\n${'-'.repeat(72)}\n\n`);
}
