import { issueToken, parseTokenFlags, resolveJwtSecret } from '@fleetwarden/gateway';
import { ConfigError, loadConfig } from '@fleetwarden/platform';

// Prints one bearer token the gateway of this installation accepts (same FLEETWARDEN_JWT_SECRET,
// or the same FLEETWARDEN_DATA_DIR/jwt-secret, created here when the gateway has not yet done so).
async function main(): Promise<void> {
  const request = parseTokenFlags(process.argv.slice(2));
  const config = loadConfig();
  const { key } = resolveJwtSecret(config);
  process.stdout.write(`${await issueToken(key, request.claims, { ttlSeconds: request.ttlSeconds })}\n`);
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`${message}\n`);
  process.exit(2);
});
