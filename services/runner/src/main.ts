import { runMain } from '@fleetwarden/platform';
import { ensureLocalNats } from './embedded-nats';
import { startRunner } from './runner';

runMain({ name: 'runner' }, async ({ config, logger, atExit }) => {
  const nats = await ensureLocalNats(config, logger);
  if (nats) atExit(() => nats.stop());
  return startRunner(config, logger);
});
