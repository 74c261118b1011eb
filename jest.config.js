/**
 * scripts/test.mjs runs this suite once per engine (ROSTER_TEST_ENGINE).
 * On PostgreSQL, the unit tests are left out: they open an SQLite file of
 * their own (test/unit/helpers.ts). Single tests that only make sense on
 * SQLite say so by name (test/support/engine.ts) and are skipped there.
 * @type {import('jest').Config}
 */
const NOT_YET_ON_POSTGRES = ['<rootDir>/test/unit/'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.ROSTER_TEST_ENGINE === 'postgres' ? NOT_YET_ON_POSTGRES : [])],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // End-to-end tests spawn the CLI; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 30000,
};
