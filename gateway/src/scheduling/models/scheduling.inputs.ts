import { Field, Float, ID, InputType, Int } from '@nestjs/graphql';
import { Stage } from '../../inventory/models/inventory.enums';
import { Component, TaskType } from './scheduling.enums';

@InputType()
export class PublishVersionInput {
  @Field(() => Component)
  component!: Component;

  @Field()
  version!: string;

  @Field(() => Stage)
  stage!: Stage;

  @Field({ description: 'Database-schema version `major.minor`, e.g. 6.10.' })
  schemaVersion!: string;

  @Field(() => String, { nullable: true, defaultValue: '' })
  notes?: string | null;
}

@InputType()
export class TargetsInput {
  @Field(() => [ID], { nullable: true, defaultValue: [] })
  serverIds?: string[] | null;

  @Field(() => [ID], { nullable: true, defaultValue: [] })
  groupIds?: string[] | null;
}

@InputType()
export class ComponentVersionInput {
  @Field(() => Component)
  component!: Component;

  @Field()
  version!: string;
}

@InputType({ description: 'Daily maintenance window; `end` before `start` crosses midnight.' })
export class MaintenanceWindowInput {
  @Field({ description: '`HH:MM`' })
  start!: string;

  @Field({ description: '`HH:MM`' })
  end!: string;

  @Field({ description: 'IANA time zone, e.g. Europe/Vienna.' })
  timeZone!: string;
}

@InputType()
export class ScheduleUpdateInput {
  @Field()
  name!: string;

  @Field(() => TaskType)
  type!: TaskType;

  @Field(() => TargetsInput)
  targets!: TargetsInput;

  @Field(() => [ComponentVersionInput])
  versions!: ComponentVersionInput[];

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  includeClientApps?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Null: now.' })
  startAt?: Date | null;

  @Field(() => Float, { nullable: true, defaultValue: 180, description: 'Seconds between two server starts.' })
  staggerSeconds?: number | null;

  @Field(() => MaintenanceWindowInput, { nullable: true })
  window?: MaintenanceWindowInput | null;

  @Field(() => Int, { nullable: true, description: 'Most servers updating at once; null: no limit.' })
  maxConcurrency?: number | null;

  @Field(() => Int, { nullable: true, description: 'Halt the remaining servers after this many failures.' })
  failureThreshold?: number | null;
}
