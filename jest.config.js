/** Jest runs the TypeScript sources through swc (type checking is `tsc --noEmit`, run by `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // `*.solo.test.ts` time the gateway under load: `npm run test:solo` runs them alone, after the rest
  testPathIgnorePatterns: ['/node_modules/', '\\.solo\\.test\\.ts$'],
  // what the client-tooling test generates
  modulePathIgnorePatterns: ['<rootDir>/test/artifacts/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 30000,
};
