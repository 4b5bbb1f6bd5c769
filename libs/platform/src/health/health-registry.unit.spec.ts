import { HealthRegistry } from './health-registry';

describe('HealthRegistry', () => {
  describe('when every part answers', () => {
    it('reports ok with each part up and its details', async () => {
      const health = new HealthRegistry();
      health.register('database', async () => ({ backend: 'pglite' }));
      health.register('nats', async () => undefined);
      await expect(health.check()).resolves.toEqual({
        status: 'ok',
        parts: { database: { status: 'up', backend: 'pglite' }, nats: { status: 'up' } },
      });
    });
  });

  describe('when a part fails', () => {
    it('reports down with the reason', async () => {
      const health = new HealthRegistry();
      health.register('database', async () => undefined);
      health.register('nats', async () => {
        throw new Error('connection closed');
      });
      const report = await health.check();
      expect(report.status).toBe('down');
      expect(report.parts.nats).toEqual({ status: 'down', error: 'connection closed' });
      expect(report.parts.database).toEqual({ status: 'up' });
    });

    it('counts a check that does not answer in time as down', async () => {
      const health = new HealthRegistry();
      health.register('inventory', () => new Promise(() => undefined));
      const report = await health.check(20);
      expect(report.parts.inventory).toEqual({ status: 'down', error: 'no answer within 20 ms' });
    });
  });

  it('keeps the parts in registration order', () => {
    const health = new HealthRegistry();
    health.register('b', async () => undefined);
    health.register('a', async () => undefined);
    expect(health.parts).toEqual(['b', 'a']);
  });
});
