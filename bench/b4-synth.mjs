// B4 — synth: synthesizing the example app (`node dist/bin/example-app.js`, what cdk.json runs)
// against synthesizing an empty CDK app, in the same run, each into a fresh CDK_OUTDIR.
//
//   npm run build && node bench/b4-synth.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fmt, median, options, progress, spread, table, timeProcess, writeResult } from './lib/common.mjs';

const opts = options();
const ROUNDS = opts.rounds ?? 5;
const APP = join(ROOT, 'dist', 'bin', 'example-app.js');
const CDK_VERSION = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version;
if (!existsSync(APP)) throw new Error('dist/bin/example-app.js is missing: run "npm run build" first');

/** Temporary directory holding the example app's template for the template-only variant (see exampleTemplate). */
let templateDir;
process.on('exit', () => { if (templateDir) rmSync(templateDir, { recursive: true, force: true }); });

/** Rebuilds the template at $B4_TEMPLATE from raw CfnResources (same logical IDs, properties and options) and synthesizes it. */
const templateOnlyApp = ({ nag }) => [
  "const c=require('aws-cdk-lib');const t=JSON.parse(require('fs').readFileSync(process.env.B4_TEMPLATE,'utf8'));",
  "const a=new c.App();",
  // cdk-nag registered as the example app registers it (bin/example-app.ts).
  nag ? "c.Validations.of(a).addPlugins(new (require('cdk-nag').AwsSolutionsChecks)(a));" : '',
  "const s=new c.Stack(a,'TemplateOnly');",
  "for(const[id,r]of Object.entries(t.Resources)){const x=new c.CfnResource(s,id,{type:r.Type,properties:r.Properties});",
  "for(const k of['DependsOn','Condition','DeletionPolicy','UpdateReplacePolicy','UpdatePolicy','CreationPolicy'])if(r[k]!==undefined)x.addOverride(k,r[k]);}",
  "for(const[id,o]of Object.entries(t.Outputs??{}))new c.CfnOutput(s,id,{value:o.Value,description:o.Description});",
  'a.synth();',
].join('');

const variants = [
  { id: 'empty', label: 'app with no stack: `new App().synth()`', args: ['-e', "new (require('aws-cdk-lib').App)().synth()"] },
  { id: 'empty-stack', label: '**empty CDK app**: one empty `Stack`', args: ['-e', "const c=require('aws-cdk-lib');const a=new c.App();new c.Stack(a,'Empty');a.synth()"] },
  { id: 'example', label: '**example app** (`node dist/bin/example-app.js`, cdk-nag AwsSolutions checks on)', args: [APP] },
  // The example's own synthesized template, rebuilt from raw CfnResources in an otherwise empty app: no construct
  // code, no assets, no cdk-nag, a heap the size of the empty app's. What this template alone costs through synth
  // and aws-cdk-lib's validation, however it is produced.
  { id: 'template-only', label: 'the example\'s template alone: the same resources as raw `CfnResource`s in an empty app', args: ['-e', templateOnlyApp({ nag: false })], env: () => ({ B4_TEMPLATE: exampleTemplate() }) },
  // The same with cdk-nag registered: everything the example app pays that does not depend on how the
  // template is produced. No construct code can bring the example app below this.
  { id: 'template-nag', label: 'the example\'s template alone, with cdk-nag registered as the example app does', args: ['-e', templateOnlyApp({ nag: true })], env: () => ({ B4_TEMPLATE: exampleTemplate() }) },
  {
    id: 'example-no-nag',
    label: 'example app without cdk-nag (same stack, no checks plugin)',
    args: ['-e', `const { App } = require('aws-cdk-lib'); const { StripeWebhooksStack } = require(${JSON.stringify(APP)}); const app = new App(); new StripeWebhooksStack(app, 'HardenedWebhooksExample'); app.synth();`],
  },
  // aws-cdk-lib's built-in CloudFormation validation switched off (CDK_VALIDATION=false), to show its share.
  { id: 'empty-stack-no-validation', label: 'empty CDK app, `CDK_VALIDATION=false`', args: ['-e', "const c=require('aws-cdk-lib');const a=new c.App();new c.Stack(a,'Empty');a.synth()"], env: { CDK_VALIDATION: 'false' } },
  { id: 'example-no-validation', label: 'example app (with cdk-nag), `CDK_VALIDATION=false`', args: [APP], env: { CDK_VALIDATION: 'false' } },
];

/** One synth into a fresh CDK_OUTDIR, timed; fails unless the app wrote a cloud assembly. */
function synth(variant) {
  const outdir = mkdtempSync(join(tmpdir(), `hw-bench-synth-${variant.id}-`));
  try {
    const env = typeof variant.env === 'function' ? variant.env() : variant.env;
    const t = timeProcess(process.execPath, variant.args, { env: { ...process.env, CDK_OUTDIR: outdir, NODE_NO_WARNINGS: '1', ...env } });
    if (variant.id !== 'empty' && !existsSync(join(outdir, 'manifest.json'))) throw new Error(`${variant.id} wrote no cloud assembly`);
    if (variant.id.startsWith('template-')) checkSameResources(join(outdir, 'TemplateOnly.template.json'));
    return t;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// One profiled synth of the example app first: it also warms the page cache for every variant
// (the example app reads a superset of what the others read).
progress('B4: profiling one synth of the example app (also the warm-up)');
const profile = profileSynth();
progress(`B4: ${ROUNDS} interleaved rounds of ${variants.length} synths`);
const samples = new Map(variants.map((v) => [v.id, { wall: [], cpu: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]);
  for (const v of order) {
    const t = synth(v);
    samples.get(v.id).wall.push(t.wallMs);
    samples.get(v.id).cpu.push(t.cpuMs);
  }
}


const m = (id, clock = 'cpu') => median(samples.get(id)[clock]);
const floorId = 'empty-stack';
const rows = variants.map((v) => [
  v.label,
  fmt.ms(m(v.id, 'wall')),
  fmt.pct(spread(samples.get(v.id).wall)),
  fmt.ratio(m(v.id, 'wall') / m(floorId, 'wall')),
  fmt.ms(m(v.id)),
  `**${fmt.ratio(m(v.id) / m(floorId))}**`,
  fmt.ratio(m(v.id) / m('empty')),
]);
const ratio = m('example') / m(floorId);
const ratioNoNag = m('example-no-nag') / m(floorId);
const nagMs = m('example') - m('example-no-nag');
const targets = [
  {
    name: 'example app synth ≤ 1.5× an empty CDK app',
    measured: `${fmt.ratio(ratio)} in CPU time with cdk-nag, ${fmt.ratio(ratioNoNag)} without (wall: ${fmt.ratio(m('example', 'wall') / m(floorId, 'wall'))} / ${fmt.ratio(m('example-no-nag', 'wall') / m(floorId, 'wall'))}); the template alone with cdk-nag, no construct code: ${fmt.ratio(m('template-nag') / m(floorId))}`,
    met: ratio <= 1.5,
  },
];
const headline = [`example app synth: ${fmt.ratio(ratio)} an empty CDK app (CPU time; ${fmt.ratio(ratioNoNag)} without cdk-nag, which costs ${fmt.ms(nagMs)} ms of ${fmt.ms(m('example'))} ms; ${fmt.ratio(m('example-no-validation') / m('empty-stack-no-validation'))} with aws-cdk-lib's template validation off on both sides)`];

const markdown = `Time of \`node <app>\` from start to exit (bash \`time\`), each synth into a fresh temporary \`CDK_OUTDIR\`, median of ${ROUNDS} interleaved rounds after a warm-up synth of the example app (so every variant reads aws-cdk-lib from the page cache): wall clock, and CPU time (user + system, all threads), the steadier figure on this shared machine; the target is judged on CPU time. The floor is the **empty CDK app with one empty stack**: it pays the same Node start, the same \`aws-cdk-lib\` core and, like every stack, aws-cdk-lib's built-in CloudFormation template validation (a WebAssembly module it loads at synth). An app with no stack at all (first row) synthesizes nothing — no template, no validation — so it measures little more than Node starting. The ratio to the empty stack isolates what the example app adds: its constructs (the endpoint, two processors with queues and dead-letter queues, scoped tokens with rotation, alarms and an encrypted topic), the fingerprinting of the handler bundles, and cdk-nag.

${table(['variant', 'wall ms', 'spread', 'wall × empty', 'CPU ms', 'CPU × empty', 'CPU × no-stack app'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r'])}

Self time of one profiled synth of the example app (\`node --cpu-prof\`, idle samples excluded), by package:

${table(['where', 'share of samples'], profile.map(([k, v]) => [k, `${(v * 100).toFixed(0)}%`]), ['l', 'r'])}

- aws-cdk-lib's built-in CloudFormation template validation (on by default for every stack in aws-cdk-lib ${CDK_VERSION}; \`CDK_VALIDATION=false\` turns it off) is ${fmt.ms(m(floorId) - m('empty-stack-no-validation'))} ms of the empty app and ${fmt.ms(m('example') - m('example-no-validation'))} ms of the example app. Without it on both sides the example app is ${fmt.ratio(m('example-no-validation') / m('empty-stack-no-validation'))} the empty app: what remains is the example's constructs, the fingerprinting of its assets, cdk-nag and loading the aws-cdk-lib modules they use. Switching it off is the app's choice, not the library's.
- The example's template alone — its ${Object.keys(JSON.parse(readFileSync(exampleTemplate(), 'utf8')).Resources).length} resources rebuilt as raw \`CfnResource\`s in an otherwise empty app, so no construct code, no assets, no cdk-nag and a heap the size of the empty app's — is ${fmt.ratio(m('template-only') / m(floorId))} the empty app (${fmt.ms(m('template-only') - m(floorId))} ms more CPU): that share comes with the template, however it is produced. The example app's other ${fmt.ms(m('example') - m('template-only'))} ms are its constructs and the aws-cdk-lib modules they load, fingerprinting its assets, cdk-nag, and validation running on a larger heap (the validator's WebAssembly memory growth triggers full garbage collections, which cost more the more the app has loaded).
- **The floor under the target.** The same template with cdk-nag registered, still without a line of construct code, is ${fmt.ratio(m('template-nag') / m(floorId))} the empty app: of the 1.5× the target allows, that leaves ${fmt.ratio(Math.max(0, 1.5 - m('template-nag') / m(floorId)))} (${fmt.ms(Math.max(0, 1.5 * m(floorId) - m('template-nag')))} ms) for everything the constructs add, against ${fmt.ratio((m('example') - m('template-nag')) / m(floorId))} (${fmt.ms(m('example') - m('template-nag'))} ms) measured. A profile of where that goes (one session's, not repeated by this script): the library's own modules load in about 50 ms and its construct code runs in under 10 ms; most of the rest is aws-cdk-lib — \`Code.fromAsset\` loads region-info (about 1.3 MB of region facts, for every function, the app's own processors too) — and cdk-nag, whose rules load a hundred more aws-cdk-lib service modules to run \`instanceof\` checks, and the validator's full garbage collections, which cost more on the larger heap that all of it leaves. Loading our verifier schemes, WAF module or asset folders lazily was measured and saves a few milliseconds each; none of it moves the ratio.
- cdk-nag (the AwsSolutions pack the example app registers) is ${fmt.ms(nagMs)} ms of the example app's ${fmt.ms(m('example'))} ms of CPU (${((nagMs / m('example')) * 100).toFixed(0)}%).
- \`npx cdk synth\` adds the CLI's own start (it spawns the same command) and is not what is measured here.
`;

/** The example app's template (synthesized once, validation off: the template does not depend on it), as a file path. */
function exampleTemplate() {
  if (templateDir) return join(templateDir, 'template.json');
  templateDir = mkdtempSync(join(tmpdir(), 'hw-bench-template-'));
  const outdir = join(templateDir, 'out');
  const r = spawnSync(process.execPath, [APP], { cwd: ROOT, env: { ...process.env, CDK_OUTDIR: outdir, CDK_VALIDATION: 'false', NODE_NO_WARNINGS: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`example app synth failed (${r.status}): ${r.stderr.slice(-2000)}`);
  writeFileSync(join(templateDir, 'template.json'), readFileSync(join(outdir, 'HardenedWebhooksExample.template.json')));
  rmSync(outdir, { recursive: true, force: true });
  return join(templateDir, 'template.json');
}

/** The template-only app must have produced the example's resources exactly (construct metadata aside). */
function checkSameResources(file) {
  const canonical = (v) => (Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v);
  const strip = (resources) => JSON.stringify(canonical(Object.fromEntries(Object.entries(resources).map(([id, { Metadata: _, ...rest }]) => [id, rest]))));
  const want = JSON.parse(readFileSync(exampleTemplate(), 'utf8')).Resources;
  const got = JSON.parse(readFileSync(file, 'utf8')).Resources;
  if (strip(want) !== strip(got)) throw new Error('the template-only app did not reproduce the example app\'s resources');
}

function profileSynth() {
  const dir = mkdtempSync(join(tmpdir(), 'hw-bench-prof-'));
  const outdir = mkdtempSync(join(tmpdir(), 'hw-bench-synth-prof-'));
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '500', APP], { cwd: ROOT, env: { ...process.env, CDK_OUTDIR: outdir, NODE_NO_WARNINGS: '1' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`example app synth failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const totals = new Map();
    let n = 0;
    for (const id of prof.samples) {
      const url = byId.get(id)?.callFrame.url ?? '';
      const fn = byId.get(id)?.callFrame.functionName ?? '';
      if (fn === '(idle)') continue; // the thread waiting (for the disk, or for a core held by another process)
      n++;
      let key;
      if (url.startsWith('wasm://') || url.includes('@aws/cloudformation-validate')) key = 'aws-cdk-lib: CloudFormation template validation (@aws/cloudformation-validate, WebAssembly)';
      else if (url.includes('node_modules/')) {
        const inner = url.slice(url.lastIndexOf('node_modules/') + 'node_modules/'.length).split('/');
        const pkg = inner[0].startsWith('@') ? `${inner[0]}/${inner[1]}` : inner[0];
        key = pkg === 'aws-cdk-lib' ? `aws-cdk-lib › ${inner[1]}` : pkg;
      }
      else if (url.startsWith('node:') || url === '') key = fn === '(garbage collector)' ? 'garbage collector' : fn === '(program)' ? 'V8/Node native code (compiling, module loading, …)' : 'Node built-ins (module loading, fs, hashing, …)';
      else key = `this library (${url.replace(`file://${ROOT}/`, '').split('/').slice(0, 2).join('/')})`;
      totals.set(key, (totals.get(key) ?? 0) + 1);
    }
    return [...totals].map(([k, v]) => [k, v / n]).sort((a, b) => b[1] - a[1]).slice(0, 12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  }
}

writeResult('b4', { title: 'B4 — Synth', command: 'npm run build && node bench/b4-synth.mjs', markdown, targets, headline, samples: Object.fromEntries(samples) });
process.stdout.write(markdown);
