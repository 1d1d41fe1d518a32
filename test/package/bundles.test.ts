import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

/**
 * The handler bundles the constructs deploy (`npm run build`, scripts/bundle-handlers.mjs): each is
 * self-contained — the AWS SDK inside, nothing left for the Lambda runtime to provide — and says
 * which packages it carries (README, "The bundled AWS SDK").
 */
const ROOT = path.join(__dirname, '..', '..');
const SHIPPED = ['verifier', 'rotation'];
const BUILTINS = new Set(builtinModules);

function bundle(name: string): string {
  return readFileSync(path.join(ROOT, 'assets', name, 'index.js'), 'utf8');
}

function manifest(name: string): Record<string, { version: string; license: string }> {
  return JSON.parse(readFileSync(path.join(ROOT, 'assets', name, 'bundled-packages.json'), 'utf8')) as Record<string, { version: string; license: string }>;
}

describe.each(SHIPPED)('the %s bundle', (name) => {
  test('requires nothing but Node built-ins and its own files: the AWS SDK and every other package are inside', () => {
    const folder = path.join(ROOT, 'assets', name);
    // Every file of the asset: the verifier loads its S3 client from a sibling file, on first use.
    for (const file of readdirSync(folder).filter((entry) => entry.endsWith('.js'))) {
      // Not `[require("…")]`: the S3 client's error text about SigV4a shows that call; it calls nothing.
      const required = [...readFileSync(path.join(folder, file), 'utf8').matchAll(/(?<!\[)\brequire\("([^"]+)"\)/g)].map((match) => match[1]);
      expect(required.length).toBeGreaterThan(0);
      const siblings = required.filter((id) => id.startsWith('./'));
      for (const sibling of siblings) expect({ file, sibling, exists: existsSync(path.join(folder, sibling)) }).toEqual({ file, sibling, exists: true });
      expect({ file, packages: [...new Set(required.filter((id) => !id.startsWith('./') && !id.startsWith('node:') && !BUILTINS.has(id)))] }).toEqual({ file, packages: [] });
    }
  });

  test('does not carry the SDK\'s whole default credential chain (only environment and container credentials apply in Lambda)', () => {
    const packages = Object.keys(manifest(name));
    expect(packages).toEqual(expect.arrayContaining(['@aws-sdk/credential-provider-env', '@aws-sdk/credential-provider-http']));
    for (const unreachable of ['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/nested-clients']) {
      expect(packages).not.toContain(unreachable);
    }
  });

  test('carries no event-stream codec, and so loads no node:zlib (no bundled client sends an event stream: lambda/bundling/event-streams.ts)', () => {
    const source = bundle(name);
    expect(source).toContain('event streams are not bundled into this handler');
    expect(source).not.toMatch(/\brequire\("(node:)?zlib"\)/);
    for (const codec of ['EventStreamCodec', 'MessageDecoderStream', 'Message, header length, and payload']) expect(source).not.toContain(codec);
  });

  test('keeps the SDK in one module scope, not each module wrapped in a lazily initialised function (B3)', () => {
    // esbuild wraps an ES module in `__esm(() => { … })` when it, or a module importing it, is loaded by
    // require() or import(): the wrapped code is parsed twice and cannot be tree-shaken. One
    // import() is left: the event-stream stub's (lambda/bundling/event-streams.ts). The verifier had 165 such modules, the rotation handler 444.
    const source = bundle(name);
    const helper = /var ([\w$]+)=\(([\w$]),([\w$]),([\w$])\)=>\(\)=>\{if\(\4\)throw \4\[0\];try\{return \2&&\(\3=\2\(\2=0\)\),\3\}/.exec(source);
    const wrapped = helper ? source.split(`${helper[1]}(()=>`).length - 1 : 0;
    expect(wrapped).toBeLessThanOrEqual(1);
  });

  test('ships the licence text of every bundled package beside it (minifying dropped the notices from the code)', () => {
    const licences = readFileSync(path.join(ROOT, 'assets', name, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const [packageName, { version }] of Object.entries(manifest(name))) expect(licences).toContain(`${packageName}@${version} (`);
    expect(licences).toMatch(/Apache License\s+Version 2\.0/);
    if (manifest(name).mnemonist) expect(licences).toMatch(/Permission is hereby granted, free of charge/);
  });

  test('lists every bundled package with the version installed here and its licence', () => {
    const listed = manifest(name);
    expect(Object.keys(listed)).toEqual(expect.arrayContaining(['@aws-sdk/client-secrets-manager', '@smithy/core']));
    for (const [packageName, { version, license }] of Object.entries(listed)) {
      const installed = path.join(ROOT, 'node_modules', packageName, 'package.json');
      expect({ packageName, exists: existsSync(installed) }).toEqual({ packageName, exists: true });
      expect({ packageName, version }).toEqual({ packageName, version: (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version });
      expect({ packageName, license }).toEqual({ packageName, license: expect.stringMatching(/^(Apache-2\.0|MIT|ISC|BSD-\d-Clause|0BSD)$/) });
    }
  });
});
