import { Field, ID, InputType } from '@nestjs/graphql';
import { HostingProvider, Stage } from './inventory.enums';

@InputType({ description: 'Every given condition must hold.' })
export class ServerFilter {
  @Field(() => ID, {
    nullable: true,
    description: "Only this reseller's servers (a reseller sees only its own anyway).",
  })
  reseller?: string | null;

  @Field(() => ID, { nullable: true, description: "Only this company's servers." })
  company?: string | null;

  @Field(() => Boolean, { nullable: true })
  connected?: boolean | null;

  @Field(() => Stage, { nullable: true })
  stage?: Stage | null;

  @Field(() => String, {
    nullable: true,
    description: 'Server version starts with these numbers: `9.0` matches 9.0 and 9.0.1.5, not 9.01.',
  })
  versionPrefix?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Case-insensitive substring of the server id, company name, address or FQDN.',
  })
  search?: string | null;
}

@InputType({ description: 'An id with its display name.' })
export class NamedRefInput {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@InputType()
export class RegisterServerInput {
  @Field(() => ID, { description: 'Server id: 1-64 of [A-Za-z0-9_-].' })
  id!: string;

  @Field(() => NamedRefInput)
  reseller!: NamedRefInput;

  @Field(() => NamedRefInput)
  company!: NamedRefInput;

  @Field(() => String, { nullable: true, defaultValue: '' })
  address?: string | null;

  @Field()
  serverVersion!: string;

  @Field(() => String, { nullable: true })
  webAppsVersion?: string | null;

  @Field(() => Stage)
  stage!: Stage;

  @Field(() => HostingProvider)
  hostingProvider!: HostingProvider;
}

@InputType()
export class CreateGroupInput {
  @Field()
  name!: string;

  @Field(() => [ID], { defaultValue: [] })
  serverIds!: string[];
}
