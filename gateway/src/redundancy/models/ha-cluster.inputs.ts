import { Field, ID, InputType } from '@nestjs/graphql';
import { HaComponentRole } from './ha-health.enums';

@InputType()
export class HaComponentInput {
  @Field(() => ID, { description: 'The server it runs on; each component on its own server.' })
  serverId!: string;

  @Field(() => HaComponentRole)
  role!: HaComponentRole;

  @Field({ description: 'host or host:port where the other components reach its messaging (port 4222 when none).' })
  address!: string;
}

@InputType()
export class ConfigureHaClusterInput {
  @Field(() => ID, { description: 'Id of the cluster (new or existing); not the id of a redundancy pair.' })
  id!: string;

  @Field(() => [HaComponentInput], { description: "2 to 20 components on servers of the caller's tenant." })
  components!: HaComponentInput[];
}
