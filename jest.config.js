// One jest run for the whole workspace: unit, integration and e2e tiers by file suffix.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];

const tier = (displayName, testMatch, extra = {}) => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  testMatch,
  cacheDirectory: '<rootDir>/.jest-cache',
  ...extra,
});

module.exports = {
  maxWorkers: 2,
  projects: [
    tier('unit', ['<rootDir>/{libs,services,gateway,tools}/**/*.unit.spec.ts']),
    tier('int', ['<rootDir>/{libs,services,gateway,bench}/**/*.int.spec.ts'], { slowTestThreshold: 30 }),
    tier('e2e', ['<rootDir>/e2e/**/*.e2e.spec.ts'], { slowTestThreshold: 60 }),
    // Large simulated fleets (10,000 servers) load both cores for minutes: `npm test` runs them
    // alone, after the other tiers, so that they cannot slow the timing-sensitive tests down.
    tier('fleet', ['<rootDir>/e2e/**/*.fleet.spec.ts'], { slowTestThreshold: 180 }),
  ],
};
