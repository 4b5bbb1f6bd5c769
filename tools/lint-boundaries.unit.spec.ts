import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';

const root = join(__dirname, '..');

/** Rule id and message of each problem ESLint reports for `code` placed at `file`. */
async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries (eslint.config.mjs)', () => {
  beforeAll(async () => {
    await createProjectGraphAsync({ exitOnError: false });
  }, 60_000);

  it('keeps framework packages and other layers out of domain code', async () => {
    const problems = await lint(
      'libs/shared/domain/src/x.ts',
      [
        "import { Injectable } from '@nestjs/common';",
        "import { catalogue } from '@fleetwarden/contracts';",
        'export const used = [Injectable, catalogue];',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^@nx\/enforce-module-boundaries: A project tagged with "type:domain" is not allowed to import "@nestjs\/common"/,
      ),
      '@nx/enforce-module-boundaries: A project tagged with "type:domain" can only depend on libs tagged with "type:domain"',
    ]);
  }, 60_000);

  it('keeps I/O, the system clock and random ids out of domain code', async () => {
    const problems = await lint(
      'libs/shared/domain/src/x.ts',
      [
        "import { readFileSync } from 'node:fs';",
        "import { randomUUID } from 'crypto';",
        'export const at = () => [Date.now(), new Date(), randomUUID(), readFileSync];',
        '',
      ].join('\n'),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'no-restricted-imports',
      'no-restricted-imports',
      'no-restricted-syntax',
      'no-restricted-syntax',
      'no-restricted-syntax',
    ]);
  }, 60_000);

  it("keeps a service out of another context's code, and the gateway out of services", async () => {
    const service = await lint(
      'services/inventory/src/x.ts',
      "import * as scheduling from '@fleetwarden/service-scheduling';\nexport const used = scheduling;\n",
    );
    expect(service).toEqual([
      '@nx/enforce-module-boundaries: A project tagged with "scope:inventory" can only depend on libs tagged with "scope:inventory", "scope:shared", "type:contracts"',
    ]);
    const gateway = await lint(
      'gateway/src/x.ts',
      "import * as inventory from '@fleetwarden/service-inventory';\nexport const used = inventory;\n",
    );
    expect(gateway).toEqual([
      '@nx/enforce-module-boundaries: A project tagged with "scope:gateway" can only depend on libs tagged with "scope:gateway", "scope:shared", "type:contracts"',
    ]);
  }, 60_000);

  it('keeps test helpers out of production code but lets test files use them', async () => {
    const code = "import { ManualClock } from '@fleetwarden/testing';\nexport const clock = new ManualClock();\n";
    expect(await lint('libs/eventstore/src/x.ts', code)).toEqual([
      '@nx/enforce-module-boundaries: A project tagged with "type:infra" can only depend on libs tagged with "type:infra", "type:contracts", "type:domain"',
    ]);
    expect(await lint('libs/eventstore/src/x.unit.spec.ts', code)).toEqual([]);
  }, 60_000);

  it('lets services use shared libs and the runner compose services and the gateway', async () => {
    const service = await lint(
      'services/inventory/src/x.ts',
      [
        "import { catalogue } from '@fleetwarden/contracts';",
        "import { DomainError } from '@fleetwarden/shared-domain';",
        "import { createEventStore } from '@fleetwarden/eventstore';",
        'export const used = [catalogue, DomainError, createEventStore];',
        '',
      ].join('\n'),
    );
    expect(service).toEqual([]);
    const runner = await lint(
      'services/runner/src/x.ts',
      [
        "import * as inventory from '@fleetwarden/service-inventory';",
        "import * as gateway from '@fleetwarden/gateway';",
        'export const used = [inventory, gateway];',
        '',
      ].join('\n'),
    );
    expect(runner).toEqual([]);
  }, 60_000);
});
