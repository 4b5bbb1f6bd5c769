import { Field, ObjectType } from '@nestjs/graphql';
import { Stage } from '../../inventory/models/inventory.enums';
import { Component } from './scheduling.enums';

@ObjectType({ description: 'A released version of a component in the catalog.' })
export class Version {
  @Field(() => Component)
  component!: Component;

  @Field({ description: 'e.g. 9.0.0.200' })
  version!: string;

  @Field(() => Stage)
  stage!: Stage;

  @Field({ description: 'Database-schema version `major.minor`.' })
  schemaVersion!: string;

  @Field({ description: 'Release notes.' })
  notes!: string;

  @Field()
  publishedAt!: Date;

  @Field({ description: 'Withdrawn versions may no longer be targeted by new tasks.' })
  withdrawn!: boolean;
}
