import { ConflictError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the inventory's domain errors. */
export const InventoryErrorCode = {
  ServerNotFound: 'SERVER.NOT_FOUND',
  ServerAlreadyRegistered: 'SERVER.ALREADY_REGISTERED',
  ServerDecommissioned: 'SERVER.DECOMMISSIONED',
  ServerIdMismatch: 'SERVER.ID_MISMATCH',
  ServerInactivePairMember: 'SERVER.INACTIVE_PAIR_MEMBER',
  GroupNotFound: 'GROUP.NOT_FOUND',
  GroupAlreadyExists: 'GROUP.ALREADY_EXISTS',
  GroupIdMismatch: 'GROUP.ID_MISMATCH',
  GroupInvalidName: 'GROUP.INVALID_NAME',
} as const;

export type InventoryErrorCode = (typeof InventoryErrorCode)[keyof typeof InventoryErrorCode];

export const serverNotFound = (serverId: string) =>
  new NotFoundError(InventoryErrorCode.ServerNotFound, `Server ${serverId} not found`, { details: { serverId } });

export const serverAlreadyRegistered = (serverId: string) =>
  new ConflictError(InventoryErrorCode.ServerAlreadyRegistered, `Server ${serverId} is already registered`, {
    details: { serverId },
  });

export const serverDecommissioned = (serverId: string) =>
  new InvariantViolationError(InventoryErrorCode.ServerDecommissioned, `Server ${serverId} is decommissioned`, {
    details: { serverId },
  });

export const serverIdMismatch = (expected: string, actual: string) =>
  new InvariantViolationError(
    InventoryErrorCode.ServerIdMismatch,
    `Command for server ${actual} sent to the stream of server ${expected}`,
    { details: { expected, actual } },
  );

export const serverInactivePairMember = (serverId: string, pairId: string) =>
  new ConflictError(
    InventoryErrorCode.ServerInactivePairMember,
    `Server ${serverId} is the inactive member of redundancy pair ${pairId}: its configuration cannot change ` +
      '(redundancy settings excepted); switch the pair over first',
    { details: { serverId, pairId } },
  );

export const groupNotFound = (groupId: string) =>
  new NotFoundError(InventoryErrorCode.GroupNotFound, `Group ${groupId} not found`, { details: { groupId } });

export const groupAlreadyExists = (groupId: string) =>
  new ConflictError(InventoryErrorCode.GroupAlreadyExists, `Group ${groupId} already exists`, { details: { groupId } });

export const groupIdMismatch = (expected: string, actual: string) =>
  new InvariantViolationError(
    InventoryErrorCode.GroupIdMismatch,
    `Command for group ${actual} sent to the stream of group ${expected}`,
    { details: { expected, actual } },
  );

export const groupInvalidName = (groupId: string) =>
  new InvariantViolationError(InventoryErrorCode.GroupInvalidName, `Group ${groupId} needs a non-blank name`, {
    details: { groupId },
  });
