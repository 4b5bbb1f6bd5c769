import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';

/** Overall state of the installation. */
export enum HealthStatus {
  OK = 'ok',
  DOWN = 'down',
}

/** State of one part (a dependency or a service). */
export enum PartStatus {
  UP = 'up',
  DOWN = 'down',
}

registerEnumType(HealthStatus, { name: 'HealthStatus', description: 'OK when every part is up.' });
registerEnumType(PartStatus, { name: 'PartStatus' });

@ObjectType({ description: 'One dependency (database, nats, eventsStream, relay) or service.' })
export class HealthPart {
  @Field()
  name!: string;

  @Field(() => PartStatus)
  status!: PartStatus;

  @Field(() => String, { nullable: true, description: 'Why the part is down.' })
  error?: string | null;
}

@ObjectType({ description: 'The same report as GET /health.' })
export class Health {
  @Field(() => HealthStatus)
  status!: HealthStatus;

  @Field(() => [HealthPart])
  parts!: HealthPart[];
}
