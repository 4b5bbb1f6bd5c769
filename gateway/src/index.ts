export { GatewayModule, GRAPHQL_PATH } from './gateway.module';
export { startGatewayApp, gatewayUrls, type StartGatewayOptions } from './gateway-app';
export type { GatewayOptions } from './gateway.options';
export { SERVICE_PING_TIMEOUT_MS } from './health/services-health.checks';
export { GATEWAY_ROLES, issueToken, parseTtl, verifyToken, type GatewayRole, type Principal } from './auth/jwt-tokens';
export { resolveJwtSecret, JWT_SECRET_FILE, type JwtSecret } from './auth/jwt-secret';
export { parseTokenFlags, TOKEN_USAGE, type TokenRequest } from './auth/token-cli';
export { migrateReadModels, READ_MODEL_MIGRATIONS } from './read-model/read-model.migrations';
export {
  buildServerCountQuery,
  buildServerPageQuery,
  type ReadScope,
  type ServerListArgs,
} from './inventory/server-list.sql';
export { ServerOrder } from './inventory/server-cursor';
export { COMPLIANCE_TABLES, COMPLIANCE_PROJECTION } from './compliance/compliance.projection';
