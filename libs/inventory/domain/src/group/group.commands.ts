export interface CreateGroup {
  type: 'CreateGroup';
  data: {
    groupId: string;
    name: string;
    /** Owning reseller; null for an operator group. */
    reseller: string | null;
    serverIds: string[];
  };
}

export interface RenameGroup {
  type: 'RenameGroup';
  data: { groupId: string; name: string };
}

export interface AddServersToGroup {
  type: 'AddServersToGroup';
  data: { groupId: string; serverIds: string[] };
}

export interface RemoveServersFromGroup {
  type: 'RemoveServersFromGroup';
  data: { groupId: string; serverIds: string[] };
}

export interface RemoveGroup {
  type: 'RemoveGroup';
  data: { groupId: string };
}

/** Every command of the group stream `group-<groupId>`. */
export type GroupCommand = CreateGroup | RenameGroup | AddServersToGroup | RemoveServersFromGroup | RemoveGroup;
