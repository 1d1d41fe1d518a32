import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/**
 * The esbuild options of the handler bundles (lambda/bundling/esbuild-options.cjs): what each
 * rewrite of the SDK's sources keeps, and what it is for. The bundles themselves are exercised on
 * the wire in bundled-sdk.test.ts.
 */
const bundling = require('../../../lambda/bundling/esbuild-options.cjs') as {
  ALIASES: Record<string, string>;
  CLIENT_PACKAGE_JSON: RegExp;
  CLIENT_SCHEMAS: RegExp;
  FS_PROMISES_IMPORTERS: RegExp;
  inlineSchemaKeys(source: string): string;
  handlerBuildOptions(options?: { lazyModules?: Record<string, string> }): BuildOptions;
};

const ROOT = path.join(__dirname, '..', '..', '..');
const CLIENTS = ['client-dynamodb', 'client-sqs', 'client-secrets-manager', 'client-lambda'];
let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'hw-bundling-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bundles `entry` (source text) with the handler options (or without the SDK source rewrites) and returns the output's text and path. */
async function bundle(name: string, entry: string, options: { rewrites?: boolean; minify?: boolean; lazyModules?: Record<string, string>; resolveDir?: string } = {}): Promise<{ file: string; text: string }> {
  const outfile = path.join(work, `${name}.js`);
  const base = bundling.handlerBuildOptions({ lazyModules: options.lazyModules });
  await build({ ...base, plugins: options.rewrites === false ? [] : base.plugins, minify: options.minify ?? base.minify, stdin: { contents: entry, resolveDir: options.resolveDir ?? ROOT, loader: 'ts' }, outfile, logLevel: 'silent' });
  return { file: outfile, text: readFileSync(outfile, 'utf8') };
}

/**
 * A schema graph as plain data: shapes are nested arrays whose members are thunks (`() => X$`),
 * possibly recursive; classes by name, Maps as entries, objects seen before as references.
 */
function normalize(value: unknown, seen = new Map<object, number>()): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'function') return value;
    const source = Function.prototype.toString.call(value);
    if (source.startsWith('class') || /^function [A-Z]/.test(source)) return `class ${(value as { name: string }).name}`;
    if ((value as () => unknown).length === 0) return { thunk: normalize((value as () => unknown)(), seen) };
    return `function/${(value as () => unknown).length}`;
  }
  if (seen.has(value)) return { ref: seen.get(value) };
  seen.set(value, seen.size);
  if (Array.isArray(value)) return value.map((item) => normalize(item, seen));
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [normalize(k, seen), normalize(v, seen)]) };
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, normalize((value as Record<string, unknown>)[key], seen)]));
}

describe.each(CLIENTS)('the schema keys of @aws-sdk/%s, written out', (client) => {
  const schemas = path.join(ROOT, 'node_modules', '@aws-sdk', client, 'dist-es', 'schemas', 'schemas_0.js');

  test('are the same objects: every exported shape, error registry and trait is unchanged', async () => {
    expect(bundling.CLIENT_SCHEMAS.test(schemas)).toBe(true);
    const entry = `export * from ${JSON.stringify(schemas)};`;
    const original = await bundle(`${client}-original`, entry, { rewrites: false, minify: false });
    const rewritten = await bundle(`${client}-rewritten`, entry, { minify: false });
    const [a, b] = [require(original.file) as Record<string, unknown>, require(rewritten.file) as Record<string, unknown>];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(normalize(b)).toEqual(normalize(a));
  });

  test('leave no computed key that names one of the module\'s string constants', () => {
    const source = readFileSync(schemas, 'utf8');
    const constants = new Set([...source.matchAll(/^const (\w+) = "/gm)].map((m) => m[1]));
    const computed = (text: string) => [...text.matchAll(/[{,]\s*\[(\w+)\]:/g)].map((m) => m[1]).filter((name) => constants.has(name));
    expect(computed(source).length).toBeGreaterThan(0);
    expect(computed(bundling.inlineSchemaKeys(source))).toEqual([]);
  });
});

test('written-out keys let esbuild leave out the shapes of operations a bundle never sends (the rotation bundle\'s Lambda client)', async () => {
  const entry = "export { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';";
  const withRewrites = await bundle('lambda-invoke', entry);
  const without = await bundle('lambda-invoke-original', entry, { rewrites: false });
  const anotherOperation = '/2015-03-31/functions/{FunctionName}/code';
  expect(without.text).toContain(anotherOperation);
  expect(withRewrites.text).not.toContain(anotherOperation);
  expect(withRewrites.text).toContain('/2015-03-31/functions/{FunctionName}/invocations');
  expect(withRewrites.text.length).toBeLessThan(without.text.length - 30_000);
});

test('a client\'s package.json is bundled as its name and version only (the client reads `version`, for the User-Agent)', async () => {
  const manifest = path.join(ROOT, 'node_modules', '@aws-sdk', 'client-sqs', 'package.json');
  expect(bundling.CLIENT_PACKAGE_JSON.test(manifest)).toBe(true);
  const { file } = await bundle('sqs-manifest', `export { default as manifest } from ${JSON.stringify(manifest)};`, { minify: false });
  const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string };
  expect((require(file) as { manifest: unknown }).manifest).toEqual({ name, version });
});

test('every package alias names a module of lambda/bundling that exists', () => {
  expect(Object.keys(bundling.ALIASES).sort()).toEqual(['@aws-sdk/credential-provider-node', '@smithy/core/event-streams', 'mnemonist/lru-cache']);
  for (const target of Object.values(bundling.ALIASES)) {
    expect(path.dirname(target)).toBe(path.join(ROOT, 'lambda', 'bundling'));
    expect(existsSync(target)).toBe(true);
  }
});

test('the SDK modules given the lazy fs/promises are there, and import it for readFile alone', () => {
  const importers = [
    path.join(ROOT, 'node_modules', '@smithy', 'core', 'dist-es', 'submodules', 'config', 'shared-ini-file-loader', 'readFile.js'),
    path.join(ROOT, 'node_modules', '@smithy', 'core', 'dist-es', 'submodules', 'config', 'shared-ini-file-loader', 'getSSOTokenFromFile.js'),
    path.join(ROOT, 'node_modules', '@aws-sdk', 'credential-provider-http', 'dist-es', 'fromHttp', 'fromHttp.js'),
  ];
  for (const file of importers) {
    expect(bundling.FS_PROMISES_IMPORTERS.test(file)).toBe(true);
    const source = readFileSync(file, 'utf8');
    const imports = [...source.matchAll(/^import (.+) from "node:fs\/promises";$/gm)].map((m) => m[1]);
    expect({ file, imports }).toEqual({ file, imports: [expect.stringMatching(/^(\{ readFile( as \w+)? \}|\w+)$/)] });
    if (!imports[0].startsWith('{')) expect([...source.matchAll(new RegExp(`\\b${imports[0]}\\.(\\w+)`, 'g'))].map((m) => m[1])).toEqual(['readFile']);
  }
});

describe('lazy modules (lazyModulesPlugin): bundled apart, required at run time from beside the handler', () => {
  /** A handler folder in the work directory: an entry source and a lazy module holding a marker string. */
  function sources(name: string): { dir: string; lazy: string } {
    const dir = mkdtempSync(path.join(work, `${name}-`));
    const lazy = path.join(dir, 'heavy.ts');
    writeFileSync(lazy, "export const heavy = () => 'THE HEAVY MODULE ITSELF';\n");
    return { dir, lazy };
  }

  test('a require() of the module is left to Node as the file beside the bundle, and its code is not in the bundle', async () => {
    const { dir, lazy } = sources('required');
    const entry = "export const use = () => (require('./heavy') as typeof import('./heavy')).heavy();";
    const { file, text } = await bundle('lazy-required', entry, { lazyModules: { [lazy]: 'heavy.js' }, resolveDir: dir, minify: false });
    expect(text).toContain('require("./heavy.js")');
    expect(text).not.toContain('THE HEAVY MODULE ITSELF');
    // AND it works once the lazy module's own bundle is beside it
    await build({ ...bundling.handlerBuildOptions(), entryPoints: [lazy], outfile: path.join(work, 'heavy.js'), logLevel: 'silent' });
    expect((require(file) as { use(): string }).use()).toBe('THE HEAVY MODULE ITSELF');
  });

  test('without the plugin, or for a module that is not listed, the same require() bundles the code in', async () => {
    const { dir } = sources('unlisted');
    const entry = "export const use = () => (require('./heavy') as typeof import('./heavy')).heavy();";
    expect((await bundle('lazy-none', entry, { resolveDir: dir, minify: false })).text).toContain('THE HEAVY MODULE ITSELF');
    expect((await bundle('lazy-other', entry, { lazyModules: { [path.join(dir, 'other.ts')]: 'other.js' }, resolveDir: dir, minify: false })).text).toContain('THE HEAVY MODULE ITSELF');
  });

  test('a static import of a listed module still bundles it (only require() is left out): the bundle tests catch such a slip', async () => {
    const { dir, lazy } = sources('imported');
    const { text } = await bundle('lazy-imported', "import { heavy } from './heavy'; export const use = heavy;", { lazyModules: { [lazy]: 'heavy.js' }, resolveDir: dir, minify: false });
    expect(text).toContain('THE HEAVY MODULE ITSELF');
    expect(text).not.toContain('require("./heavy.js")');
  });
});
