import { MessageCatalogue, renderEventsDoc } from '@fleetwarden/contracts';
import {
  agentPatchReportSchema,
  automationScheduleSchema,
  ChargeRecorded,
  COMPLIANCE_COMMANDS,
  COMPLIANCE_EVENTS,
  complianceStreamId,
  DEFAULT_BREACH_CHARGE,
  moneySchema,
  patchAutomationStreamId,
  patchBatchStreamId,
  PatchesInstalled,
  RecordPatchInstall,
  SetAutomatedUpdates,
  urgentUpdateStreamId,
} from './index';

const installed = {
  serverId: 'srv-1',
  reseller: 'reseller-1',
  hostingProvider: 'operator',
  installedAt: '2026-06-01T10:00:00.000+02:00',
  patches: ['KB5034441', 'openssl_3.0.13-0ubuntu3.4'],
  startedBy: 'operations',
  kind: 'regular',
  urgentUpdateId: null,
  source: 'system',
  outsideApproval: false,
};
const charge = {
  serverId: 'srv-1',
  reseller: 'reseller-1',
  amount: { value: 64_000, currency: 'USD' },
  reason: 'operations installed the OS updates 121 days after the last install (breached from 120)',
  daysSinceLastUpdate: 121,
  installedAt: '2026-06-01T08:00:00.000Z',
  at: '2026-06-01T08:00:00.000Z',
};

describe('compliance contracts', () => {
  it('names the streams of a server, a patch batch, an urgent update and a reseller’s automation', () => {
    expect(complianceStreamId('srv-1')).toBe('compliance-srv-1');
    expect(patchBatchStreamId('b-1')).toBe('patch-batch-b-1');
    expect(urgentUpdateStreamId('u-1')).toBe('urgent-update-u-1');
    expect(patchAutomationStreamId('r-1')).toBe('patch-automation-r-1');
  });

  it('publishes events and commands on the compliance subjects, each once', () => {
    expect(COMPLIANCE_EVENTS.every((e) => e.context === 'compliance' && e.version === 1)).toBe(true);
    expect(ChargeRecorded.subject()).toBe('fleet.events.compliance.ChargeRecorded');
    expect(COMPLIANCE_COMMANDS.map((c) => c.subject())).toEqual([
      'fleet.cmd.compliance.RecordPatchInstall',
      'fleet.cmd.compliance.DeclareUrgentUpdate',
      'fleet.cmd.compliance.RecordEmergencyUpdate',
      'fleet.cmd.compliance.RecordPatchBatchDownload',
      'fleet.cmd.compliance.RecordPatchBatchPilot',
      'fleet.cmd.compliance.ApprovePatchBatch',
      'fleet.cmd.compliance.SetAutomatedUpdates',
    ]);
    const catalogue = new MessageCatalogue({ events: COMPLIANCE_EVENTS, commands: COMPLIANCE_COMMANDS });
    expect(renderEventsDoc(catalogue)).toContain('#### `ChargeRecorded` v1');
  });

  it('accepts an install and refuses one without patches or with an unknown starter', () => {
    expect(PatchesInstalled.parse(installed)).toEqual(installed);
    expect(() => PatchesInstalled.parse({ ...installed, patches: [] })).toThrow('patches');
    expect(() => PatchesInstalled.parse({ ...installed, startedBy: 'customer' })).toThrow('startedBy');
    expect(() => PatchesInstalled.parse({ ...installed, patches: ['two words'] })).toThrow('patches');
  });

  it('keeps amounts as integer cents in an explicit currency, never negative', () => {
    expect(ChargeRecorded.parse(charge)).toEqual(charge);
    expect(moneySchema.parse(DEFAULT_BREACH_CHARGE)).toEqual({ value: 64_000, currency: 'USD' });
    for (const amount of [
      { value: -64_000, currency: 'USD' },
      { value: 640.5, currency: 'USD' },
      { value: 64_000, currency: 'EUR' },
      { value: 64_000 },
    ]) {
      expect(() => ChargeRecorded.parse({ ...charge, amount })).toThrow('amount');
    }
  });

  it('fills the defaults of an install request', () => {
    const request = RecordPatchInstall.parseRequest({
      data: { serverId: 'srv-1', installedAt: '2026-06-01T08:00:00Z', patches: ['KB1'], startedBy: 'reseller' },
    });
    expect(request.data).toEqual({
      serverId: 'srv-1',
      installedAt: '2026-06-01T08:00:00Z',
      patches: ['KB1'],
      startedBy: 'reseller',
      kind: 'regular',
      urgentUpdateId: null,
      source: 'system',
    });
    expect(() =>
      RecordPatchInstall.parseRequest({
        data: { serverId: 'srv-1', installedAt: 'yesterday', patches: ['KB1'], startedBy: 'reseller' },
      }),
    ).toThrow('installedAt');
  });

  it('passes the automation schedule of a request on to the domain, and checks it in the event', () => {
    const request = SetAutomatedUpdates.parseRequest({
      data: { reseller: 'r-1', enabled: true, schedule: { window: { start: '22:00', end: '04:00', timeZone: 'X' } } },
    });
    expect(request.data.schedule).toEqual({ intervalDays: 7, window: { start: '22:00', end: '04:00', timeZone: 'X' } });
    const window = { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' };
    expect(automationScheduleSchema.parse({ intervalDays: 7, window })).toEqual({ intervalDays: 7, window });
    expect(() => automationScheduleSchema.parse({ intervalDays: 60, window })).toThrow();
    expect(() => automationScheduleSchema.parse({ intervalDays: 7, window: { ...window, timeZone: 'X' } })).toThrow();
  });

  it('describes the agent report of an install, outside the system unless a task is named', () => {
    const report = agentPatchReportSchema.parse({
      serverId: 'srv-1',
      installedAt: '2026-06-01T08:00:00Z',
      patches: ['KB1'],
      startedBy: 'reseller',
      sentAt: '2026-06-01T08:00:05Z',
    });
    expect(report).toMatchObject({ kind: 'regular', urgentUpdateId: null, taskId: null });
    expect(() => agentPatchReportSchema.parse({ ...report, extra: true })).toThrow();
  });
});
