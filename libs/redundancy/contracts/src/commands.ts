import { z } from 'zod';
import { defineCommand } from '@fleetwarden/contracts';
import {
  DEFAULT_FAILOVER_THRESHOLD_SEC,
  DEFAULT_HOLD_DOWN_SEC,
  DEFAULT_KEEPALIVE_INTERVAL_SEC,
  idSchema,
  isoDateTimeSchema,
  memberRoleSchema,
  notificationTargetSchema,
} from './shared';
import { HA_MAX_COMPONENTS, HA_MIN_COMPONENTS, haComponentSchema, haHealthReportSchema } from './ha-shared';

/** Configures (or reconfigures) a primary/secondary pair of the caller's tenant. */
export const ConfigurePair = defineCommand({
  context: 'redundancy',
  name: 'ConfigurePair',
  description:
    "Configures or reconfigures a pair. Refused: the same server twice, unknown servers or servers outside the caller's tenant, a server already in another pair, a threshold not above the keep-alive interval. The key is stored as a salted hash only.",
  request: z.object({
    pairId: idSchema,
    primaryServerId: idSchema,
    secondaryServerId: idSchema,
    primaryAddress: z.string().max(255).default(''),
    secondaryAddress: z.string().max(255).default(''),
    switchAddress: z.string().max(255).default(''),
    redundancyKey: z.string().min(8, 'at least 8 characters').max(200),
    autoFailover: z.boolean().default(true),
    keepAliveIntervalSec: z.number().positive().max(3600).default(DEFAULT_KEEPALIVE_INTERVAL_SEC),
    failoverThresholdSec: z.number().positive().max(86_400).default(DEFAULT_FAILOVER_THRESHOLD_SEC),
    holdDownSec: z.number().nonnegative().max(86_400).default(DEFAULT_HOLD_DOWN_SEC),
    notificationTargets: z.array(notificationTargetSchema).max(20).default([]),
  }),
  reply: z.object({ pairId: idSchema }),
});

export const SetAutoFailover = defineCommand({
  context: 'redundancy',
  name: 'SetAutoFailover',
  description: 'Turns automatic failover of a pair on or off.',
  request: z.object({ pairId: idSchema, enabled: z.boolean() }),
  reply: z.object({ pairId: idSchema, enabled: z.boolean() }),
});

export const ManualSwitchover = defineCommand({
  context: 'redundancy',
  name: 'ManualSwitchover',
  description:
    'Hands control to the standby. Refused with the reason unless both members are available, every redundancy service on both is up, and the standby has finished replicating (`updated`).',
  request: z.object({ pairId: idSchema, reason: z.string().min(1).max(1000).default('manual switchover') }),
  reply: z.object({ pairId: idSchema, activeSystem: memberRoleSchema, switchedAt: isoDateTimeSchema }),
});

export const REDUNDANCY_COMMANDS = [ConfigurePair, SetAutoFailover, ManualSwitchover] as const;

/** Configures (or reconfigures) an HA cluster of the caller's tenant: its servers and load balancers. */
export const ConfigureHaCluster = defineCommand({
  context: 'redundancy',
  name: 'ConfigureHaCluster',
  description:
    "Configures or reconfigures an HA cluster: 2-20 components (servers and load balancers), each on its own server, with the address its messaging is reached at. Refused: a server twice, unknown servers or servers outside the caller's tenant, the id of a redundancy pair. Stream `ha-cluster-<clusterId>`.",
  request: z.object({
    clusterId: idSchema,
    components: z.array(haComponentSchema).min(HA_MIN_COMPONENTS).max(HA_MAX_COMPONENTS),
  }),
  reply: z.object({ clusterId: idSchema, components: z.array(haComponentSchema) }),
});

/**
 * Runs the HA health check of a cluster (or of a redundancy pair's two members) and replies the
 * report it recorded.
 */
export const RunHaHealthCheck = defineCommand({
  context: 'redundancy',
  name: 'RunHaHealthCheck',
  description:
    "Asks every component's agent (`ha-check` on `<ns>.agent.<serverId>.control`) for its messaging round trip to every other component and reads its clock; records and replies the report: one messaging row per ordered pair of components (OK, SLOW, NO_CONNECTION, COMPONENT_DOWN) and one clock row per component (CLOCK_OK, CLOCK_SKEW at one minute or more, CLOCK_UNKNOWN), each with a recommendation. `clusterId` may be a redundancy pair's id: its two members, as servers. A repeated idempotency key replies the first check without running it again.",
  request: z.object({ clusterId: idSchema }),
  reply: haHealthReportSchema,
});

/** The HA cluster commands, in catalogue order. */
export const HA_CLUSTER_COMMANDS = [ConfigureHaCluster, RunHaHealthCheck] as const;
