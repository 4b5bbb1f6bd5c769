import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { Server } from '../../inventory/models/server.model';
import { NotificationTargetKind, PairRole, ReplicationStatus, ServiceState, SwitchoverKind } from './redundancy.enums';

@ObjectType({ description: 'Where a switch is announced.' })
export class NotificationTarget {
  @Field(() => NotificationTargetKind)
  kind!: NotificationTargetKind;

  @Field(() => String, { nullable: true, description: 'NATS subject of a SUBJECT target.' })
  subject!: string | null;

  @Field(() => String, { nullable: true, description: 'URL of a WEBHOOK target.' })
  url!: string | null;
}

@ObjectType({ description: 'One delivery attempt of a switch to a notification target.' })
export class SwitchoverNotification {
  @Field({ description: 'The switch announced.' })
  switchId!: string;

  @Field(() => NotificationTarget)
  target!: NotificationTarget;

  @Field(() => Int)
  attempt!: number;

  @Field()
  delivered!: boolean;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  at!: Date;
}

@ObjectType({ description: 'One member of a redundancy pair as the control plane sees it.' })
export class Member {
  @Field(() => PairRole)
  role!: PairRole;

  /** Id of the server; resolved into `server`. */
  serverId!: string;

  @Field(() => Server, { nullable: true, description: 'Null when the caller cannot see the server (any more).' })
  server?: Server | null;

  @Field({ description: 'Address of the member as configured.' })
  address!: string;

  @Field({
    description:
      "The control plane's decision: this member's role is the pair's active system. Exactly one member of a " +
      'pair is in control, whatever the members claim (see claimsControl).',
  })
  inControl!: boolean;

  @Field({ description: 'What the member last reported about itself: it believes it is in control.' })
  claimsControl!: boolean;

  @Field(() => ServiceState, { nullable: true, description: 'Null before the first report.' })
  switchingService!: ServiceState | null;

  @Field(() => ServiceState, { nullable: true, description: 'Null before the first report.' })
  ipPhoneService!: ServiceState | null;

  @Field(() => ServiceState, { nullable: true, description: 'Null before the first report.' })
  keepAliveService!: ServiceState | null;

  @Field(() => ReplicationStatus, { nullable: true, description: 'Null before the first report.' })
  replicationStatus!: ReplicationStatus | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'The member reached its peer over the redundancy link lately; null before the first report.',
  })
  peerReachable!: boolean | null;

  @Field(() => Float, {
    nullable: true,
    description: "Member's clock minus the control plane's at its last report, in ms; null before the first report.",
  })
  clockSkewMs!: number | null;

  @Field({
    description:
      'False from a lost keep-alive (none for the failover threshold) until keep-alives arrive again; true before.',
  })
  available!: boolean;

  @Field(() => Date, { nullable: true, description: 'When the keep-alive was lost; null while available.' })
  unavailableSince!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "Time of the member's last keep-alive that the control plane recorded as an event: its last state change " +
      '(MemberStateReported), keep-alives arriving again (KeepAliveRestored), or the last one before a loss ' +
      '(KeepAliveLost). Keep-alives that change nothing are not events, so this may be older than the last ' +
      'keep-alive received: `available` says whether they still arrive. Null before any.',
  })
  lastKeepAliveAt!: Date | null;
}

@ObjectType({
  description: 'A primary/secondary redundancy pair. Its redundancy key (and the key hash) is never shown.',
})
export class RedundancyPair {
  @Field(() => ID)
  id!: string;

  @Field(() => PairRole, {
    description: 'The member in control as the control plane decided: PRIMARY at first, changed by switches only.',
  })
  activeSystem!: PairRole;

  @Field({ description: 'The standby assumes control when the active member is unavailable.' })
  autoFailover!: boolean;

  @Field(() => Date, { nullable: true, description: 'Null before the first switch.' })
  lastSwitchoverAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastSwitchoverReason!: string | null;

  @Field(() => SwitchoverKind, { nullable: true })
  lastSwitchoverKind!: SwitchoverKind | null;

  @Field(() => String, { nullable: true, description: 'Who switched (`system:redundancy` for a failover).' })
  lastSwitchoverBy!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why no failover was made while the active member is unavailable (auto-failover off, standby not ready, ' +
      'hold-down); null when none is blocked.',
  })
  failoverBlockedReason!: string | null;

  @Field(() => Date, { nullable: true })
  failoverBlockedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Since when the secondary has not reached its primary; null when it reaches it.',
  })
  secondaryUnreachableSince!: Date | null;

  /** Resolved from `secondaryUnreachableSince` and the clock. */
  daysSinceSecondaryReachedPrimary?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Days left (7, 3, 1) at the last warning that the secondary will lose function; null when not warned ' +
      'since it last reached its primary.',
  })
  isolationWarningDaysLeft!: number | null;

  @Field({
    description: 'The secondary has not reached its primary for 30 days and lost function (until it reaches it again).',
  })
  secondaryFunctionLost!: boolean;

  @Field(() => Float)
  keepAliveIntervalSec!: number;

  @Field(() => Float, { description: 'Keep-alives missed for this long make a member unavailable.' })
  failoverThresholdSec!: number;

  @Field(() => Float, { description: 'No automatic failover within this long after a switch.' })
  holdDownSec!: number;

  @Field({ description: 'Address of the A/B switch.' })
  switchAddress!: string;

  @Field(() => [NotificationTarget], { description: 'Where switches are announced.' })
  notificationTargets!: NotificationTarget[];

  @Field(() => [SwitchoverNotification], {
    description: 'The last 50 delivery attempts of switch notifications, oldest first.',
  })
  notifications!: SwitchoverNotification[];

  @Field(() => Int, { description: 'Delivery attempts of switch notifications since the pair was configured.' })
  notificationCount!: number;

  @Field({ description: 'When the pair was last configured.' })
  configuredAt!: Date;

  @Field()
  configuredBy!: string;

  @Field(() => Member, { nullable: true })
  primary!: Member | null;

  @Field(() => Member, { nullable: true })
  secondary!: Member | null;

  /** Reseller owning the pair; null for an operator's pair. Not exposed. */
  tenant!: string | null;
}
