// Mutation testing of the verifier and the runtime with Stryker. Run it with `npm run mutation`
// (scripts/mutation.mjs starts moto once, runs Stryker with this config and writes MUTATION.md);
// running `npx stryker run` directly works too if HW_MOTO_ENDPOINT points at a running moto server.
// See MUTATION.md for what is tested, the scores and the surviving mutants.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    // test/lambda/verifier and test/lambda/runtime, no global set-up.
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: false,
  },
  // No type checker: ts-jest transpiles without type-checking (isolatedModules), so a mutant that does
  // not type-check still runs and is judged by the tests; see MUTATION.md for the measurement.
  checkers: [],
  mutate: [
    'lambda/verifier/**/*.ts',
    'lambda/runtime/**/*.ts',
  ],
  // Copy only what the tests need into the sandbox (the .venv alone is ~500 MB).
  ignorePatterns: ['/.venv', '/dist', '/assets', '/.bench', '/bench', '/cdk.out', '/coverage', '/.ci', '/MUTATION.md', '/BENCHMARKS.md'],
  coverageAnalysis: 'perTest',
  // Static mutants (module-level code run only at import: header names, scheme ids, the scheme
  // objects) make Stryker reload everything and run all ~380 tests for each one: ~40 s apiece on a
  // busy 2-core machine, most of a run's time for a few percent of the mutants. They are reported as
  // Ignored; `npm run mutation -- --ignoreStatic false` tests them too.
  ignoreStatic: true,
  incremental: true,
  // Committed on purpose (see .gitignore): a re-run only tests mutants whose code or covering tests changed.
  incrementalFile: 'reports/stryker-incremental.json',
  // Two shared cores: one test runner per core; generous timeouts so a busy machine is not read as a hang.
  concurrency: 2,
  timeoutFactor: 3,
  timeoutMS: 10000,
  dryRunTimeoutMinutes: 15,
  // A test runner is restarted now and then to shed memory from repeated module loads.
  maxTestRunnerReuse: 200,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false, reportScoreTable: true },
  thresholds: { high: 90, low: 75, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
