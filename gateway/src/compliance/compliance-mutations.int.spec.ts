import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  complianceStreamId,
  patchAutomationStreamId,
  patchBatchStreamId,
  urgentUpdateStreamId,
} from '@fleetwarden/compliance-contracts';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
  answerCommands,
  type CommandReplyBody,
  type ReceivedCommand,
} from '../testing/gateway-test-kit';
import { updateIdFor } from './compliance-mutations.resolver';
import { patchesInstalled } from './testing/compliance-events';

type Received = ReceivedCommand;

type Reply = CommandReplyBody;

const DAY_MS = 86_400_000;
const RESELLER_OF: Record<string, string> = { 's-1': 'r1', 's-2': 'r1', 's-9': 'r2' };
const refuse = (code: string, message: string): Reply => ({ ok: false, error: { code, message } });

describe('compliance mutations (compliance service answered by a test responder on NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwcmpm');
  let nc: NatsConnection;
  let sub: Subscription | undefined;
  const received: Received[] = [];
  const tokens: Record<string, string> = {};
  const batches = new Map<string, { patches: string[]; watchEndsAt?: string }>();

  const mutate = async (query: string, token: string, variables?: Record<string, unknown>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, variables })).body;

  /** What the compliance service would do, as far as these tests need: append the events, reply. */
  async function answer(r: Received): Promise<Reply> {
    const d = r.data as Record<string, never>;
    const now = new Date().toISOString();
    const by = r.meta.actor as string;
    switch (r.command) {
      case 'RecordPatchBatchDownload':
        batches.set(d.batchId, { patches: d.patches });
        await kit.store.append(patchBatchStreamId(d.batchId), [
          event('PatchBatchDownloaded', { batchId: d.batchId, patches: d.patches, by, at: now }),
        ]);
        return { ok: true, data: { batchId: d.batchId } };
      case 'RecordPatchBatchPilot': {
        const batch = batches.get(d.batchId);
        if (!batch) return refuse('COMPLIANCE.UNKNOWN_BATCH', `Unknown patch batch: ${d.batchId}`);
        // b-old was piloted long ago (its watch is over); any other one now.
        const at = d.batchId === 'b-old' ? new Date(Date.now() - 15 * DAY_MS) : new Date();
        batch.watchEndsAt = new Date(at.getTime() + 14 * DAY_MS).toISOString();
        await kit.store.append(patchBatchStreamId(d.batchId), [
          event('PatchBatchPiloted', {
            batchId: d.batchId,
            internalServerIds: d.internalServerIds,
            watchEndsAt: batch.watchEndsAt,
            by,
            at: at.toISOString(),
          }),
        ]);
        return { ok: true, data: { batchId: d.batchId, watchEndsAt: batch.watchEndsAt } };
      }
      case 'ApprovePatchBatch': {
        const batch = batches.get(d.batchId);
        if (!batch) return refuse('COMPLIANCE.UNKNOWN_BATCH', `Unknown patch batch: ${d.batchId}`);
        if (!batch.watchEndsAt || batch.watchEndsAt > now) {
          return refuse('COMPLIANCE.WATCH_NOT_OVER', `The watch of ${d.batchId} ends at ${batch.watchEndsAt}`);
        }
        await kit.store.append(patchBatchStreamId(d.batchId), [
          event('PatchBatchApproved', {
            batchId: d.batchId,
            patches: batch.patches,
            pilotedAt: new Date(Date.parse(batch.watchEndsAt) - 14 * DAY_MS).toISOString(),
            watchEndsAt: batch.watchEndsAt,
            by,
            at: now,
          }),
        ]);
        return { ok: true, data: { batchId: d.batchId, patches: batch.patches, approvedAt: now } };
      }
      case 'DeclareUrgentUpdate':
        await kit.store.append(urgentUpdateStreamId(d.urgentUpdateId), [
          event('UrgentUpdateDeclared', {
            urgentUpdateId: d.urgentUpdateId,
            patches: d.patches,
            reason: d.reason,
            resellers: [
              { reseller: 'r1', serverIds: ['s-1', 's-2'] },
              { reseller: 'r2', serverIds: ['s-9'] },
            ],
            by,
            at: now,
          }),
        ]);
        return { ok: true, data: { urgentUpdateId: d.urgentUpdateId, resellerCount: 2, serverCount: 3 } };
      case 'RecordEmergencyUpdate': {
        const reseller = RESELLER_OF[d.serverId];
        if (!reseller) return refuse('COMPLIANCE.UNKNOWN_SERVER', `Unknown server: ${d.serverId}`);
        await kit.store.append(complianceStreamId(d.serverId), [
          event('EmergencyUpdateRecorded', { ...r.data, reseller, by, at: now }),
          patchesInstalled(d.serverId, reseller, now, { kind: 'emergency', startedBy: 'operations' }),
        ]);
        return { ok: true, data: { serverId: d.serverId, emergencyUpdateId: d.emergencyUpdateId, reseller } };
      }
      case 'RecordPatchInstall': {
        const reseller = RESELLER_OF[d.serverId];
        if (!reseller) return refuse('COMPLIANCE.UNKNOWN_SERVER', `Unknown server: ${d.serverId}`);
        if (String(d.installedAt) > now)
          return refuse('COMPLIANCE.FUTURE_INSTALL', `${d.installedAt} is in the future`);
        const charge = { value: 64_000, currency: 'USD' };
        await kit.store.append(complianceStreamId(d.serverId), [
          patchesInstalled(d.serverId, reseller, d.installedAt, { startedBy: d.startedBy, kind: d.kind }),
          event('ChargeRecorded', {
            serverId: d.serverId,
            reseller,
            amount: charge,
            reason: 'breached',
            daysSinceLastUpdate: null,
            installedAt: d.installedAt,
            at: now,
          }),
        ]);
        return { ok: true, data: { serverId: d.serverId, recorded: true, charge, unapprovedPatches: [], state: 'ok' } };
      }
      case 'SetAutomatedUpdates': {
        const schedule = d.schedule as { intervalDays: number } | null;
        if (schedule && schedule.intervalDays > 59) return refuse('COMPLIANCE.INVALID_SCHEDULE', 'interval 1-59 days');
        await kit.store.append(patchAutomationStreamId(d.reseller), [
          event('AutomatedUpdatesSet', { reseller: d.reseller, enabled: d.enabled, schedule, by, at: now }),
        ]);
        return { ok: true, data: { reseller: d.reseller, enabled: d.enabled } };
      }
      default:
        return refuse('INTERNAL', `unexpected ${r.command}`);
    }
  }

  function startResponder(): void {
    sub = answerCommands(nc, `${kit.config.namespace}.cmd.compliance.*`, received, (r) => answer(r));
  }

  beforeAll(async () => {
    schema = await createTestSchema('gwcmpm');
    kit = await startGatewayTestKit(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { commandTimeoutMs: 1000, readModelWaitMs: 5000 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'fake-compliance' });
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    for (const [id, reseller] of Object.entries(RESELLER_OF)) {
      await appendServer(kit.store, id, [serverRegistered(id, reseller, `${reseller}-c`)]);
    }
    await waitFor('servers projected', async () => {
      const body = await mutate('{ compliance { total } }', tokens.operator);
      return (body.data?.compliance as { total: number } | undefined)?.total === 3 ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await sub?.drain();
    await nc?.close();
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('says when no compliance service is running', async () => {
    const body = await mutate('mutation { approvePatchBatch(batchId: "b-1") { id } }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(body.errors![0].message).toMatch(/No compliance service is running/);
    startResponder();
    await nc.flush();
  });

  it('drives the approval cycle: recorded, piloted, approved once the watch is over', async () => {
    const fields = '{ id state patches downloadedAt pilotedAt watchEndsAt approvedAt }';
    const recorded = await mutate(
      `mutation { recordPatchBatch(batchId: "b-old", patches: ["KB1", "KB2"]) ${fields} }`,
      tokens.operator,
    );
    expect(recorded.data!.recordPatchBatch).toMatchObject({
      id: 'b-old',
      state: 'DOWNLOADED',
      patches: ['KB1', 'KB2'],
      pilotedAt: null,
    });
    const piloted = await mutate(
      `mutation { pilotPatchBatch(batchId: "b-old", internalServerIds: ["int-1"]) ${fields} }`,
      tokens.operator,
    );
    expect(piloted.data!.pilotPatchBatch).toMatchObject({ state: 'PILOTED', watchEndsAt: expect.any(String) });
    const approved = await mutate(`mutation { approvePatchBatch(batchId: "b-old") ${fields} }`, tokens.operator);
    expect(approved.errors).toBeUndefined();
    expect(approved.data!.approvePatchBatch).toMatchObject({
      id: 'b-old',
      state: 'APPROVED',
      approvedAt: expect.any(String),
    });
    expect(received.map((r) => [r.command, r.data, r.meta.actor])).toEqual([
      ['RecordPatchBatchDownload', { batchId: 'b-old', patches: ['KB1', 'KB2'] }, 'operator:alice'],
      ['RecordPatchBatchPilot', { batchId: 'b-old', internalServerIds: ['int-1'] }, 'operator:alice'],
      ['ApprovePatchBatch', { batchId: 'b-old' }, 'operator:alice'],
    ]);
    const list = await mutate('{ patchBatches { id state } }', tokens.r1);
    expect(list.data).toEqual({ patchBatches: [{ id: 'b-old', state: 'APPROVED' }] });
  });

  it('maps refusals: an unknown batch is NOT_FOUND, a watch not over CONFLICT, bad input BAD_USER_INPUT', async () => {
    const unknown = await mutate('mutation { approvePatchBatch(batchId: "b-nope") { id } }', tokens.operator);
    expect(unknown.errors![0].extensions).toMatchObject({
      code: 'NOT_FOUND',
      argument: 'batchId',
      reason: 'COMPLIANCE.UNKNOWN_BATCH',
    });
    await mutate('mutation { recordPatchBatch(batchId: "b-new", patches: ["KB3"]) { id } }', tokens.operator);
    await mutate(
      'mutation { pilotPatchBatch(batchId: "b-new", internalServerIds: ["int-1"]) { id } }',
      tokens.operator,
    );
    const early = await mutate('mutation { approvePatchBatch(batchId: "b-new") { id } }', tokens.operator);
    expect(early.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPLIANCE.WATCH_NOT_OVER' });

    received.length = 0;
    const noPilots = await mutate(
      'mutation { pilotPatchBatch(batchId: "b-new", internalServerIds: []) { id } }',
      tokens.operator,
    );
    expect(noPilots.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'internalServerIds' });
    const badId = await mutate(
      'mutation { recordPatchBatch(batchId: "b 1", patches: ["KB3"]) { id } }',
      tokens.operator,
    );
    expect(badId.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'batchId' });
    const noPatches = await mutate(
      'mutation { declareUrgentUpdate(patches: [], reason: "x") { id } }',
      tokens.operator,
    );
    expect(noPatches.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'patches' });
    const unknownServer = await mutate(
      'mutation { recordEmergencyUpdate(serverId: "s-x", patches: ["KB1"], reason: "worm") { id } }',
      tokens.operator,
    );
    expect(unknownServer.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'serverId' });
    const future = await mutate(
      `mutation { recordPatchInstall(serverId: "s-1", installedAt: "${new Date(Date.now() + DAY_MS).toISOString()}",
        patches: ["KB1"], startedBy: OPERATIONS) { recorded } }`,
      tokens.operator,
    );
    expect(future.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'installedAt' });
    // Refused at the edge: only the last two reached the service.
    expect(received.map((r) => r.command)).toEqual(['RecordEmergencyUpdate', 'RecordPatchInstall']);
  });

  it('lets operators only declare, patch and approve; a reseller gets FORBIDDEN and nothing is sent', async () => {
    for (const m of [
      'declareUrgentUpdate(patches: ["KB1"], reason: "x") { id }',
      'recordEmergencyUpdate(serverId: "s-1", patches: ["KB1"], reason: "worm") { id }',
      'approvePatchBatch(batchId: "b-old") { id }',
      'recordPatchBatch(batchId: "b-r", patches: ["KB1"]) { id }',
      'pilotPatchBatch(batchId: "b-r", internalServerIds: ["i"]) { id }',
      'recordPatchInstall(serverId: "s-1", installedAt: "2026-01-01T00:00:00Z", patches: ["KB1"], startedBy: RESELLER) { recorded }',
      'setAutomatedUpdates(reseller: "r2", enabled: false) { enabled }',
    ]) {
      const body = await mutate(`mutation { ${m} }`, tokens.r1);
      expect(body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    }
    const auditor = await mutate(
      'mutation { setAutomatedUpdates(reseller: "r1", enabled: false) { enabled } }',
      tokens.auditor,
    );
    expect(auditor.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(received).toEqual([]);
  });

  it('declares an urgent update under an id derived from the idempotency key, shown with its resellers', async () => {
    const declare = (token: string) =>
      mutate(
        `mutation { declareUrgentUpdate(patches: ["openssl_3.0.13"], reason: "RCE", idempotencyKey: "urgent-2026-1") {
          id patches reason resellers { reseller affected patched completed } completed } }`,
        token,
      );
    const first = await declare(tokens.operator);
    expect(first.errors).toBeUndefined();
    const id = updateIdFor('urgent', 'urgent-2026-1');
    expect(id).toMatch(/^urgent-[0-9a-f]{32}$/);
    expect(first.data!.declareUrgentUpdate).toEqual({
      id,
      patches: ['openssl_3.0.13'],
      reason: 'RCE',
      resellers: [
        { reseller: 'r1', affected: 2, patched: 0, completed: false },
        { reseller: 'r2', affected: 1, patched: 0, completed: false },
      ],
      completed: false,
    });
    const again = await declare(tokens.operator);
    expect(again.data!.declareUrgentUpdate).toMatchObject({ id });
    expect(received.map((r) => r.data.urgentUpdateId)).toEqual([id, id]);
    expect(received[0].meta).toMatchObject({ idempotencyKey: 'urgent-2026-1', actor: 'operator:alice' });
    const mine = await mutate('{ urgentUpdates { id resellers { reseller affected } } }', tokens.r1);
    expect(mine.data).toEqual({ urgentUpdates: [{ id, resellers: [{ reseller: 'r1', affected: 2 }] }] });
  });

  it('records an emergency update and an install by operations, returning the charge; the counters restart', async () => {
    const emergency = await mutate(
      'mutation { recordEmergencyUpdate(serverId: "s-2", patches: ["KB9"], reason: "spreads malware") { id serverId reseller } }',
      tokens.operator,
    );
    expect(emergency.data!.recordEmergencyUpdate).toEqual({
      id: expect.stringMatching(/^emergency-/),
      serverId: 's-2',
      reseller: 'r1',
    });
    const installedAt = new Date(Date.now() - 1000).toISOString();
    const install = await mutate(
      `mutation { recordPatchInstall(serverId: "s-1", installedAt: "${installedAt}", patches: ["KB1"],
        startedBy: OPERATIONS, kind: REGULAR) { serverId recorded charge { value currency } unapprovedPatches state } }`,
      tokens.operator,
    );
    expect(install.data!.recordPatchInstall).toEqual({
      serverId: 's-1',
      recorded: true,
      charge: { value: 64_000, currency: 'USD' },
      unapprovedPatches: [],
      state: 'OK',
    });
    expect(received[1].data).toEqual({
      serverId: 's-1',
      installedAt,
      patches: ['KB1'],
      startedBy: 'operations',
      kind: 'regular',
      urgentUpdateId: null,
      source: 'system',
    });
    // Read-your-writes: the mutations waited for the projection.
    const body = await mutate(
      '{ a: server(id: "s-1") { compliance { dayCounter state } } b: server(id: "s-2") { compliance { dayCounter } } }',
      tokens.r1,
    );
    expect(body.data).toEqual({
      a: { compliance: { dayCounter: 1, state: 'OK' } },
      b: { compliance: { dayCounter: 1 } },
    });
    const charges = await mutate(
      `{ charges(from: "${new Date(Date.now() - DAY_MS).toISOString()}", to: "${new Date(Date.now() + DAY_MS).toISOString()}") {
         items { serverId } total { value } } }`,
      tokens.r1,
    );
    expect(charges.data).toEqual({ charges: { items: [{ serverId: 's-1' }], total: { value: 64_000 } } });
  });

  it('lets a reseller set its own automated updates; a bad schedule is BAD_USER_INPUT naming it', async () => {
    const body = await mutate(
      `mutation { setAutomatedUpdates(reseller: "r1", enabled: true,
         schedule: { intervalDays: 7, window: { start: "22:00", end: "04:00", timeZone: "Europe/Vienna" } }) {
         reseller enabled schedule { intervalDays window { start end timeZone } } } }`,
      tokens.r1,
    );
    expect(body.data!.setAutomatedUpdates).toEqual({
      reseller: 'r1',
      enabled: true,
      schedule: { intervalDays: 7, window: { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' } },
    });
    expect(received[0].meta).toMatchObject({ actor: 'reseller:bob', reseller: 'r1' });
    const missing = await mutate(
      'mutation { setAutomatedUpdates(reseller: "r1", enabled: true) { enabled } }',
      tokens.r1,
    );
    expect(missing.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'schedule' });
    const invalid = await mutate(
      `mutation { setAutomatedUpdates(reseller: "r1", enabled: true,
         schedule: { intervalDays: 90, window: { start: "22:00", end: "04:00", timeZone: "Europe/Vienna" } }) { enabled } }`,
      tokens.r1,
    );
    expect(invalid.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'schedule',
      reason: 'COMPLIANCE.INVALID_SCHEDULE',
    });
    const off = await mutate(
      'mutation { setAutomatedUpdates(reseller: "r2", enabled: false) { reseller enabled schedule { intervalDays } } }',
      tokens.operator,
    );
    expect(off.data).toEqual({ setAutomatedUpdates: { reseller: 'r2', enabled: false, schedule: null } });
  });
});
