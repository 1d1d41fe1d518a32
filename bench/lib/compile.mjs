// Precompiles the TypeScript under test with esbuild so that the benchmarks run plain JavaScript,
// exactly as the bundled handler does (same compiler, same target), without ts-node in the timings.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, WORK } from './common.mjs';

const PAYLOAD = join(ROOT, 'lambda', 'verifier', 'payload.ts');

/**
 * Replaces `parseJsonBody` and `jsonEvent` (the JSON parse a scheme runs after the signature matched) with stubs
 * that returns a fixed event, so that a scheme's `verify()` can be timed without the parse: the
 * "verify-only" figure. Everything else in `payload.ts` stays real.
 */
const stubJsonParse = {
  name: 'stub-json-parse',
  setup(b) {
    b.onResolve({ filter: /(^|\/)payload$/ }, (args) => {
      if (args.namespace === 'stub') return undefined;
      const resolved = join(args.resolveDir, `${args.path}.ts`);
      return resolved === PAYLOAD ? { path: PAYLOAD, namespace: 'stub' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      resolveDir: join(ROOT, 'lambda', 'verifier'),
      loader: 'ts',
      contents: `export * from ${JSON.stringify(PAYLOAD)};
const STUB = { value: { id: 'evt_bench', type: 'bench.event', action: 'bench' } };
export function parseJsonBody(_body: Buffer) { return STUB; }
const EVENT = { ok: true as const, event: { id: 'evt_bench', type: 'bench.event', payload: STUB.value } };
export function jsonEvent(_body: Buffer, _fields: unknown) { return EVENT; }`,
    }));
  },
};

/**
 * Bundles the verifier's request normalisation and scheme registry (and the test suite's API
 * Gateway event builder) to one CommonJS file. `verifyOnly` stubs the post-verification JSON parse.
 */
export async function compileVerifierLib({ verifyOnly = false } = {}) {
  mkdirSync(WORK, { recursive: true });
  const outfile = join(WORK, verifyOnly ? 'verifier-lib.verify-only.cjs' : 'verifier-lib.cjs');
  await build({
    stdin: {
      contents: `export { schemeById } from './lambda/verifier/schemes';
export { toInboundRequest } from './lambda/verifier/http';
export { decodeForm } from './lambda/verifier/payload';
export { apiGatewayEvent } from './test/support/requests';`,
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'bench-verifier-entry.ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    plugins: verifyOnly ? [stubJsonParse] : [],
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Bundles one TypeScript entry (e.g. the handler harness) to CommonJS under .bench/bundles/: two
 * levels below the repository, as the construct's lib/private/ is, so that the construct bundled in
 * it finds the handler bundles where it looks from its own folder (`../../assets`).
 */
export async function compileEntry(entry, name, extra = {}) {
  const outfile = join(WORK, 'bundles', `${name}.cjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    ...extra,
  });
  return outfile;
}
