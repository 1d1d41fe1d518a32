// The linter `npm test` runs first. Beyond typescript-eslint's recommended rules it holds the
// architecture the layout describes (README, "Architecture"), so that a change that blurs it fails
// CI instead of waiting for a reviewer to notice:
// - lambda/ is runtime code: it never reaches aws-cdk-lib, constructs or lib/;
// - a scheme is a pure function of bytes, headers, clock and secrets: node:crypto, the verifier's
//   helpers and the shared contract only — no SDK, no I/O, no handler module;
// - lib/ reaches handler code only through lambda/shared and the schemes (the one deliberate bridge:
//   a provider's required headers have one source, see lib/provider.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NOT_IN_RUNTIME_CODE = [
  { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'lambda/ is runtime code: it is bundled into handlers and never loads the CDK.' },
  { regex: '^(\\.\\./)+lib(/|$)', message: 'lambda/ never imports lib/: shared names belong in lambda/shared/contract.ts.' },
];

const SCHEMES_ARE_PURE = [
  ...NOT_IN_RUNTIME_CODE,
  {
    // Anything but node:crypto and relative modules: no SDK, no other node: module (no I/O).
    regex: '^(?!node:crypto$)(?!\\.{1,2}/)',
    message: 'A scheme depends only on node:crypto, the verifier\'s helpers and the shared contract: it is a pure function of bytes, headers, clock and secrets.',
  },
  {
    regex: '^\\.\\./(handler|claims|dispatch|secrets|index|http|routing|errors|objects|archive|s3)(\\.ts)?$',
    message: 'A scheme never reaches the verifier\'s handler or its AWS-facing modules.',
  },
];

/** Unused code is an error; `_`-prefixed names and rest siblings are how code says "deliberately dropped". */
const UNUSED = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true };

const LIB_BRIDGE = [
  {
    regex: '^(\\.\\./)+lambda/(?!shared/|verifier/schemes/)',
    message: 'lib/ reaches handler code only through lambda/shared and the schemes (required headers come from one source).',
  },
];

export default tseslint.config(
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    ignores: [
      '**/node_modules/**', '**/dist/**', 'assets/**', 'cdk.out/**', '**/cdk.out/**', 'coverage/**', '.bench/**',
      '.stryker-tmp/**', 'reports/**', 'dist-jsii/**', '.venv/**', '.venv-python-app/**', '.hardened-webhooks/**',
      'test/fixtures/**/cdk.out/**', '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', UNUSED],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', exports: 'writable', URLSearchParams: 'readonly', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', performance: 'readonly', AbortController: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', globalThis: 'readonly', fetch: 'readonly' },
    },
    rules: {
      // The build, bench and Jest configuration scripts are CommonJS or load CommonJS modules.
      '@typescript-eslint/no-require-imports': 'off',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', UNUSED],
    },
  },
  {
    // Tests load providers' official SDKs for known-answer vectors; several are CommonJS without
    // types, and some are required inside a test so that a missing devDependency fails that test only.
    files: ['test/**/*.ts'],
    // Tests also read parsed templates, AWS wire bodies and JSON answers of any shape.
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['lambda/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: NOT_IN_RUNTIME_CODE }] } },
  { files: ['lambda/verifier/schemes/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: SCHEMES_ARE_PURE }] } },
  { files: ['lib/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: LIB_BRIDGE }] } },
);
