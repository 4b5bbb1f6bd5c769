import { Field, Float, ID, InputType } from '@nestjs/graphql';
import {
  DEFAULT_FAILOVER_THRESHOLD_SEC,
  DEFAULT_HOLD_DOWN_SEC,
  DEFAULT_KEEPALIVE_INTERVAL_SEC,
} from '@fleetwarden/redundancy-contracts';
import { NotificationTargetKind } from './redundancy.enums';

@InputType({ description: 'A SUBJECT target needs `subject`, a WEBHOOK target `url`; not both.' })
export class NotificationTargetInput {
  @Field(() => NotificationTargetKind)
  kind!: NotificationTargetKind;

  @Field(() => String, { nullable: true, description: 'Dot-separated NATS subject, no wildcards.' })
  subject?: string | null;

  @Field(() => String, { nullable: true, description: 'http(s) URL; receives a JSON POST per switch.' })
  url?: string | null;
}

@InputType()
export class ConfigurePairInput {
  @Field(() => ID, { description: 'Id of the pair (new or existing).' })
  id!: string;

  @Field(() => ID)
  primaryServerId!: string;

  @Field(() => ID)
  secondaryServerId!: string;

  @Field(() => String, { nullable: true, defaultValue: '' })
  primaryAddress?: string | null;

  @Field(() => String, { nullable: true, defaultValue: '' })
  secondaryAddress?: string | null;

  @Field(() => String, { nullable: true, defaultValue: '', description: 'Address of the A/B switch.' })
  switchAddress?: string | null;

  @Field({ description: 'Shared secret of the members, at least 8 characters; stored as a salted hash only.' })
  redundancyKey!: string;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description: 'The standby assumes control when the active member is unavailable.',
  })
  autoFailover?: boolean | null;

  @Field(() => Float, { nullable: true, defaultValue: DEFAULT_KEEPALIVE_INTERVAL_SEC })
  keepAliveIntervalSec?: number | null;

  @Field(() => Float, {
    nullable: true,
    defaultValue: DEFAULT_FAILOVER_THRESHOLD_SEC,
    description: 'Keep-alives missed for this long make a member unavailable; above the keep-alive interval.',
  })
  failoverThresholdSec?: number | null;

  @Field(() => Float, {
    nullable: true,
    defaultValue: DEFAULT_HOLD_DOWN_SEC,
    description: 'No automatic failover within this long after a switch.',
  })
  holdDownSec?: number | null;

  @Field(() => [NotificationTargetInput], { nullable: true, defaultValue: [] })
  notificationTargets?: NotificationTargetInput[] | null;
}
