import { loadConfig } from '@fleetwarden/platform';
import { shouldStartNats } from './embedded-nats';

describe('shouldStartNats', () => {
  describe('in auto mode (the default)', () => {
    it('starts one for the default NATS_URL', () => {
      expect(shouldStartNats(loadConfig({}))).toEqual({ host: '127.0.0.1', port: 4222 });
    });

    it('leaves an explicitly set NATS_URL alone', () => {
      expect(shouldStartNats(loadConfig({ NATS_URL: 'nats://127.0.0.1:1' }))).toBeUndefined();
    });
  });

  describe('when FLEETWARDEN_START_NATS=true', () => {
    it('starts one on the port of a loopback NATS_URL', () => {
      expect(
        shouldStartNats(loadConfig({ NATS_URL: 'nats://localhost:4333', FLEETWARDEN_START_NATS: 'true' })),
      ).toEqual({
        host: 'localhost',
        port: 4333,
      });
    });

    it('never starts one for a remote server or a cluster', () => {
      expect(
        shouldStartNats(loadConfig({ NATS_URL: 'nats://10.1.1.1:4222', FLEETWARDEN_START_NATS: 'true' })),
      ).toBeUndefined();
      expect(
        shouldStartNats(
          loadConfig({ NATS_URL: 'nats://127.0.0.1:1,nats://127.0.0.1:2', FLEETWARDEN_START_NATS: 'true' }),
        ),
      ).toBeUndefined();
    });
  });

  it('never starts one when FLEETWARDEN_START_NATS=false', () => {
    expect(shouldStartNats(loadConfig({ FLEETWARDEN_START_NATS: 'false' }))).toBeUndefined();
  });
});
