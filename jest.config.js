/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // End-to-end tests spawn the CLI; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 30000,
};
