import { DeciderSpecification } from '@fleetwarden/testing';
import { groupDecider } from './group.decider';
import type { GroupEvent } from './group.events';

const spec = DeciderSpecification.for(groupDecider);
const groupId = 'grp-1';

const created: GroupEvent = {
  type: 'GroupCreated',
  data: { groupId, name: 'Night shift', reseller: 'res-1', serverIds: ['s1', 's2'] },
};
const removed: GroupEvent = { type: 'GroupRemoved', data: { groupId } };

describe('group', () => {
  describe('when it does not exist', () => {
    it('is created with its servers, each listed once', () => {
      spec
        .given([])
        .when({
          type: 'CreateGroup',
          data: { groupId, name: '  Night shift ', reseller: 'res-1', serverIds: ['s1', 's2', 's1'] },
        })
        .then([created]);
    });

    it('can be created empty, as an operator group', () => {
      spec
        .given([])
        .when({ type: 'CreateGroup', data: { groupId, name: 'All', reseller: null, serverIds: [] } })
        .then([{ type: 'GroupCreated', data: { groupId, name: 'All', reseller: null, serverIds: [] } }]);
    });

    it('refuses a blank name', () => {
      spec
        .given([])
        .when({ type: 'CreateGroup', data: { groupId, name: '  ', reseller: null, serverIds: [] } })
        .thenThrows('GROUP.INVALID_NAME');
    });

    it('refuses every other command as not found', () => {
      spec
        .given([])
        .when({ type: 'RenameGroup', data: { groupId, name: 'x' } })
        .thenThrows('GROUP.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'AddServersToGroup', data: { groupId, serverIds: ['s1'] } })
        .thenThrows('GROUP.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'RemoveServersFromGroup', data: { groupId, serverIds: ['s1'] } })
        .thenThrows('GROUP.NOT_FOUND');
      spec.given([]).when({ type: 'RemoveGroup', data: { groupId } }).thenThrows('GROUP.NOT_FOUND');
    });
  });

  describe('when it exists', () => {
    it('refuses to be created again', () => {
      spec
        .given([created])
        .when({ type: 'CreateGroup', data: { groupId, name: 'Other', reseller: null, serverIds: [] } })
        .thenThrows('GROUP.ALREADY_EXISTS');
    });

    it('is renamed, naming the previous name', () => {
      spec
        .given([created])
        .when({ type: 'RenameGroup', data: { groupId, name: 'Day shift' } })
        .then([{ type: 'GroupRenamed', data: { groupId, name: 'Day shift', previousName: 'Night shift' } }]);
    });

    it('records nothing when renamed to its own name', () => {
      spec
        .given([created])
        .when({ type: 'RenameGroup', data: { groupId, name: 'Night shift' } })
        .thenNothingHappens();
    });

    it('adds only the servers not yet in it', () => {
      spec
        .given([created])
        .when({ type: 'AddServersToGroup', data: { groupId, serverIds: ['s2', 's3', 's3', 's4'] } })
        .then([{ type: 'ServersAddedToGroup', data: { groupId, serverIds: ['s3', 's4'] } }]);
    });

    it('adds nothing when every server is already in it', () => {
      spec
        .given([created])
        .when({ type: 'AddServersToGroup', data: { groupId, serverIds: ['s1', 's2'] } })
        .thenNothingHappens();
    });

    it('removes only the servers that are in it', () => {
      spec
        .given([created])
        .when({ type: 'RemoveServersFromGroup', data: { groupId, serverIds: ['s2', 's9'] } })
        .then([{ type: 'ServersRemovedFromGroup', data: { groupId, serverIds: ['s2'] } }]);
    });

    it('removes nothing when none of the servers is in it', () => {
      spec
        .given([created])
        .when({ type: 'RemoveServersFromGroup', data: { groupId, serverIds: ['s9'] } })
        .thenNothingHappens();
    });

    it('is removed', () => {
      spec.given([created]).when({ type: 'RemoveGroup', data: { groupId } }).then([removed]);
    });

    it('refuses a command meant for another group', () => {
      spec
        .given([created])
        .when({ type: 'RenameGroup', data: { groupId: 'grp-2', name: 'x' } })
        .thenThrows('GROUP.ID_MISMATCH');
    });

    it('tracks its members in the order they joined', () => {
      const history: GroupEvent[] = [
        created,
        { type: 'ServersAddedToGroup', data: { groupId, serverIds: ['s3'] } },
        { type: 'ServersRemovedFromGroup', data: { groupId, serverIds: ['s1'] } },
      ];
      const state = history.reduce(groupDecider.evolve, groupDecider.initialState());
      expect(state).toMatchObject({
        exists: true,
        removed: false,
        name: 'Night shift',
        reseller: 'res-1',
        serverIds: ['s2', 's3'],
      });
    });
  });

  describe('when removed', () => {
    it('is not found for any further change', () => {
      spec
        .given([created, removed])
        .when({ type: 'RenameGroup', data: { groupId, name: 'x' } })
        .thenThrows('GROUP.NOT_FOUND');
      spec
        .given([created, removed])
        .when({ type: 'AddServersToGroup', data: { groupId, serverIds: ['s9'] } })
        .thenThrows('GROUP.NOT_FOUND');
      spec.given([created, removed]).when({ type: 'RemoveGroup', data: { groupId } }).thenThrows('GROUP.NOT_FOUND');
    });

    it('keeps its id taken', () => {
      spec
        .given([created, removed])
        .when({ type: 'CreateGroup', data: { groupId, name: 'Again', reseller: null, serverIds: [] } })
        .thenThrows('GROUP.ALREADY_EXISTS');
    });
  });
});
