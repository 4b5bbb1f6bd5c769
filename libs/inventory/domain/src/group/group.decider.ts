import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import { groupAlreadyExists, groupIdMismatch, groupInvalidName, groupNotFound } from '../inventory.errors';
import type { GroupCommand } from './group.commands';
import type { GroupEvent } from './group.events';

/** A named set of servers. */
export interface GroupState {
  /** Created at some point (a removed group still exists: its id stays taken). */
  exists: boolean;
  removed: boolean;
  groupId: string | null;
  name: string;
  /** Owning reseller; null for an operator group. */
  reseller: string | null;
  /** Members, in the order they joined. */
  serverIds: string[];
}

export const initialGroupState = (): GroupState => ({
  exists: false,
  removed: false,
  groupId: null,
  name: '',
  reseller: null,
  serverIds: [],
});

/** The group aggregate: create, rename, add and remove servers, remove. */
export const groupDecider: Decider<GroupCommand, GroupEvent, GroupState> = {
  initialState: initialGroupState,
  decide: decideGroup,
  evolve: evolveGroup,
};

export function decideGroup(command: GroupCommand, state: GroupState): GroupEvent[] {
  const { groupId } = command.data;
  if (state.exists && state.groupId !== groupId) throw groupIdMismatch(state.groupId ?? '', groupId);
  if (command.type === 'CreateGroup') {
    if (state.exists) throw groupAlreadyExists(groupId);
    const name = command.data.name.trim();
    if (name === '') throw groupInvalidName(groupId);
    return [
      {
        type: 'GroupCreated',
        data: { groupId, name, reseller: command.data.reseller, serverIds: unique(command.data.serverIds) },
      },
    ];
  }
  if (!state.exists || state.removed) throw groupNotFound(groupId);
  switch (command.type) {
    case 'RenameGroup': {
      const name = command.data.name.trim();
      if (name === '') throw groupInvalidName(groupId);
      if (name === state.name) return [];
      return [{ type: 'GroupRenamed', data: { groupId, name, previousName: state.name } }];
    }
    case 'AddServersToGroup': {
      const members = new Set(state.serverIds);
      const added = unique(command.data.serverIds).filter((id) => !members.has(id));
      return added.length === 0 ? [] : [{ type: 'ServersAddedToGroup', data: { groupId, serverIds: added } }];
    }
    case 'RemoveServersFromGroup': {
      const members = new Set(state.serverIds);
      const removed = unique(command.data.serverIds).filter((id) => members.has(id));
      return removed.length === 0 ? [] : [{ type: 'ServersRemovedFromGroup', data: { groupId, serverIds: removed } }];
    }
    case 'RemoveGroup':
      return [{ type: 'GroupRemoved', data: { groupId } }];
    default:
      return assertNever(command, 'group command');
  }
}

export function evolveGroup(state: GroupState, event: GroupEvent): GroupState {
  switch (event.type) {
    case 'GroupCreated':
      return {
        exists: true,
        removed: false,
        groupId: event.data.groupId,
        name: event.data.name,
        reseller: event.data.reseller,
        serverIds: [...event.data.serverIds],
      };
    case 'GroupRenamed':
      return { ...state, name: event.data.name };
    case 'ServersAddedToGroup':
      return { ...state, serverIds: [...state.serverIds, ...event.data.serverIds] };
    case 'ServersRemovedFromGroup': {
      const gone = new Set(event.data.serverIds);
      return { ...state, serverIds: state.serverIds.filter((id) => !gone.has(id)) };
    }
    case 'GroupRemoved':
      return { ...state, removed: true };
    default:
      return assertNever(event, 'group event');
  }
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
