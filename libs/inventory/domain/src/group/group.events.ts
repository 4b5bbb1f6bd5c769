export interface GroupCreated {
  type: 'GroupCreated';
  data: { groupId: string; name: string; reseller: string | null; serverIds: string[] };
}

export interface GroupRenamed {
  type: 'GroupRenamed';
  data: { groupId: string; name: string; previousName: string };
}

export interface ServersAddedToGroup {
  type: 'ServersAddedToGroup';
  data: { groupId: string; serverIds: string[] };
}

export interface ServersRemovedFromGroup {
  type: 'ServersRemovedFromGroup';
  data: { groupId: string; serverIds: string[] };
}

export interface GroupRemoved {
  type: 'GroupRemoved';
  data: { groupId: string };
}

/** Every event of the group stream `group-<groupId>`. */
export type GroupEvent = GroupCreated | GroupRenamed | ServersAddedToGroup | ServersRemovedFromGroup | GroupRemoved;

export type GroupEventType = GroupEvent['type'];
