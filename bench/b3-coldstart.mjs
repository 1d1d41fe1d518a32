// B3 — cold start proxy: size of each bundled handler (assets/<name>/index.js, as `npm run build`
// makes them: the AWS SDK bundled in, tree-shaken, minified) and the wall time of a Node process that
// loads it, against bare `node -e 0` in the same run, against the same handler with the SDK left
// external (the Lambda runtime's CommonJS SDK, as 0.1 shipped it) and against a default esbuild bundle.
//
//   npm run build && node bench/b3-coldstart.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT, WORK, fmt, median, options, progress, spread, table, timeProcess, writeResult } from './lib/common.mjs';

const opts = options();
const ROUNDS = opts.rounds ?? (opts.quick ? 7 : 21);
/** Resamples for the bootstrap interval of each ratio. */
const RESAMPLES = 2000;
const OUT = join(WORK, 'b3');

/** The handlers `scripts/bundle-handlers.mjs` builds (read from its HANDLERS table, not imported: importing it rebuilds). */
function handlers() {
  const source = readFileSync(join(ROOT, 'scripts', 'bundle-handlers.mjs'), 'utf8');
  const block = /export const HANDLERS = \{([\s\S]*?)\};/.exec(source)?.[1] ?? '';
  const entries = [...block.matchAll(/['"]?([\w/.-]+)['"]?\s*:\s*['"]([^'"]+)['"]/g)].map((m) => [m[1], m[2]]);
  if (entries.length === 0) throw new Error('could not read HANDLERS from scripts/bundle-handlers.mjs');
  return entries;
}

/** Environment of a Lambda execution environment, plus what each handler reads at module load. */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  NODE_NO_WARNINGS: '1',
  HW_VERIFIER_CONFIG: JSON.stringify({
    endpointName: 'Bench/Endpoint', provider: { scheme: 'stripe', options: {} }, signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
    secretCacheTtlSeconds: 60, toleranceSeconds: 300, maxBodyBytes: 262144, tableName: 'bench-table', retentionSeconds: 604800,
    processors: [{ name: 'fulfilment', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench.fifo', eventTypes: ['payment_intent.*'] }],
  }),
  HW_TABLE_NAME: 'bench-table',
  HW_PROCESSOR_NAME: 'bench',
};

/**
 * Every timed process gets this machine's environment with the Lambda variables above, minus what a
 * Lambda execution environment does not have: `NODE_EXTRA_CA_CERTS`, which Lambda's Node.js 20+
 * runtimes leave unset unless the function sets it, makes Node parse a CA bundle at start (about 45 ms
 * with this machine's), which would inflate bare node and shrink every ratio.
 */
const CHILD_ENV = (() => {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...inherited } = process.env;
  return { ...inherited, ...LAMBDA_ENV };
})();

/**
 * esbuild's defaults for a Node bundle: CommonJS, not minified, every dependency (the SDK too)
 * bundled in. A package the code requires lazily but that is not installed (e.g. an SDK client only
 * the Lambda runtime provides) is left as a require; returns those names.
 */
async function defaultBundle(entry, outfile) {
  const external = [];
  for (;;) {
    try {
      await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', external, logLevel: 'silent' });
      return external;
    } catch (error) {
      const unresolved = (error.errors ?? []).map((e) => /Could not resolve "([^"]+)"/.exec(e.text)?.[1]).filter(Boolean);
      if (unresolved.length === 0 || unresolved.every((m) => external.includes(m))) throw error;
      external.push(...unresolved.filter((m) => !external.includes(m)));
    }
  }
}

progress('B3: building comparison bundles');
const variants = [{ id: 'bare', label: '`node -e 0`', code: '0' }];
variants.push({
  id: 'sdk', label: 'node + `require` of the three SDK clients only (no handler)',
  code: "require('@aws-sdk/client-dynamodb');require('@aws-sdk/client-sqs');require('@aws-sdk/client-secrets-manager')",
});
// The staircase from bare node to the shipped verifier: the built-ins any AWS call loads, then the
// bundle compiled but not run; the shipped row adds running it. What each step costs is where a
// cold-start budget goes (see "Where the verifier's time goes" below the table).
const AWS_BUILTINS = ['https', 'crypto', 'stream', 'os'];
const requireBuiltins = AWS_BUILTINS.map((m) => `require('node:${m}');`).join('');
variants.push({ id: 'builtins', label: `node + the built-ins any AWS call loads (${AWS_BUILTINS.map((m) => `\`${m}\``).join(', ')}), no handler`, code: requireBuiltins });
const verifierBundle = join(ROOT, 'assets', 'verifier', 'index.js');
variants.push({
  id: 'verifier:compiled',
  label: 'node + those built-ins + the verifier bundle compiled, not run (`vm.Script`)',
  code: `${requireBuiltins}const f=${JSON.stringify(verifierBundle)};new (require('node:vm').Script)(require('node:module').wrap(require('node:fs').readFileSync(f,'utf8')),{filename:f})`,
});
for (const [name, entry] of handlers()) {
  const shipped = join(ROOT, 'assets', name, 'index.js');
  if (!existsSync(shipped)) throw new Error(`${relative(ROOT, shipped)} is missing: run "npm run build" first`);
  variants.push({ id: `${name}:shipped`, handler: name, kind: 'shipped', label: `**${name}** (as shipped: SDK bundled in, tree-shaken, minified)`, file: shipped });
  if (name.startsWith('example/')) continue;
  // What 0.1 shipped: minified, every `@aws-sdk/*` module left to the Lambda runtime's SDK (CommonJS builds).
  const external = join(OUT, 'sdk-external', name, 'index.js');
  await build({ entryPoints: [join(ROOT, entry)], outfile: external, bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, legalComments: 'none', external: ['@aws-sdk/*'], logLevel: 'error' });
  variants.push({ id: `${name}:external`, handler: name, kind: 'external', label: `${name}: SDK external, the runtime's (as 0.1 shipped it)`, file: external });
  // esbuild's defaults for a Node bundle: CommonJS, not minified, every dependency (the SDK too) bundled in, CommonJS builds.
  const dflt = join(OUT, 'default', name, 'index.js');
  const missing = await defaultBundle(join(ROOT, entry), dflt);
  const note = missing.length > 0 ? `; not installed, left as \`require\`: ${missing.map((m) => `\`${m}\``).join(', ')}` : '';
  variants.push({ id: `${name}:default`, handler: name, kind: 'default', label: `${name}: default esbuild bundle (not minified, SDK's CommonJS builds bundled in${note})`, file: dflt });
}
for (const v of variants) {
  if (!v.file) continue;
  v.code = `require(${JSON.stringify(v.file)})`;
  const bytes = readFileSync(v.file);
  v.bytes = statSync(v.file).size;
  v.gzip = gzipSync(bytes, { level: 9 }).length;
}

// Each variant must load cleanly before it is timed.
for (const v of variants) {
  const r = spawnSync(process.execPath, ['-e', v.code], { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${v.id} does not load: ${r.stderr}`);
}

progress(`B3: ${ROUNDS} interleaved rounds of ${variants.length} process starts`);
const samples = new Map(variants.map((v) => [v.id, { wall: [], cpu: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]);
  for (const v of order) {
    const t = timeProcess(process.execPath, ['-e', v.code], { env: CHILD_ENV });
    samples.get(v.id).wall.push(t.wallMs);
    samples.get(v.id).cpu.push(t.cpuMs);
  }
}

// Where the load time goes, measured inside one process per variant (median of several).
progress('B3: in-process breakdown');
const breakdownScript = `
const now = () => Number(process.hrtime.bigint()) / 1e6;
const t0 = now();
const sdk = ${JSON.stringify(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager'])};
const mode = process.argv[1];
if (mode === 'sdk-first') for (const m of sdk) require(m);
const t1 = now();
require(process.argv[2]);
const t2 = now();
process.stdout.write(JSON.stringify({ sdkMs: t1 - t0, handlerMs: t2 - t1, modules: Object.keys(require.cache).length }));`;
const breakdown = {};
for (const v of variants.filter((x) => x.file)) {
  const runs = [];
  for (let i = 0; i < (opts.quick ? 3 : 7); i++) {
    const cold = spawnSync(process.execPath, ['-e', breakdownScript, 'cold', v.file], { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8' });
    const warm = spawnSync(process.execPath, ['-e', breakdownScript, 'sdk-first', v.file], { cwd: ROOT, env: CHILD_ENV, encoding: 'utf8' });
    runs.push({ cold: JSON.parse(cold.stdout), warm: JSON.parse(warm.stdout) });
  }
  breakdown[v.id] = {
    loadMs: median(runs.map((r) => r.cold.handlerMs)),
    ownMs: median(runs.map((r) => r.warm.handlerMs)),
    modules: runs[0].cold.modules,
  };
}

const stat = (id) => ({ median: median(samples.get(id).wall), spread: spread(samples.get(id).wall), cpu: median(samples.get(id).cpu) });
const bare = stat('bare').median;
const bareCpu = stat('bare').cpu;

/**
 * 95 % bootstrap interval of median(variant) / median(bare) over the rounds: rounds are resampled in
 * pairs (a round's variant and bare start ran back to back, under the same load), so the interval
 * carries the machine's drift as well as each variant's own noise.
 */
function ratioInterval(id, clock = 'wall') {
  const mine = samples.get(id)[clock];
  const base = samples.get('bare')[clock];
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const ratios = [];
  for (let i = 0; i < RESAMPLES; i++) {
    const picks = Array.from({ length: mine.length }, () => Math.floor(random() * mine.length));
    ratios.push(median(picks.map((k) => mine[k])) / median(picks.map((k) => base[k])));
  }
  ratios.sort((a, b) => a - b);
  return [ratios[Math.floor(RESAMPLES * 0.025)], ratios[Math.ceil(RESAMPLES * 0.975) - 1]];
}
const interval = (id, clock) => {
  const [lo, hi] = ratioInterval(id, clock);
  return `${lo.toFixed(2)}–${hi.toFixed(2)}`;
};
const rows = variants.map((v) => {
  const s = stat(v.id);
  const b = breakdown[v.id];
  return [
    v.label,
    v.bytes === undefined ? '—' : fmt.bytes(v.bytes),
    v.gzip === undefined ? '—' : fmt.bytes(v.gzip),
    fmt.ms(s.median),
    fmt.pct(s.spread),
    `**${fmt.ratio(s.median / bare)}**`,
    v.id === 'bare' ? '—' : interval(v.id, 'wall'),
    fmt.ms(s.cpu),
    fmt.ratio(s.cpu / bareCpu),
    b ? fmt.ms(b.loadMs) : '—',
    b ? fmt.ms(b.ownMs) : '—',
    b ? String(b.modules) : '—',
  ];
});

const ratio = (id) => stat(id).median / bare;
const bytesOf = (id) => variants.find((v) => v.id === id).bytes;
const sdkOnly = stat('sdk').median;
const step = (id) => stat(id).median;
const budgetMs = 0.5 * bare;
const where = {
  builtins: step('builtins') - bare,
  compile: step('verifier:compiled') - step('builtins'),
  run: step('verifier:shipped') - step('verifier:compiled'),
};
const coldStartTarget = (name) => ({
  name: `${name} process with its bundle loaded ≤ 1.5× bare node`,
  measured: `${fmt.ratio(ratio(`${name}:shipped`))} wall (95 % interval ${interval(`${name}:shipped`, 'wall')}; ${fmt.ms(stat(`${name}:shipped`).median)} ms vs ${fmt.ms(bare)} ms); ${fmt.ratio(stat(`${name}:shipped`).cpu / bareCpu)} in CPU time; SDK external (0.1): ${fmt.ratio(ratio(`${name}:external`))}`,
  met: ratio(`${name}:shipped`) <= 1.5,
});
const targets = [
  coldStartTarget('verifier'),
  coldStartTarget('rotation'),
  {
    name: 'verifier and rotation bundles ≤ 450 KiB, the SDK inside',
    measured: `verifier ${fmt.bytes(bytesOf('verifier:shipped'))}, rotation ${fmt.bytes(bytesOf('rotation:shipped'))}`,
    met: bytesOf('verifier:shipped') <= 450 * 1024 && bytesOf('rotation:shipped') <= 450 * 1024,
  },
];
const headline = [
  `verifier bundle ${fmt.bytes(bytesOf('verifier:shipped'))} with the SDK inside; a process that loads it takes ${fmt.ratio(ratio('verifier:shipped'))} the time of bare node (95 % interval ${interval('verifier:shipped', 'wall')}), against ${fmt.ratio(ratio('verifier:external'))} with the runtime's SDK`,
  `rotation bundle ${fmt.bytes(bytesOf('rotation:shipped'))}: ${fmt.ratio(ratio('rotation:shipped'))} (${interval('rotation:shipped', 'wall')}), against ${fmt.ratio(ratio('rotation:external'))} with the runtime's SDK`,
];

const markdown = `Time of a whole Node process (\`node -e "require('<bundle>')"\`, start to exit, as bash's \`time\` reports it), median of ${ROUNDS} interleaved rounds (each round starts every variant once, in rotating order): wall clock, and CPU time (user + system, all threads), which does not grow while another process holds the core. "× bare" is the ratio to \`node -e 0\` in the same run; "95 % interval" is a bootstrap interval of that ratio over the rounds (${RESAMPLES} resamples of whole rounds), so a reader can tell a real difference from this shared machine's noise. Run with the environment a Lambda execution environment has (region, credentials, the function's variables; \`HW_VERIFIER_CONFIG\` is a valid configuration). An SDK left external resolves from \`node_modules\`, as it resolves from the runtime on Lambda. "load ms" is the time \`require(bundle)\` takes inside the process; "own ms" is the same \`require\` when the three SDK clients were already loaded from \`node_modules\` — for a bundle with the SDK inside, its own copy of the SDK is part of "own ms". Sizes are bytes on disk and gzip -9.

${table(['variant', 'size', 'gzip', 'wall ms', 'spread', 'wall × bare', '95 % interval', 'CPU ms', 'CPU × bare', 'load ms', 'own ms', 'modules'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])}

- **Why the SDK is bundled.** The Lambda runtime's SDK is CommonJS, one file per client with every command of the service: loading the three clients alone takes ${fmt.ms(sdkOnly - bare)} ms over a bare start ("node + \`require\`" row), which was most of 0.1's cold start (the "SDK external" rows). Bundled from its ES modules, esbuild keeps only the commands and protocol code a handler uses (the verifier: 3 DynamoDB, 1 SQS, 1 Secrets Manager command). The bundles also replace the SDK's default credential chain by the two links a Lambda function can use (environment variables, then the container endpoint: \`lambda/bundling/lambda-credentials.ts\`), which drops the SSO, profile and web-identity providers and the STS and SSO clients they carry.
- **What it costs.** The bundles are larger, and they pin the SDK version the handlers were tested with instead of taking the runtime's: a fix in the SDK reaches users through a release of this library (README, "The bundled AWS SDK").
- **The environment.** Every process timed here, bare node included, runs without \`NODE_EXTRA_CA_CERTS\`${process.env.NODE_EXTRA_CA_CERTS ? ' (this machine sets it; it is removed)' : ''}: Lambda's Node.js runtimes do not set it, and with it Node parses a CA bundle at every start, which makes bare node slower and every ratio smaller.
- **Where the verifier's time goes** (medians of the staircase rows, so each step carries this machine's noise): the 1.5× target leaves ${fmt.ms(budgetMs)} ms over a bare start of ${fmt.ms(bare)} ms. Loading the built-ins an AWS call needs takes ${fmt.ms(where.builtins)} ms of it; compiling the ${fmt.bytes(bytesOf('verifier:shipped'))} bundle ${fmt.ms(where.compile)} ms; running its top level ${fmt.ms(where.run)} ms — the SDK's module bodies, building the three clients (each resolves its configuration, middleware stack and endpoint ruleset) and reading the verifier's configuration. Tree-shaken, the SDK is still most of the bundle (\`@smithy/core\` alone about 100 KB of it, the verifier's own code with all 17 schemes about 50 KB), so the compile step scales with it; and the clients must be built before the first request can call AWS, so moving them out of init would move the cost to the first request, not remove it. Node's compile cache (\`module.enableCompileCache\`, Node ≥ 22.1) would skip compiling on a later start of the same environment, but a cold start is a new environment with an empty cache. Lambda's own runtime has loaded some of the built-ins (its HTTP client) before the handler, which this proxy does not credit.
- **What the bundling swaps out** (\`lambda/bundling/esbuild-options.cjs\`): the SDK's event-stream serde, which no bundled client sends but whose one \`import()\` made esbuild wrap nearly every SDK module in a lazily initialised function (parsed twice, not tree-shaken) and carry its codec and \`node:zlib\`; each client's \`package.json\` beyond its version; mnemonist's LRU cache behind DynamoDB's endpoint cache (the same cache over a \`Map\`); and \`node:fs/promises\` in the shared config file loader and the container credential provider, which is loaded only to read a file that exists. The computed keys of the clients' schema modules are written out so that the shapes of operations a handler never sends are left out.
- **Rare paths stay out of init.** The rotation handler's Lambda client (for \`TokenIssuer.fromFunction\`) is constructed on its first call only; its \`Invoke\` command and shapes are loaded with the bundle (requiring the client on first use instead kept all of \`@aws-sdk/client-lambda\` and cost more at init than they do).
`;

writeResult('b3', { title: 'B3 — Cold start proxy: bundle size and module load', command: 'npm run build && node bench/b3-coldstart.mjs', markdown, targets, headline, samples: Object.fromEntries(samples) });
process.stdout.write(markdown);
