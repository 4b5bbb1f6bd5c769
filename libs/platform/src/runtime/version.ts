import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** Version of the `fleetwarden` package this code belongs to (its package.json), or `unknown`. */
export function fleetwardenVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'fleetwarden' && pkg.version) return (cached = pkg.version);
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return (cached = 'unknown');
  }
}
