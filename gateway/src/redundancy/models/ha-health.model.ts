import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import { HaClockResult, HaClusterSource, HaComponentRole, HaMessagingResult } from './ha-health.enums';

@ObjectType({ description: 'A component of an HA cluster, as a health check names it.' })
export class HaComponent {
  @Field(() => ID, { description: 'Id of the server it runs on.' })
  id!: string;

  @Field(() => HaComponentRole)
  role!: HaComponentRole;
}

@ObjectType({ description: 'The messaging check from one component to another.' })
export class HaMessagingCheck {
  @Field(() => HaComponent, { description: 'The component that measured.' })
  from!: HaComponent;

  @Field(() => HaComponent)
  to!: HaComponent;

  @Field(() => HaMessagingResult)
  result!: HaMessagingResult;

  @Field(() => Float, {
    nullable: true,
    description: 'Round trip `from` measured to `to`, in ms; null unless OK or SLOW.',
  })
  transferTimeMs!: number | null;

  @Field(() => String, { nullable: true, description: 'What to do; null when OK.' })
  recommendation!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'What was observed (the agent\'s error, "no reply within 3000 ms"); null when OK.',
  })
  detail!: string | null;
}

@ObjectType({ description: "A component's clock against the control plane's." })
export class HaClockCheck {
  @Field(() => HaComponent)
  server!: HaComponent;

  @Field(() => Float, {
    nullable: true,
    description: "The component's clock minus the control plane's, in ms; null when not read.",
  })
  skewMs!: number | null;

  @Field(() => HaClockResult)
  result!: HaClockResult;

  @Field(() => String, { nullable: true, description: 'What to do; null when CLOCK_OK.' })
  recommendation!: string | null;

  @Field(() => String, { nullable: true, description: 'What was observed; null when CLOCK_OK.' })
  detail!: string | null;
}

@ObjectType({ description: 'The outcome of one HA health check, as recorded.' })
export class HaHealthReport {
  @Field(() => ID)
  clusterId!: string;

  @Field(() => ID)
  checkId!: string;

  @Field({ description: "Control plane's clock when the check ended." })
  checkedAt!: Date;

  @Field(() => HaClusterSource)
  source!: HaClusterSource;

  @Field(() => [HaComponent])
  components!: HaComponent[];

  @Field(() => [HaMessagingCheck], {
    description: 'One row per ordered pair of components (each component measures its way to every other).',
  })
  messaging!: HaMessagingCheck[];

  @Field(() => [HaClockCheck], { description: 'One row per component.' })
  clocks!: HaClockCheck[];
}

@ObjectType({ description: 'A component of an HA cluster as configured.' })
export class HaClusterComponent {
  @Field(() => ID, { description: 'Id of the server it runs on.' })
  id!: string;

  @Field(() => HaComponentRole)
  role!: HaComponentRole;

  @Field({ description: 'host or host:port of its messaging (port 4222 when none).' })
  address!: string;
}

@ObjectType({
  description: 'An HA cluster: servers and load balancers whose messaging and clocks are checked together.',
})
export class HaCluster {
  @Field(() => ID)
  id!: string;

  @Field(() => [HaClusterComponent])
  components!: HaClusterComponent[];
}
