import { redactUrl, runMain, startServiceApp } from '@fleetwarden/platform';
import { REDUNDANCY_SERVICE } from './redundancy-service.module';

runMain({ name: REDUNDANCY_SERVICE.name }, async ({ config, logger }) => {
  const app = await startServiceApp(REDUNDANCY_SERVICE, { config, logger, healthPort: config.healthPort });
  logger.log(
    `redundancy service ready on ${redactUrl(config.natsUrl)} (namespace ${config.namespace})` +
      (config.healthPort ? `, health at http://127.0.0.1:${config.healthPort}/health` : ''),
    REDUNDANCY_SERVICE.name,
  );
  return app;
});
