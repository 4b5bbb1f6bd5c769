import { registerEnumType } from '@nestjs/graphql';

/** Which member of a pair (values as stored in events). */
export enum PairRole {
  PRIMARY = 'primary',
  SECONDARY = 'secondary',
}

/** State of one redundancy service on a member (values as stored in events). */
export enum ServiceState {
  UP = 'up',
  DOWN = 'down',
}

/** Replication as a member reports it (values as stored in events). */
export enum ReplicationStatus {
  MONITORING = 'monitoring',
  SYNCHRONIZING = 'synchronizing',
  UPDATED = 'updated',
}

/** How control changed hands (values as stored in events). */
export enum SwitchoverKind {
  FAILOVER = 'failover',
  SWITCHOVER = 'switchover',
}

/** Where a switch is announced (values as stored in events). */
export enum NotificationTargetKind {
  SUBJECT = 'subject',
  WEBHOOK = 'webhook',
}

registerEnumType(PairRole, { name: 'PairRole', description: 'Which member of a redundancy pair.' });
registerEnumType(ServiceState, { name: 'ServiceState', description: 'State of one redundancy service on a member.' });
registerEnumType(ReplicationStatus, {
  name: 'ReplicationStatus',
  description:
    'Replication as a member reports it: the source (the member in control) is MONITORING; the destination is ' +
    'SYNCHRONIZING until it has caught up, then UPDATED.',
});
registerEnumType(SwitchoverKind, {
  name: 'SwitchoverKind',
  description: 'FAILOVER: automatic, the active member was unavailable; SWITCHOVER: asked for by a person.',
});
registerEnumType(NotificationTargetKind, {
  name: 'NotificationTargetKind',
  description: 'SUBJECT: a NATS subject; WEBHOOK: an HTTP(S) URL receiving a JSON POST.',
});
