import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { PageInfo, Server } from '../../inventory/models/server.model';
import { Component, TaskServerStatus, TaskStatus, TaskType, UpdatePhase } from './scheduling.enums';

@ObjectType({ description: 'Target version of one component.' })
export class ComponentVersion {
  @Field(() => Component)
  component!: Component;

  @Field()
  version!: string;
}

@ObjectType({ description: '"n of m servers updated".' })
export class TaskProgress {
  @Field(() => Int)
  completed!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  total!: number;
}

@ObjectType({ description: 'One server of a task.' })
export class TaskServer {
  /** Id of the server; resolved into `server`. */
  serverId!: string;

  @Field(() => Server, { nullable: true, description: 'Null when the caller cannot see the server (any more).' })
  server?: Server | null;

  @Field(() => TaskServerStatus)
  status!: TaskServerStatus;

  @Field(() => UpdatePhase, {
    nullable: true,
    description: 'Last phase the agent reported (kept once the server finished); null before its first report.',
  })
  phase!: UpdatePhase | null;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int)
  attempt!: number;

  @Field(() => [String], {
    description: 'Error log of a failed server: its job log, then the reason as the last line; empty when none.',
  })
  errorLog!: string[];

  @Field(() => [String], { description: 'Job log the agent reported, its last 200 lines.' })
  log!: string[];
}

@ObjectType({ description: 'An update task over a frozen list of servers.' })
export class Task {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => TaskType)
  type!: TaskType;

  @Field(() => TaskStatus)
  status!: TaskStatus;

  @Field()
  postedAt!: Date;

  @Field()
  postedBy!: string;

  @Field({ description: 'When the first server starts.' })
  startAt!: Date;

  @Field({ description: 'What the caller targeted, e.g. "12 servers (2 servers, 1 group)".' })
  targetSummary!: string;

  @Field(() => [ComponentVersion])
  versions!: ComponentVersion[];

  @Field(() => TaskProgress)
  progress!: TaskProgress;

  /** Resolved by a field resolver, in start order. */
  servers?: TaskServer[];
}

@ObjectType()
export class TaskEdge {
  @Field()
  cursor!: string;

  @Field(() => Task)
  node!: Task;
}

@ObjectType({ description: 'A page of tasks, newest first.' })
export class TaskConnection {
  @Field(() => [TaskEdge])
  edges!: TaskEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
