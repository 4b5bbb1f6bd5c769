import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isValidNamespace } from '@fleetwarden/contracts';
import { newUser, renderAuthConfig, type AuthPlan } from '@fleetwarden/messaging';

const SERVER_ID = /^[A-Za-z0-9_-]+$/;

const USAGE =
  'usage: npm run nats-auth -- --out DIR [--namespace fleet] [--services N] [--integrators N] (--servers FILE | --server-ids a,b,c)';

/** Reads the flags; throws with a message naming the flag. */
function parseFlags(argv: string[]): { out: string; plan: AuthPlan } {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      namespace: { type: 'string', default: 'fleet' },
      services: { type: 'string', default: '1' },
      integrators: { type: 'string', default: '1' },
      servers: { type: 'string' },
      'server-ids': { type: 'string' },
    },
    strict: true,
  });
  if (!values.out) throw new Error(`--out is required\n${USAGE}`);
  if (!isValidNamespace(values.namespace))
    throw new Error(`--namespace must be a valid namespace, got "${values.namespace}"`);
  const count = (flag: string, raw: string) => {
    if (!/^\d+$/.test(raw)) throw new Error(`--${flag} must be a whole number, got "${raw}"`);
    return Number(raw);
  };
  const ids = values.servers
    ? readFileSync(values.servers, 'utf8')
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean)
    : (values['server-ids'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  const bad = ids.find((id) => !SERVER_ID.test(id));
  if (bad !== undefined) throw new Error(`server id "${bad}" must match ${SERVER_ID}`);
  return {
    out: values.out,
    plan: {
      namespace: values.namespace,
      services: Array.from({ length: count('services', values.services) }, (_, i) => newUser(`service-${i + 1}`)),
      integrators: Array.from({ length: count('integrators', values.integrators) }, (_, i) =>
        newUser(`integrator-${i + 1}`),
      ),
      agents: ids.map(newUser),
    },
  };
}

/** Writes `auth.conf` and one `<name>.nk` seed file per user (mode 0600) into `out`. */
function writePlan(out: string, plan: AuthPlan): void {
  mkdirSync(join(out, 'seeds'), { recursive: true });
  writeFileSync(join(out, 'auth.conf'), renderAuthConfig(plan));
  for (const u of [...plan.services, ...plan.integrators, ...plan.agents]) {
    const file = join(out, 'seeds', `${u.name}.nk`);
    writeFileSync(file, `${u.seed}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}

try {
  const { out, plan } = parseFlags(process.argv.slice(2));
  writePlan(out, plan);
  console.log(
    `wrote ${join(out, 'auth.conf')} (${plan.services.length} services, ${plan.integrators.length} integrators, ` +
      `${plan.agents.length} agents) and seeds in ${join(out, 'seeds')}`,
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
