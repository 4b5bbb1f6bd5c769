import { redactUrl, runMain, startServiceApp } from '@fleetwarden/platform';
import { EXECUTION_SERVICE } from './execution-service.module';

runMain({ name: EXECUTION_SERVICE.name }, async ({ config, logger }) => {
  const app = await startServiceApp(EXECUTION_SERVICE, { config, logger, healthPort: config.healthPort });
  logger.log(
    `execution service ready on ${redactUrl(config.natsUrl)} (namespace ${config.namespace})` +
      (config.healthPort ? `, health at http://127.0.0.1:${config.healthPort}/health` : ''),
    EXECUTION_SERVICE.name,
  );
  return app;
});
