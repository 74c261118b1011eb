/**
 * scripts/test.mjs runs this suite once per engine (ROSTER_TEST_ENGINE), unit
 * and end-to-end tests alike. Single tests that only make sense on SQLite say
 * so by name (test/support/engine.ts) and are skipped on PostgreSQL.
 * @type {import('jest').Config}
 */

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // The tests run as CommonJS, as the bundle does; tsconfig.json's ESM settings are for the typecheck.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', verbatimModuleSyntax: false } }] },
  // End-to-end tests spawn the CLI; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 30000,
};
