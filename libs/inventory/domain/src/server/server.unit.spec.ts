import { DeciderSpecification } from '@fleetwarden/testing';
import type { HostConfig, InstalledFile } from '../inventory.types';
import type { RecordHello, RegisterServer } from './server.commands';
import { serverDecider } from './server.decider';
import type { ServerEvent } from './server.events';

const spec = DeciderSpecification.for(serverDecider);

const serverId = 'srv-1';
const at = '2025-03-01T10:00:00.000Z';
const later = '2025-03-01T10:05:00.000Z';
const reseller = { id: 'res-1', name: 'Reseller One' };
const company = { id: 'co-1', name: 'Company One' };
const config: HostConfig = { fqdn: 'srv-1.example.net', hostName: 'srv-1', publicIp: '203.0.113.5', privateIp: null };
const files: InstalledFile[] = [
  { name: 'core.dll', version: '9.0.0.200', size: 1024, lastModified: '2025-01-01T00:00:00.000Z' },
  { name: 'app.exe', version: 'unknown', size: 2048, lastModified: '2025-01-02T00:00:00.000Z' },
];

const register: RegisterServer = {
  type: 'RegisterServer',
  data: {
    serverId,
    reseller,
    company,
    address: '1 Main St',
    serverVersion: '9.0.0.200',
    webAppsVersion: null,
    stage: 'production',
    hostingProvider: 'operator',
  },
};

const hello = (overrides: Partial<RecordHello['data']> = {}): RecordHello => ({
  type: 'RecordHello',
  data: {
    serverId,
    at,
    heartbeatIntervalSec: 10,
    identity: { reseller, company, address: '1 Main St', stage: 'production', hostingProvider: 'operator' },
    versions: { serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.5' },
    config,
    files,
    ...overrides,
  },
});

const registeredByAgent: ServerEvent = {
  type: 'ServerRegistered',
  data: {
    serverId,
    reseller,
    company,
    address: '1 Main St',
    serverVersion: '9.0.0.200',
    webAppsVersion: '9.0.1.5',
    stage: 'production',
    hostingProvider: 'operator',
    registeredBy: 'agent',
  },
};
const registeredByOperator: ServerEvent = {
  type: 'ServerRegistered',
  data: { ...register.data, registeredBy: 'operator' },
};
const configReported: ServerEvent = { type: 'ServerConfigReported', data: { serverId, config } };
const filesReported: ServerEvent = { type: 'ServerFilesReported', data: { serverId, files } };
const connectedAt = (time: string, heartbeatIntervalSec = 10): ServerEvent => ({
  type: 'ServerConnected',
  data: { serverId, at: time, heartbeatIntervalSec },
});
const disconnected: ServerEvent = { type: 'ServerDisconnected', data: { serverId, at: later, lastSeenAt: at } };
const decommissioned: ServerEvent = { type: 'ServerDecommissioned', data: { serverId, reason: 'retired' } };

const helloed = [registeredByAgent, configReported, filesReported, connectedAt(at)];

describe('server', () => {
  describe('when unknown', () => {
    it('is registered by an operator', () => {
      spec.given([]).when(register).then([registeredByOperator]);
    });

    it('is registered by its agent on the first hello, with config, files and the connection', () => {
      spec.given([]).when(hello()).then(helloed);
    });

    it('refuses reports, connection changes, stage changes and decommissioning as not found', () => {
      spec.given([]).when({ type: 'RecordReport', data: { serverId, config } }).thenThrows('SERVER.NOT_FOUND');
      spec.given([]).when({ type: 'MarkConnected', data: { serverId, at } }).thenThrows('SERVER.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'MarkDisconnected', data: { serverId, at, lastSeenAt: at } })
        .thenThrows('SERVER.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'SetServerStage', data: { serverId, stage: 'beta' } })
        .thenThrows('SERVER.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'DecommissionServer', data: { serverId, reason: null } })
        .thenThrows('SERVER.NOT_FOUND');
    });
  });

  describe('when registered by an operator and never connected', () => {
    it('refuses a second registration', () => {
      spec.given([registeredByOperator]).when(register).thenThrows('SERVER.ALREADY_REGISTERED');
    });

    it('records on the first hello what differs from the registration, and connects', () => {
      spec
        .given([registeredByOperator])
        .when(hello())
        .then([
          { type: 'ServerVersionsReported', data: { serverId, serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.5' } },
          configReported,
          filesReported,
          connectedAt(at),
        ]);
    });

    it('takes the default heartbeat interval when a heartbeat comes before any hello', () => {
      spec
        .given([registeredByOperator])
        .when({ type: 'MarkConnected', data: { serverId, at } })
        .then([connectedAt(at, 10)]);
    });
  });

  describe('when connected', () => {
    it('records nothing for a hello that repeats what is known', () => {
      spec
        .given(helloed)
        .when(hello({ at: later }))
        .thenNothingHappens();
    });

    it('records only the files when only they changed', () => {
      const changed = [{ ...files[0], version: '9.0.0.201' }, files[1]];
      spec
        .given(helloed)
        .when(hello({ at: later, files: changed }))
        .then([{ type: 'ServerFilesReported', data: { serverId, files: changed } }]);
    });

    it('treats the same files in another order as unchanged', () => {
      spec
        .given(helloed)
        .when(hello({ files: [files[1], files[0]] }))
        .thenNothingHappens();
    });

    it('keeps the identity it registered with, whatever a later hello claims', () => {
      spec
        .given(helloed)
        .when(
          hello({
            identity: {
              reseller: { id: 'res-2', name: 'Other' },
              company,
              address: 'elsewhere',
              stage: 'beta',
              hostingProvider: 'partner',
            },
          }),
        )
        .thenNothingHappens();
    });

    it('records the parts of a report that differ, in the order versions, config, files', () => {
      const newConfig = { ...config, privateIp: '10.0.0.5' };
      spec
        .given(helloed)
        .when({
          type: 'RecordReport',
          data: {
            serverId,
            versions: { serverVersion: '9.0.0.300', webAppsVersion: '9.0.1.5' },
            config: newConfig,
            files,
          },
        })
        .then([
          { type: 'ServerVersionsReported', data: { serverId, serverVersion: '9.0.0.300', webAppsVersion: '9.0.1.5' } },
          { type: 'ServerConfigReported', data: { serverId, config: newConfig } },
        ]);
    });

    it('records nothing for an empty report', () => {
      spec.given(helloed).when({ type: 'RecordReport', data: { serverId } }).thenNothingHappens();
    });

    it('does not connect twice', () => {
      spec
        .given(helloed)
        .when({ type: 'MarkConnected', data: { serverId, at: later } })
        .thenNothingHappens();
    });

    it('disconnects', () => {
      spec
        .given(helloed)
        .when({ type: 'MarkDisconnected', data: { serverId, at: later, lastSeenAt: at } })
        .then([disconnected]);
    });

    it('changes the stage, naming the previous one', () => {
      spec
        .given(helloed)
        .when({ type: 'SetServerStage', data: { serverId, stage: 'beta' } })
        .then([{ type: 'ServerStageChanged', data: { serverId, stage: 'beta', previousStage: 'production' } }]);
    });

    it('refuses a stage change on the inactive member of a redundancy pair', () => {
      spec
        .given(helloed)
        .when({ type: 'SetServerStage', data: { serverId, stage: 'beta' }, resolved: { inactiveMemberOf: 'pair-1' } })
        .thenThrows('SERVER.INACTIVE_PAIR_MEMBER');
    });

    it('records nothing when the stage is already the one asked for', () => {
      spec
        .given(helloed)
        .when({ type: 'SetServerStage', data: { serverId, stage: 'production' } })
        .thenNothingHappens();
    });

    it('refuses a command meant for another server', () => {
      spec
        .given(helloed)
        .when({ type: 'SetServerStage', data: { serverId: 'srv-2', stage: 'beta' } })
        .thenThrows('SERVER.ID_MISMATCH');
    });
  });

  describe('when disconnected', () => {
    it('does not disconnect twice', () => {
      spec
        .given([...helloed, disconnected])
        .when({ type: 'MarkDisconnected', data: { serverId, at: later, lastSeenAt: at } })
        .thenNothingHappens();
    });

    it('connects again on a heartbeat, keeping the announced interval', () => {
      spec
        .given([...helloed.slice(0, 3), connectedAt(at, 20), disconnected])
        .when({ type: 'MarkConnected', data: { serverId, at: later } })
        .then([connectedAt(later, 20)]);
    });

    it('connects again on a hello, with the newly announced interval', () => {
      spec
        .given([...helloed, disconnected])
        .when(hello({ at: later, heartbeatIntervalSec: 5 }))
        .then([connectedAt(later, 5)]);
    });
  });

  describe('when decommissioned', () => {
    const history = [...helloed, decommissioned];

    it('refuses every later message from the server', () => {
      spec
        .given(history)
        .when(hello({ at: later }))
        .thenThrows('SERVER.DECOMMISSIONED');
      spec.given(history).when({ type: 'RecordReport', data: { serverId, files } }).thenThrows('SERVER.DECOMMISSIONED');
      spec.given(history).when({ type: 'MarkConnected', data: { serverId, at } }).thenThrows('SERVER.DECOMMISSIONED');
    });

    it('refuses stage changes and a second decommissioning', () => {
      spec
        .given(history)
        .when({ type: 'SetServerStage', data: { serverId, stage: 'beta' } })
        .thenThrows('SERVER.DECOMMISSIONED');
      spec
        .given(history)
        .when({ type: 'DecommissionServer', data: { serverId, reason: null } })
        .thenThrows('SERVER.DECOMMISSIONED');
    });

    it('keeps the id taken', () => {
      spec.given(history).when(register).thenThrows('SERVER.ALREADY_REGISTERED');
    });
  });

  describe('decommissioning an active server', () => {
    it('records the reason', () => {
      spec
        .given(helloed)
        .when({ type: 'DecommissionServer', data: { serverId, reason: 'retired' } })
        .then([decommissioned]);
    });
  });

  describe('state', () => {
    it('holds what the events said', () => {
      const state = [...helloed, disconnected].reduce(serverDecider.evolve, serverDecider.initialState());
      expect(state).toMatchObject({
        registered: true,
        decommissioned: false,
        reseller,
        company,
        stage: 'production',
        versions: { serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.5' },
        config,
        files,
        connected: false,
        heartbeatIntervalSec: 10,
        lastConnectedAt: at,
        lastDisconnectedAt: later,
      });
    });
  });
});
