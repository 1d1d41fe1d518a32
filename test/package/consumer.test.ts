import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The packages as users get them: both tarballs made by `npm pack`, installed from the registry's
 * dependencies into a fresh CDK app, every TypeScript block of the README written into that app and
 * compiled under each module resolution a CDK app uses (node10 — what `cdk init` apps had for years —
 * node16 and bundler) with `skipLibCheck: false`, then the README's app synthesized, its processors
 * bundled by `NodejsFunction` from `hardened-webhooks-runtime`. README and code cannot drift apart.
 *
 * README conventions this relies on (and checks): a block whose first line is `// file: <path>` is
 * that file of the app; any other block is a file of its own. Every block compiles on its own.
 *
 * The same tarball then goes through jsii-pacmak to a Python wheel, and a Python CDK app
 * (test/package/python/app.py, in .venv-python-app at the aws-cdk-lib peer floor) synthesizes an
 * endpoint, a processor and a scoped token through the bindings: the package as a Python team gets it.
 */
const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const ROOT_PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; peerDependencies: Record<string, string> };

/** Versions the app installs: the ones this repository is built and tested with. */
function pinned(name: string): string {
  const range = ROOT_PACKAGE.devDependencies[name];
  if (!range) throw new Error(`${name} is not a devDependency of the repository`);
  return range.replace(/^[~^]/, '');
}

interface Block { readonly index: number; readonly line: number; readonly file: string; readonly code: string }

/** Every ```ts block of the README, with the app file it becomes. */
export function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const code = match[1];
    const line = markdown.slice(0, match.index).split('\n').length;
    const named = /^\/\/ file: (\S+)\n/.exec(code);
    blocks.push({ index: blocks.length + 1, line, file: named ? named[1] : `readme/block-${blocks.length + 1}.ts`, code });
  }
  return blocks;
}

function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env } });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`.slice(0, 8000), { cause: error });
  }
}

function pack(args: readonly string[], destination: string): { file: string; size: number; unpackedSize: number; entryCount: number } {
  const [result] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination, ...args], ROOT)) as Array<{ filename: string; size: number; unpackedSize: number; entryCount: number }>;
  return { file: path.join(destination, result.filename), size: result.size, unpackedSize: result.unpackedSize, entryCount: result.entryCount };
}

/** Sizes of installed packages: what a dependency costs the user, measured on disk. */
function installedFootprint(app: string, names: readonly string[]): { packages: number; bytes: number } {
  const seen = new Set<string>();
  let bytes = 0;
  const size = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) return sum;
    return sum + (entry.isDirectory() ? size(full) : statSync(full).size);
  }, 0);
  const visit = (name: string, from: string) => {
    let dir = from;
    let found: string | undefined;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) { found = candidate; break; }
      const parent = path.dirname(dir);
      if (parent === dir) return;
      dir = parent;
    }
    if (seen.has(found)) return;
    seen.add(found);
    bytes += size(found);
    const manifest = JSON.parse(readFileSync(path.join(found, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, found);
  };
  for (const name of names) visit(name, app);
  return { packages: seen.size, bytes };
}

/** Where scripts/ensure-python-tools.sh (npm test's pretest) installs the Python CDK app's packages. */
const PYTHON_APP_VENV = path.join(ROOT, '.venv-python-app');

interface CfnResource { readonly Type: string; readonly Properties?: Record<string, unknown> }

function templateResources(cdkOut: string): CfnResource[] {
  const templates = readdirSync(cdkOut).filter((file) => file.endsWith('.template.json'));
  return templates.flatMap((file) => Object.values((JSON.parse(readFileSync(path.join(cdkOut, file), 'utf8')) as { Resources: Record<string, CfnResource> }).Resources));
}

const RESOLUTIONS: ReadonlyArray<{ name: string; module: string; moduleResolution: string; lib?: readonly string[] }> = [
  { name: 'node10 (module commonjs)', module: 'commonjs', moduleResolution: 'node10' },
  // Older `cdk init` apps: the DOM lib beside Node's types, where `fetch` takes only DOM body types.
  { name: 'node10 with lib es2020 + dom (older cdk init)', module: 'commonjs', moduleResolution: 'node10', lib: ['es2020', 'dom'] },
  { name: 'node16', module: 'node16', moduleResolution: 'node16' },
  { name: 'bundler (module esnext)', module: 'esnext', moduleResolution: 'bundler' },
];

describe('the packages as a user installs them, and the README as a user copies it', () => {
  const blocks = readmeBlocks(README);
  let work: string;
  let app: string;
  const packed: Record<string, ReturnType<typeof pack>> = {};

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'hw-consumer-'));
    packed.constructs = pack([], work);
    packed.runtime = pack(['--workspace', 'packages/runtime'], work);
    app = path.join(work, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'readme-app',
      private: true,
      dependencies: {
        'hardened-webhooks': `file:${packed.constructs.file}`,
        'hardened-webhooks-runtime': `file:${packed.runtime.file}`,
        'aws-cdk-lib': pinned('aws-cdk-lib'),
        constructs: pinned('constructs'),
      },
      devDependencies: { typescript: pinned('typescript'), '@types/node': ROOT_PACKAGE.devDependencies['@types/node'], esbuild: pinned('esbuild') },
    }, null, 2));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    // Not from the README: proof that the types are real, not `any` (a missing `aws-lambda` types
    // package made the handler's types silently `any` under skipLibCheck).
    writeFileSync(path.join(app, 'types-are-real.ts'), [
      "import type { Context, SQSEvent } from 'aws-lambda';",
      "import { webhookProcessor, type WebhookEvent } from 'hardened-webhooks-runtime';",
      "import { HardenedWebhookEndpoint } from 'hardened-webhooks';",
      'type IsAny<T> = 0 extends 1 & T ? true : false;',
      'export const eventIsTyped: IsAny<WebhookEvent> = false;',
      'export const endpointIsTyped: IsAny<HardenedWebhookEndpoint> = false;',
      'export const handler = webhookProcessor((event) => {',
      '  const id: string = event.id;',
      '  // @ts-expect-error an event ID is a string',
      '  const wrong: number = event.id;',
      '  return void [id, wrong];',
      '});',
      'export const call = (event: SQSEvent, context: Context) => handler(event, context);',
      '',
    ].join('\n'));
    for (const block of blocks) {
      const file = path.join(app, block.file);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, block.code);
    }
  }, 600_000);

  afterAll(() => {
    if (work && !process.env.HW_KEEP_CONSUMER_APP) rmSync(work, { recursive: true, force: true });
  });

  test('the README has TypeScript blocks, each one a file of the app (two blocks never claim one file)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const files = blocks.map((block) => block.file);
    expect(new Set(files).size).toBe(files.length);
  });

  test('the only other code blocks are the contributors\' harness examples (```typescript, in "Local harness"): not part of a user\'s app', () => {
    const harness = README.indexOf('\n## Local harness');
    const after = README.indexOf('\n## ', harness + 1);
    const others = [...README.matchAll(/^```(typescript|tsx?|js|javascript)\n/gm)].filter((match) => match[1] !== 'ts');
    expect(harness).toBeGreaterThan(0);
    for (const match of others) {
      expect({ fence: match[1], inLocalHarness: (match.index ?? 0) > harness && (match.index ?? 0) < after }).toEqual({ fence: 'typescript', inLocalHarness: true });
    }
  });

  test('a CDK app that only defines endpoints installs no Lambda runtime dependency: hardened-webhooks adds itself and nothing else', () => {
    const manifest = JSON.parse(readFileSync(path.join(app, 'node_modules', 'hardened-webhooks', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(installedFootprint(app, ['hardened-webhooks']).packages).toBe(1);
    const footprint = {
      constructs: { packedKiB: Math.round(packed.constructs.size / 1024), unpackedKiB: Math.round(packed.constructs.unpackedSize / 1024), files: packed.constructs.entryCount },
      runtime: { packedKiB: Math.round(packed.runtime.size / 1024), unpackedKiB: Math.round(packed.runtime.unpackedSize / 1024), files: packed.runtime.entryCount },
      runtimeInstalled: installedFootprint(app, ['hardened-webhooks-runtime']),
    };
    process.stdout.write(`package footprint: ${JSON.stringify(footprint)}\n`);
    // The README's "Two packages" table states these figures: each within 10 % of what was measured.
    const row = (name: string) => {
      const cells = new RegExp(`^\\| \`${name}\` \\| ([\\d.]+) KiB \\| ([\\d.]+) KiB \\| (\\d+) \\| (.*) \\|$`, 'm').exec(README);
      if (!cells) throw new Error(`README has no size row for ${name}`);
      return cells;
    };
    const near = (stated: number, measured: number) => Math.abs(stated - measured) <= Math.max(1, measured * 0.1);
    const constructsRow = row('hardened-webhooks');
    const runtimeRow = row('hardened-webhooks-runtime');
    const installed = /(\d+) packages, ([\d.]+) MiB/.exec(runtimeRow[4]);
    expect({
      constructsPacked: near(Number(constructsRow[1]), footprint.constructs.packedKiB),
      constructsUnpacked: near(Number(constructsRow[2]), footprint.constructs.unpackedKiB),
      constructsFiles: near(Number(constructsRow[3]), footprint.constructs.files),
      runtimePacked: near(Number(runtimeRow[1]), footprint.runtime.packedKiB),
      runtimeUnpacked: near(Number(runtimeRow[2]), footprint.runtime.unpackedKiB),
      runtimeFiles: near(Number(runtimeRow[3]), footprint.runtime.files),
      runtimeInstalledPackages: installed !== null && near(Number(installed[1]), footprint.runtimeInstalled.packages),
      runtimeInstalledMiB: installed !== null && near(Number(installed[2]), footprint.runtimeInstalled.bytes / 1024 / 1024),
    }).toEqual({
      constructsPacked: true, constructsUnpacked: true, constructsFiles: true, runtimePacked: true, runtimeUnpacked: true, runtimeFiles: true, runtimeInstalledPackages: true, runtimeInstalledMiB: true,
    });
  });

  test.each(RESOLUTIONS)('every README block compiles with module resolution $name, skipLibCheck off, strict, and the packages\' types are real (not any)', ({ module, moduleResolution, lib }) => {
    const tsconfig = `tsconfig.${moduleResolution}${lib ? `.${lib.join('-')}` : ''}.json`;
    writeFileSync(path.join(app, tsconfig), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', lib: lib ?? ['ES2022'], module, moduleResolution, strict: true, skipLibCheck: false, noEmit: true, types: ['node'], esModuleInterop: true,
        // The README shows fragments of one app: a name declared in one block and used in another is fine.
        isolatedModules: false,
      },
      files: [...blocks.map((block) => block.file), 'types-are-real.ts'],
    }, null, 2));
    run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-p', tsconfig], app);
  }, 300_000);

  test('the README app synthesizes: the endpoint, its processors bundled from hardened-webhooks-runtime by NodejsFunction', () => {
    const entry = blocks.find((block) => block.code.includes('.synth()'));
    expect(entry).toBeDefined();
    writeFileSync(path.join(app, 'tsconfig.emit.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', lib: ['ES2022'], module: 'commonjs', moduleResolution: 'node10', strict: true, skipLibCheck: true, outDir: 'out', rootDir: '.', types: ['node'], esModuleInterop: true },
      files: [entry?.file],
    }, null, 2));
    run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.emit.json'], app);
    // As `cdk synth` runs an app: CDK_OUTDIR tells app.synth() where to write.
    run(process.execPath, [path.join('out', (entry?.file ?? '').replace(/\.ts$/, '.js'))], app, { CDK_OUTDIR: path.join(app, 'cdk.out') });
    const cdkOut = path.join(app, 'cdk.out');
    const resources = templateResources(cdkOut);
    expect(resources.filter((resource) => resource.Type === 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    expect(resources.filter((resource) => resource.Type === 'AWS::SQS::Queue').length).toBeGreaterThanOrEqual(2);
    // Each processor's bundle is in cdk.out and holds the runtime (bundled by esbuild, not left external).
    const bundles = readdirSync(cdkOut, { withFileTypes: true }).filter((entry) => entry.isDirectory() && entry.name.startsWith('asset.'))
      .map((entry) => path.join(cdkOut, entry.name, 'index.js')).filter((file) => existsSync(file))
      .filter((file) => readFileSync(file, 'utf8').includes('hardened-webhooks envelope'));
    expect(bundles.length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  describe('Python: the jsii bindings built from the same tarball', () => {
    let python: string;
    let wheel: string;
    let site: string;

    beforeAll(() => {
      if (!existsSync(path.join(PYTHON_APP_VENV, 'bin', 'python'))) {
        throw new Error(`${PYTHON_APP_VENV} is missing: run \`bash scripts/ensure-python-tools.sh\` (npm test's pretest does)`);
      }
      python = path.join(work, 'python');
      const extracted = path.join(python, 'tarball');
      mkdirSync(extracted, { recursive: true });
      run('tar', ['-xzf', packed.constructs.file, '-C', extracted], python);
      // jsii-pacmak reads the assemblies of the package's jsii dependencies (aws-cdk-lib, constructs)
      // from node_modules beside it: the repository's, at the pinned versions.
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(extracted, 'package', 'node_modules'), 'dir');
      // pacmak packs the directory again to embed the JavaScript in the wheel: no prepack build there.
      run(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'), [path.join(extracted, 'package'), '--targets', 'python', '--outdir', path.join(python, 'dist')], python, {
        npm_config_ignore_scripts: 'true', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
      });
      const wheels = readdirSync(path.join(python, 'dist', 'python')).filter((file) => file.endsWith('.whl'));
      expect(wheels).toHaveLength(1);
      wheel = path.join(python, 'dist', 'python', wheels[0]);
      // Into a directory of its own, not into the shared virtualenv: nothing of one run stays for the next.
      site = path.join(python, 'site');
      run(path.join(PYTHON_APP_VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', site, wheel], python);
    }, 300_000);

    test('the wheel\'s requirements are met by what a Python user installs at the peer floor (pip resolves them from the virtualenv alone)', () => {
      // A wheel is a zip: read its METADATA with the virtualenv's Python (no unzip binary needed).
      const metadata = run(path.join(PYTHON_APP_VENV, 'bin', 'python'), ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode())', wheel], python);
      expect(metadata).toMatch(/^Requires-Dist: aws-cdk-lib <3\.0\.0,>=2\.275\.0$/m);
      expect(metadata).toMatch(/^Requires-Dist: constructs <11\.0\.0,>=10\.5\.1$/m);
      // --no-index: every requirement must be satisfied by the installed packages, none fetched.
      const resolved = run(path.join(PYTHON_APP_VENV, 'bin', 'pip'), ['install', '--dry-run', '--no-index', '--disable-pip-version-check', wheel], python);
      expect(resolved).toMatch(/Would install hardened-webhooks-0\.1\.0\s*$/m);
    });

    test('a Python CDK app synthesizes an endpoint with a WAF, a Python processor and a scoped token through the bindings', () => {
      const cdkOut = path.join(python, 'cdk.out');
      const printed = run(path.join(PYTHON_APP_VENV, 'bin', 'python'), [path.join(ROOT, 'test', 'package', 'python', 'app.py')], python, {
        PYTHONPATH: site, CDK_OUTDIR: cdkOut, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
      });
      // What the app read back through the bindings: getters, enums, static factories, the refusal.
      const seen = JSON.parse(printed.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      expect(seen).toEqual({
        processorName: 'fulfilment',
        eventTypes: ['payment_intent.*'],
        tokens: ['orders-write'],
        requiredHeaders: ['Stripe-Signature'],
        blockedMetric: { name: 'BlockedRequests', rule: 'RateLimitPerIp' },
        refused: expect.stringMatching(/PythonWebhooks\/Stripe\/not a name: invalid props:\n- name must be .*; got "not a name"/),
      });
      const resources = templateResources(cdkOut);
      const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
      expect(ofType('AWS::ApiGateway::RestApi')).toHaveLength(1);
      expect(ofType('AWS::SecretsManager::RotationSchedule')).toHaveLength(1);
      const queues = ofType('AWS::SQS::Queue');
      expect(queues.map((queue) => queue.Properties?.FifoQueue)).toEqual([true, true]);
      const rateRule = (ofType('AWS::WAFv2::WebACL')[0]?.Properties?.Rules as Array<{ Name: string; Statement: { RateBasedStatement?: { Limit: number } } }>)
        .find((rule) => rule.Name === 'RateLimitPerIp');
      expect(rateRule?.Statement.RateBasedStatement?.Limit).toBe(2000);
      const processor = ofType('AWS::Lambda::Function').find((fn) => fn.Properties?.Runtime === 'python3.12');
      const variables = (processor?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.HW_PROCESSOR_NAME).toBe('fulfilment');
      expect(JSON.stringify(variables.HW_TOKENS)).toContain('orders-write');
      const mappings = ofType('AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(1);
      expect(mappings[0].Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }, 120_000);

    test('the README\'s Python block synthesizes as it stands', () => {
      const blocks = [...README.matchAll(/^```python\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
      expect(blocks).toHaveLength(1);
      const readmeApp = path.join(python, 'readme-app');
      mkdirSync(path.join(readmeApp, 'processors'), { recursive: true });
      writeFileSync(path.join(readmeApp, 'processors', 'fulfilment.py'), 'def handler(event, context):\n    return {"batchItemFailures": []}\n');
      writeFileSync(path.join(readmeApp, 'app.py'), blocks[0]);
      const cdkOut = path.join(readmeApp, 'cdk.out');
      run(path.join(PYTHON_APP_VENV, 'bin', 'python'), ['app.py'], readmeApp, { PYTHONPATH: site, CDK_OUTDIR: cdkOut, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' });
      const resources = templateResources(cdkOut);
      expect(resources.filter((resource) => resource.Type === 'AWS::ApiGateway::RestApi')).toHaveLength(1);
      expect(resources.filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    }, 120_000);
  });
});
