import { createRequire } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const require = createRequire(import.meta.url);
const js = createRequire(require.resolve('eslint'))('@eslint/js');

const CONTEXTS = ['inventory', 'scheduling', 'execution', 'redundancy', 'compliance'];

/** Packages that do I/O or tie code to a framework: never inside `type:domain`. */
const FRAMEWORK_AND_IO_PACKAGES = [
  '@nestjs/*',
  '@nats-io/*',
  'nats',
  'pg',
  'pg-*',
  '@types/pg',
  '@electric-sql/*',
  'fastify',
  '@fastify/*',
  'mercurius',
  'graphql',
  'graphql-*',
  'jose',
  'rxjs',
  'reflect-metadata',
  'tsconfig-paths',
  '@swc-node/*',
  'supertest',
];

/** Node built-ins that do I/O, read the environment or generate randomness. */
const NODE_IO_MODULES = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'net',
  'tls',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'crypto',
  'process',
  'timers',
  'timers/promises',
  'events',
  'readline',
  'stream',
  'vm',
];

const typeConstraints = [
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain'],
    bannedExternalImports: FRAMEWORK_AND_IO_PACKAGES,
  },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:contracts', 'type:domain'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:testing', 'type:infra', 'type:contracts', 'type:domain'],
  },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:app', 'type:infra', 'type:contracts', 'type:domain'] },
  {
    sourceTag: 'type:e2e',
    onlyDependOnLibsWithTags: ['type:app', 'type:testing', 'type:infra', 'type:contracts', 'type:domain'],
  },
  {
    sourceTag: 'type:bench',
    onlyDependOnLibsWithTags: ['type:app', 'type:testing', 'type:infra', 'type:contracts', 'type:domain'],
  },
];

/** Test files of every project may also use `type:testing` (given/when/then, isolation, clocks). */
const withTesting = (constraints) =>
  constraints.map((c) =>
    c.onlyDependOnLibsWithTags.includes('type:testing')
      ? c
      : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] },
  );

const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  ...CONTEXTS.map((ctx) => ({
    sourceTag: `scope:${ctx}`,
    onlyDependOnLibsWithTags: [`scope:${ctx}`, 'scope:shared', 'type:contracts'],
  })),
  {
    sourceTag: 'scope:gateway',
    onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared', 'type:contracts'],
  },
  {
    sourceTag: 'scope:agent',
    onlyDependOnLibsWithTags: ['scope:agent', 'scope:shared', 'type:contracts'],
  },
  { sourceTag: 'scope:catalogue', onlyDependOnLibsWithTags: ['scope:catalogue', 'scope:shared', 'type:contracts'] },
  {
    sourceTag: 'scope:runner',
    onlyDependOnLibsWithTags: ['scope:runner', 'scope:shared', 'scope:gateway', ...CONTEXTS.map((c) => `scope:${c}`)],
  },
];

const boundaries = (types) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [...types, ...scopeConstraints],
  },
];

const DOMAIN_SOURCES = ['libs/shared/domain/src/**/*.ts', 'libs/*/domain/src/**/*.ts'];
const SPECS = ['**/*.spec.ts'];

export default defineConfig(
  globalIgnores(['**/dist/', '.nx/', '.jest-cache/', '.fleetwarden/', 'coverage/', 'bench/results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    plugins: { '@nx': nx },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(typeConstraints),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: SPECS,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(withTesting(typeConstraints)),
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: DOMAIN_SOURCES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({
            name,
            message: 'Domain code is pure: inject I/O, time and ids through commands or ports.',
          })),
        },
      ],
    },
  },
  {
    files: DOMAIN_SOURCES,
    ignores: SPECS,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Domain code takes time from the command (metadata.now) or an injected Clock.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Domain code takes time from the command (metadata.now) or an injected Clock.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Domain code takes ids and randomness from the command.',
        },
        {
          selector: "CallExpression[callee.name='randomUUID']",
          message: 'Domain code takes ids from the command.',
        },
        {
          selector: "CallExpression[callee.property.name='randomUUID']",
          message: 'Domain code takes ids from the command.',
        },
      ],
    },
  },
  prettier,
);
