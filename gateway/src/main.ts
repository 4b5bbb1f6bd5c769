import { runMain } from '@fleetwarden/platform';
import { gatewayUrls, startGatewayApp } from './gateway-app';

runMain({ name: 'gateway' }, async ({ config, logger }) => {
  const app = await startGatewayApp({ config, logger });
  const urls = gatewayUrls(config);
  logger.log(`gateway ready: GraphQL at ${urls.graphql}, health at ${urls.health}`, 'gateway');
  return app;
});
