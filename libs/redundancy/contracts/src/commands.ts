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
