/**
 * Jest config for mutation runs only (`npm run mutation`, see MUTATION.md): the unit tests that reach
 * lambda/verifier and lambda/runtime, with no global set-up — scripts/mutation.mjs starts moto once,
 * outside Stryker, and passes its address in HW_MOTO_ENDPOINT.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  roots: ['<rootDir>/test'],
  transform: base.transform,
  snapshotSerializers: base.snapshotSerializers,
  testMatch: [
    '<rootDir>/test/lambda/verifier/**/*.test.ts',
    '<rootDir>/test/lambda/runtime/**/*.test.ts',
  ],
  testTimeout: base.testTimeout,
};
// Left out, measured (MUTATION.md): the property tests (test/hardening/properties-*.test.ts: 10,000
// cases per scheme, which cannot be lowered) and test/hardening/unsigned-inputs.test.ts (~17 s and it
// covers every scheme, crypto.ts and the handler, so surviving mutants there cost that much each).
// test/lambda/rotation tests code that imports nothing from lambda/verifier or lambda/runtime.
