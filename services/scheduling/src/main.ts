import { redactUrl, runMain, startServiceApp } from '@fleetwarden/platform';
import { SCHEDULING_SERVICE } from './scheduling-service.module';

runMain({ name: SCHEDULING_SERVICE.name }, async ({ config, logger }) => {
  const app = await startServiceApp(SCHEDULING_SERVICE, { config, logger, healthPort: config.healthPort });
  logger.log(
    `scheduling service ready on ${redactUrl(config.natsUrl)} (namespace ${config.namespace})` +
      (config.healthPort ? `, health at http://127.0.0.1:${config.healthPort}/health` : ''),
    SCHEDULING_SERVICE.name,
  );
  return app;
});
