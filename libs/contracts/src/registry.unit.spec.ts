import { z } from 'zod';
import { PING_COMMANDS } from './ping';
import { MessageCatalogue, defineAgentMessage, defineCommand, defineEvent } from './registry';
import { Subjects } from './subjects';
import { ValidationError } from './validation';

const registeredV1 = defineEvent({
  context: 'inventory',
  type: 'ServerRegistered',
  version: 1,
  description: 'A server joined the fleet.',
  schema: z.object({ serverId: z.string().min(1) }),
});
const registeredV2 = defineEvent({
  context: 'inventory',
  type: 'ServerRegistered',
  version: 2,
  description: 'A server joined the fleet, with its reseller.',
  schema: z.object({ serverId: z.string().min(1), reseller: z.string().nullable() }),
});

describe('defineEvent', () => {
  it('knows its subject in any namespace', () => {
    expect(registeredV1.subject()).toBe('fleet.events.inventory.ServerRegistered');
    expect(registeredV1.subject(new Subjects('t1'))).toBe('t1.events.inventory.ServerRegistered');
  });

  it('validates data, naming the event, its version and the field', () => {
    expect(registeredV2.parse({ serverId: 's', reseller: null })).toEqual({ serverId: 's', reseller: null });
    expect(() => registeredV2.parse({ serverId: 's' })).toThrow(
      'Invalid ServerRegistered v2 data: reseller: Invalid input: expected string, received undefined',
    );
  });

  it('validates a whole envelope of its type and version', () => {
    const envelope = {
      eventId: '0b7a0c1e-5f7c-4a51-9d0e-3c1f3a9c2b10',
      type: 'ServerRegistered',
      schemaVersion: 1,
      streamId: 'server-s',
      streamVersion: 1,
      globalPosition: 1,
      data: { serverId: 's' },
      metadata: {
        correlationId: 'c',
        causationId: null,
        actor: 'system:test',
        reseller: null,
        occurredAt: '2025-01-01T00:00:00.000Z',
      },
      recordedAt: '2025-01-01T00:00:00.000Z',
    };
    expect(registeredV1.parseEnvelope(envelope).data.serverId).toBe('s');
    expect(() => registeredV2.parseEnvelope(envelope)).toThrow(ValidationError);
    expect(() => registeredV2.parseEnvelope(envelope)).toThrow(/schemaVersion: .*data\.reseller: /);
  });

  it('rejects bad definitions', () => {
    const base = { context: 'inventory' as const, type: 'X', version: 1, description: 'x', schema: z.object({}) };
    expect(() => defineEvent({ ...base, type: 'server-registered' })).toThrow('must be PascalCase');
    expect(() => defineEvent({ ...base, version: 0 })).toThrow('version must be an integer >= 1');
    expect(() => defineEvent({ ...base, description: ' ' })).toThrow('description must not be empty');
    expect(() => defineEvent({ ...base, context: 'billing' as never })).toThrow('unknown context "billing"');
  });
});

describe('defineCommand', () => {
  const cancel = defineCommand({
    context: 'scheduling',
    name: 'CancelTask',
    description: 'Cancels the servers of a task not yet started.',
    request: z.object({ taskId: z.string().min(1) }),
    reply: z.object({ cancelled: z.int().min(0) }),
  });

  it('has its subject and parses requests and replies', () => {
    expect(cancel.subject()).toBe('fleet.cmd.scheduling.CancelTask');
    expect(cancel.parseRequest({ data: { taskId: 't' } })).toEqual({ data: { taskId: 't' }, meta: {} });
    expect(cancel.parseReply({ ok: true, data: { cancelled: 2 } })).toEqual({ ok: true, data: { cancelled: 2 } });
    expect(() => cancel.parseRequest({ data: {} })).toThrow('Invalid CancelTask request: data.taskId:');
    expect(() => cancel.parseReply({ ok: true, data: { cancelled: -1 } })).toThrow(
      'Invalid CancelTask reply: data.cancelled:',
    );
  });
});

describe('defineAgentMessage', () => {
  const heartbeat = defineAgentMessage({
    kind: 'heartbeat',
    description: 'The agent is alive.',
    schema: z.object({ serverId: z.string(), sentAt: z.iso.datetime() }),
  });

  it('has its subject per server and parses messages', () => {
    expect(heartbeat.subject('srv-1')).toBe('fleet.agent.srv-1.heartbeat');
    expect(() => heartbeat.parse({ serverId: 'srv-1' })).toThrow('Invalid agent heartbeat message: sentAt:');
  });

  it('rejects an unknown kind', () => {
    expect(() => defineAgentMessage({ kind: 'gossip' as never, description: 'x', schema: z.object({}) })).toThrow(
      'kind must be one of',
    );
  });
});

describe('MessageCatalogue', () => {
  it('finds events by type and version, latest by default', () => {
    const c = new MessageCatalogue({ events: [registeredV2, registeredV1] });
    expect(c.event('ServerRegistered')).toBe(registeredV2);
    expect(c.event('ServerRegistered', 1)).toBe(registeredV1);
    expect(c.eventVersions('ServerRegistered').map((e) => e.version)).toEqual([1, 2]);
    expect(c.latestVersion('Nope')).toBeUndefined();
    expect(c.eventsOf('inventory')).toHaveLength(2);
    expect(c.eventsOf('scheduling')).toHaveLength(0);
  });

  it('rejects duplicates', () => {
    expect(() => new MessageCatalogue({ events: [registeredV1, registeredV1] })).toThrow(
      'event ServerRegistered v1 is declared twice',
    );
    const elsewhere = defineEvent({ ...registeredV1, context: 'compliance', version: 3 });
    expect(() => new MessageCatalogue({ events: [registeredV1, elsewhere] })).toThrow(
      'event ServerRegistered is declared in both inventory and compliance',
    );
    expect(() => new MessageCatalogue({ commands: [PING_COMMANDS.inventory, PING_COMMANDS.inventory] })).toThrow(
      'command inventory.Ping is declared twice',
    );
  });
});
