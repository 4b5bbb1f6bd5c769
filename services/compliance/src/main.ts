import { redactUrl, runMain, startServiceApp } from '@fleetwarden/platform';
import { COMPLIANCE_SERVICE } from './compliance-service.module';

runMain({ name: COMPLIANCE_SERVICE.name }, async ({ config, logger }) => {
  const app = await startServiceApp(COMPLIANCE_SERVICE, { config, logger, healthPort: config.healthPort });
  logger.log(
    `compliance service ready on ${redactUrl(config.natsUrl)} (namespace ${config.namespace})` +
      (config.healthPort ? `, health at http://127.0.0.1:${config.healthPort}/health` : ''),
    COMPLIANCE_SERVICE.name,
  );
  return app;
});
