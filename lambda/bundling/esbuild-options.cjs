'use strict';
/**
 * The esbuild options every handler bundle is built with (scripts/bundle-handlers.mjs), here so that
 * the tests in test/lambda/bundling build with exactly the same ones. CommonJS, so that both the
 * build script (an ES module) and Jest can load it.
 *
 * Each bundle carries the AWS SDK v3 clients it uses, tree-shaken from their ES modules; what a
 * Lambda function cannot use, or a handler never sends, is swapped out here. Every substitution keeps
 * the behaviour a deployed function has, and each has its tests in test/lambda/bundling.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');

/**
 * Packages replaced by a module of lambda/bundling:
 * - the SDK's default credential chain, by the two links a Lambda function can use
 *   (lambda-credentials.ts);
 * - the event-stream serde, which no bundled client sends and which only an `import()` pulled in
 *   (event-streams.ts);
 * - mnemonist's LRU cache behind DynamoDB's endpoint cache, by the same cache over a Map (lru-cache.ts).
 */
const ALIASES = {
  '@aws-sdk/credential-provider-node': path.join(__dirname, 'lambda-credentials.ts'),
  '@smithy/core/event-streams': path.join(__dirname, 'event-streams.ts'),
  'mnemonist/lru-cache': path.join(__dirname, 'lru-cache.ts'),
};

/**
 * The SDK modules that import `node:fs/promises`, to read a file on a request (the shared config
 * files; the container authorization token file; the SSO token file, which only the S3 client's
 * configuration reaches): they get fs-promises.ts, which loads it only to read a file that exists.
 */
const FS_PROMISES_IMPORTERS = /[\\/]node_modules[\\/](@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]shared-ini-file-loader[\\/](readFile|getSSOTokenFromFile)\.js|@aws-sdk[\\/]credential-provider-http[\\/]dist-es[\\/]fromHttp[\\/]fromHttp\.js)$/;
const FS_PROMISES = path.join(__dirname, 'fs-promises.ts');

/** A bundled client's package.json: the clients read only `version` from it (for the User-Agent). */
const CLIENT_PACKAGE_JSON = /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/** A client's schema module: one `const _x = "…"` per name, and shapes that use them as keys. */
const CLIENT_SCHEMAS = /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * Writes the computed keys of a client's schema module that name one of its string constants
 * (`{ [_h]: [...] }`, where `const _h = "http"`) as the string itself (`{ "http": [...] }`): the same
 * object, but one esbuild can see is free of side effects (a computed key might run code), so that
 * the shapes of operations a handler never sends are left out. Without it the rotation bundle kept
 * all 400 shapes of the Lambda API for its one `Invoke`.
 */
function inlineSchemaKeys(source) {
  const constants = new Map();
  for (const [, name, literal] of source.matchAll(/^const (\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(name, literal);
  return source.replace(/([{,]\s*)\[(\w+)\]:/g, (match, before, name) => (constants.has(name) ? `${before}${constants.get(name)}:` : match));
}

/** The esbuild plugin that applies the source rewrites above. */
function sdkSourcePlugin() {
  return {
    name: 'hardened-webhooks-sdk-source',
    setup(build) {
      build.onLoad({ filter: CLIENT_PACKAGE_JSON }, (args) => {
        const { name, version } = JSON.parse(readFileSync(args.path, 'utf8'));
        return { contents: JSON.stringify({ name, version }), loader: 'json' };
      });
      build.onLoad({ filter: CLIENT_SCHEMAS }, (args) => ({ contents: inlineSchemaKeys(readFileSync(args.path, 'utf8')), loader: 'js' }));
      build.onResolve({ filter: /^node:fs\/promises$/ }, (args) => (FS_PROMISES_IMPORTERS.test(args.importer) ? { path: FS_PROMISES } : undefined));
    },
  };
}

/**
 * Leaves a handler's `require()` of one of its lazy modules to Node at run time, as the `require` of
 * the file beside it: `modules` maps each lazy module's source (an absolute path, as
 * scripts/bundle-handlers.mjs lists it) to its file name in the handler's asset folder. A lazy module
 * is bundled on its own (the S3 client, which only large bodies and the archive use), so a handler
 * that never loads it never parses it. Only `require()` calls are left out: a static `import` of the
 * module (not `import type`) would still bundle it, and the bundle tests would say so.
 */
function lazyModulesPlugin(modules) {
  return {
    name: 'hardened-webhooks-lazy-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind !== 'require-call') return undefined;
        const target = path.resolve(args.resolveDir, args.path);
        const file = modules[target] ?? modules[`${target}.ts`];
        return file === undefined ? undefined : { path: `./${file}`, external: true };
      });
    },
  };
}

/**
 * Options for one handler bundle; add `entryPoints` and `outfile`. `lazyModules`: see
 * {@link lazyModulesPlugin}.
 */
function handlerBuildOptions({ lazyModules = {} } = {}) {
  return {
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // ES module entry points first, so esbuild can drop the commands and protocols a handler never uses.
    mainFields: ['module', 'main'],
    alias: { ...ALIASES },
    plugins: [sdkSourcePlugin(), ...(Object.keys(lazyModules).length > 0 ? [lazyModulesPlugin(lazyModules)] : [])],
    legalComments: 'none',
  };
}

module.exports = { ALIASES, CLIENT_PACKAGE_JSON, CLIENT_SCHEMAS, FS_PROMISES_IMPORTERS, inlineSchemaKeys, sdkSourcePlugin, lazyModulesPlugin, handlerBuildOptions };
