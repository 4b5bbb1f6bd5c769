import { CONTEXTS } from '@fleetwarden/contracts';
import { catalogue } from './catalogue';

describe('catalogue', () => {
  it('lists the Ping command of every context', () => {
    for (const context of CONTEXTS) {
      const ping = catalogue.command(context, 'Ping');
      expect(ping?.subject()).toBe(`fleet.cmd.${context}.Ping`);
      expect(ping?.parseRequest({ data: {} })).toEqual({ data: {}, meta: {} });
      const reply = { ok: true, data: { service: context, instanceId: 'i-1', uptimeMs: 12.5 } };
      expect(ping?.parseReply(reply)).toEqual(reply);
      expect(() => ping?.parseReply({ ok: true, data: { service: context, instanceId: 'i-1' } })).toThrow(
        'Invalid Ping reply: data.uptimeMs:',
      );
    }
  });
});
