import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/nats-core';
import { firstValueFrom, of } from 'rxjs';
import { Subjects } from '@fleetwarden/contracts';
import { createTestNamespace, deleteNamespaceStreams, TEST_NATS_URL } from '@fleetwarden/testing';
import {
  CommandTimeoutError,
  connectNats,
  JetStreamClientProxy,
  JetStreamCommandContext,
  JetStreamExceptionFilter,
  JetStreamServer,
  NatsUnreachableError,
  NoRespondersError,
  RemoteCommandError,
} from './index';
import { deferred } from './testing/messaging-test.helpers';

class ServerAlreadyRegisteredError extends Error {
  readonly code = 'SERVER.ALREADY_REGISTERED';
  constructor(readonly details: { serverId: string }) {
    super(`server ${details.serverId} is already registered`);
  }
}

const slowGate = deferred();
const drainStarted = deferred();
const drainGate = deferred();
const handledBy: string[] = [];

@Controller()
class InventoryCommands {
  @MessagePattern('RegisterServer')
  register(@Payload() data: { serverId: string }, @Ctx() ctx: JetStreamCommandContext) {
    handledBy.push(data.serverId);
    return { registered: data.serverId, meta: ctx.getMeta() ?? null, subject: ctx.getSubject() };
  }

  @MessagePattern('RenameServer')
  async rename(@Payload() data: { serverId: string }) {
    throw new ServerAlreadyRegisteredError({ serverId: data.serverId });
  }

  @MessagePattern('RetireServer')
  retire() {
    throw new Error('disk on fire');
  }

  @MessagePattern('RejectServer')
  reject() {
    throw new RpcException({ code: 'SERVER.REJECTED', message: 'not allowed', details: { reason: 'policy' } });
  }

  @MessagePattern('CountServers')
  count() {
    return of(1, 2, 3);
  }

  @MessagePattern('Forget')
  forget(): void {
    return undefined;
  }

  @MessagePattern('DrainCommand')
  async drain() {
    drainStarted.resolve();
    await drainGate.promise;
    return 'drained';
  }

  @MessagePattern('SlowCommand')
  async slow() {
    await slowGate.promise;
    return 'late';
  }
}

@Module({ controllers: [InventoryCommands] })
class InventoryModule {}

describe('JetStream transport: commands', () => {
  const namespace = createTestNamespace('msgcmd');
  const subjects = new Subjects(namespace);
  let nc: NatsConnection;
  let apps: INestMicroservice[] = [];
  let client: JetStreamClientProxy;

  async function startService(): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice(InventoryModule, {
      strategy: new JetStreamServer({
        connection: { url: TEST_NATS_URL },
        subjects,
        context: 'inventory',
        service: 'inventory',
      }),
      logger: false,
    });
    app.useGlobalFilters(new JetStreamExceptionFilter());
    await app.listen();
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    nc = await connectNats({ url: TEST_NATS_URL, name: 'commands-test' });
    await startService();
    client = new JetStreamClientProxy({ connection: nc, subjects, timeoutMs: 2000 });
  });

  afterAll(async () => {
    slowGate.resolve();
    drainGate.resolve();
    await Promise.all(apps.map((a) => a.close()));
    await client.close();
    await nc.close();
    await deleteNamespaceStreams(namespace);
  });

  it('connectNats names NATS_URL and the address when no server answers', async () => {
    const err = await connectNats({ url: 'nats://127.0.0.1:1', name: 'x', timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsUnreachableError);
    expect((err as Error).message).toContain('NATS_URL');
    expect((err as Error).message).toContain('nats://127.0.0.1:1');
  });

  it('round-trips a command by { context, command } and by full subject, with meta', async () => {
    const reply = await firstValueFrom(
      client.send({ context: 'inventory', command: 'RegisterServer' }, { serverId: 'srv-1' }),
    );
    expect(reply).toEqual({
      registered: 'srv-1',
      meta: null,
      subject: `${namespace}.cmd.inventory.RegisterServer`,
    });
    const withMeta = await client.command(
      subjects.command('inventory', 'RegisterServer'),
      { serverId: 'srv-2' },
      {
        meta: { correlationId: 'c-1' },
      },
    );
    expect(withMeta).toMatchObject({ registered: 'srv-2', meta: { correlationId: 'c-1' } });
  });

  it('replies with the last value of an observable and null for no value', async () => {
    await expect(client.command({ context: 'inventory', command: 'CountServers' }, {})).resolves.toBe(3);
    await expect(firstValueFrom(client.send({ context: 'inventory', command: 'Forget' }, {}))).resolves.toBeNull();
  });

  it('turns an error with a code into a RemoteCommandError with that code and details', async () => {
    const err = await client
      .command({ context: 'inventory', command: 'RenameServer' }, { serverId: 'srv-9' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({
      code: 'SERVER.ALREADY_REGISTERED',
      message: 'server srv-9 is already registered',
      details: { serverId: 'srv-9' },
      subject: subjects.command('inventory', 'RenameServer'),
    });
    const rpc = await client.command({ context: 'inventory', command: 'RejectServer' }, {}).catch((e: unknown) => e);
    expect(rpc).toMatchObject({ code: 'SERVER.REJECTED', message: 'not allowed', details: { reason: 'policy' } });
  });

  it('turns an error without a code into INTERNAL', async () => {
    const err = await firstValueFrom(client.send({ context: 'inventory', command: 'RetireServer' }, {})).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({ code: 'INTERNAL', message: 'disk on fire' });
  });

  it('answers a request that is not { data } JSON with INVALID_REQUEST', async () => {
    const msg = await nc.request(subjects.command('inventory', 'RegisterServer'), 'not json', { timeout: 2000 });
    expect(msg.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('fails with CommandTimeoutError naming the subject and the timeout', async () => {
    const err = await client
      .command({ context: 'inventory', command: 'SlowCommand' }, {}, { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as Error).message).toContain(subjects.command('inventory', 'SlowCommand'));
    expect((err as Error).message).toContain('150 ms');
    slowGate.resolve();
  });

  it('fails with NoRespondersError naming the subject when nobody listens', async () => {
    const subject = subjects.command('inventory', 'NobodyListens');
    const err = await firstValueFrom(client.send(subject, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
    expect(err).toMatchObject({ code: 'COMMAND.NO_RESPONDERS', subject });
    expect((err as Error).message).toContain(subject);
  });

  it('shares commands among instances of a service through the queue group', async () => {
    await startService();
    handledBy.length = 0;
    const ids = Array.from({ length: 40 }, (_, i) => `q-${i}`);
    await Promise.all(
      ids.map((serverId) => client.command({ context: 'inventory', command: 'RegisterServer' }, { serverId })),
    );
    expect([...handledBy].sort()).toEqual([...ids].sort());
  });

  it('answers the commands in flight before close() resolves', async () => {
    const pending = client.command({ context: 'inventory', command: 'DrainCommand' }, {}, { timeoutMs: 5000 });
    await drainStarted.promise;
    const closing = Promise.all(apps.map((a) => a.close()));
    apps = [];
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    drainGate.resolve();
    await closing;
    await expect(pending).resolves.toBe('drained');
  });
});
