import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { Reseller } from './server.model';

@ObjectType({ description: 'A named set of servers.' })
export class Group {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Reseller, { nullable: true, description: "Owning reseller; null for an operator's group." })
  reseller!: Reseller | null;

  @Field(() => Int, { description: 'Servers in the group that the caller can see (decommissioned ones excluded).' })
  serverCount!: number;

  @Field()
  createdAt!: Date;
}
