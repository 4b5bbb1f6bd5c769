import { join } from 'node:path';
import { parseFlags, writePlan } from './nats-auth-config';

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
