import { runEsm } from './support/esm';

/**
 * The layering rules of eslint.config.mjs fire where they should and only there. `npm test` runs the
 * linter over the whole tree (it must be clean); these cases prove a violation would fail it. The
 * files are virtual: linted from text, under the path whose rules apply, all in one child process
 * (ESLint loads its configuration as an ES module, which Jest's CommonJS runtime cannot).
 */
const FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ['lambda/verifier/new.ts', "import { App as x } from 'aws-cdk-lib';"],
  ['lambda/runtime/new.ts', "import { Construct as x } from 'constructs';"],
  ['lambda/runtime/new.ts', "import * as x from 'aws-cdk-lib/aws-sqs';"],
  ['lambda/shared/new.ts', "import { x } from '../../lib/endpoint';"],
  ['lambda/verifier/schemes/new.ts', "import { SQSClient as x } from '@aws-sdk/client-sqs';"],
  ['lambda/verifier/schemes/new.ts', "import { readFileSync as x } from 'node:fs';"],
  ['lambda/verifier/schemes/new.ts', "import { createVerifier as x } from '../handler';"],
  ['lambda/verifier/schemes/new.ts', "import { ClaimStore as x } from '../claims';"],
  ['lib/new.ts', "import { createVerifier as x } from '../lambda/verifier/handler';"],
  ['lib/new.ts', "import { x } from '../lambda/runtime/processor';"],
];

const ALLOWED: ReadonlyArray<readonly [string, string]> = [
  ['lambda/verifier/schemes/new.ts', "import { createHmac as x } from 'node:crypto';"],
  ['lambda/verifier/schemes/new.ts', "import { hmac as x } from '../crypto';"],
  ['lambda/verifier/schemes/new.ts', "import { ERROR_CODES as x } from '../../shared/contract';"],
  ['lambda/verifier/schemes/new.ts', "import { stripeScheme as x } from './stripe';"],
  ['lambda/verifier/new.ts', "import { SQSClient as x } from '@aws-sdk/client-sqs';"],
  ['lib/new.ts', "import { ENV as x } from '../lambda/shared/contract';"],
  ['lib/new.ts', "import { stripeScheme as x } from '../lambda/verifier/schemes/stripe';"],
  ['lib/new.ts', "import { App as x } from 'aws-cdk-lib';"],
  ['local/new.ts', "import { createVerifier as x } from '../lambda/verifier/handler';"],
];

/** The `no-restricted-imports` messages for each case, in order. */
function restrictedImports(cases: ReadonlyArray<readonly [string, string]>): string[][] {
  return JSON.parse(runEsm(`import { ESLint } from 'eslint';
import { join } from 'node:path';
// Type-aware rules need the file on disk, in the TypeScript project; the import rules do not.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    languageOptions: { parserOptions: { project: null, projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});
const out = [];
for (const [path, source] of ${JSON.stringify(cases)}) {
  const [result] = await eslint.lintText(source + '\\nexport const used = x;\\n', { filePath: join(process.cwd(), path) });
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(path + ' did not parse: ' + fatal.map((m) => m.message).join('; '));
  out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
}
console.log(JSON.stringify(out));`)) as string[][];
}

describe('the architecture, as lint rules', () => {
  it('refuses each import across a layer, with the reason', () => {
    const messages = restrictedImports(FORBIDDEN);
    FORBIDDEN.forEach(([path, source], index) => {
      expect({ path, source, count: messages[index].length }).toEqual({ path, source, count: 1 });
    });
    expect(messages[0][0]).toMatch(/runtime code/);
    expect(messages[4].join()).toMatch(/pure function of bytes, headers, clock and secrets/);
    expect(messages[8][0]).toMatch(/only through lambda\/shared and the schemes/);
  });

  it('allows what the layout allows', () => {
    expect(restrictedImports(ALLOWED)).toEqual(ALLOWED.map(() => []));
  });
});
