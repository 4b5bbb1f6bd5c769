export { GatewayModule, GRAPHQL_PATH } from './gateway.module';
export { startGatewayApp, gatewayUrls, type StartGatewayOptions } from './gateway-app';
export { SERVICE_PING_TIMEOUT_MS } from './health/services-health.checks';
