import { redactUrl, runMain, startServiceApp } from '@fleetwarden/platform';
import { INVENTORY_SERVICE } from './inventory-service.module';

runMain({ name: INVENTORY_SERVICE.name }, async ({ config, logger }) => {
  const app = await startServiceApp(INVENTORY_SERVICE, { config, logger, healthPort: config.healthPort });
  logger.log(
    `inventory service ready on ${redactUrl(config.natsUrl)} (namespace ${config.namespace})` +
      (config.healthPort ? `, health at http://127.0.0.1:${config.healthPort}/health` : ''),
    INVENTORY_SERVICE.name,
  );
  return app;
});
