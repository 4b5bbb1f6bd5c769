import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { HostingProvider, ServerStatus, Stage } from './inventory.enums';

@ObjectType({ description: 'A reseller (dealer, VAR): owns customer companies.' })
export class Reseller {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType({ description: "A reseller's customer company: owns servers." })
export class Company {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;
}

@ObjectType({ description: 'Host configuration as last reported by the agent.' })
export class HostConfig {
  @Field()
  fqdn!: string;

  @Field()
  hostName!: string;

  @Field(() => String, { nullable: true })
  publicIp!: string | null;

  @Field(() => String, { nullable: true })
  privateIp!: string | null;
}

@ObjectType({ description: 'An installed file (EXE/DLL) as last reported by the agent.' })
export class InstalledFile {
  @Field()
  name!: string;

  @Field({ description: 'File version, or `unknown`.' })
  version!: string;

  @Field(() => Float, { description: 'Size in bytes.' })
  size!: number;

  @Field()
  lastModified!: Date;
}

@ObjectType({ description: 'A managed server.' })
export class Server {
  @Field(() => ID)
  id!: string;

  @Field(() => Reseller)
  reseller!: Reseller;

  @Field(() => Company)
  company!: Company;

  @Field()
  address!: string;

  @Field({ description: 'Server (image) version, e.g. 9.0.0.200.' })
  serverVersion!: string;

  @Field(() => String, { nullable: true, description: 'Web-apps version; null when not installed.' })
  webAppsVersion!: string | null;

  @Field(() => Stage)
  stage!: Stage;

  @Field({ description: 'The agent is online (heartbeats arrive).' })
  connected!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: "Last hello or heartbeat: the inventory service's presence record, else the last connect/disconnect.",
  })
  lastSeenAt!: Date | null;

  @Field(() => Float, { nullable: true, description: 'Heartbeat interval the agent announced, in seconds.' })
  heartbeatIntervalSec!: number | null;

  @Field(() => HostingProvider)
  hostingProvider!: HostingProvider;

  @Field(() => HostConfig, { nullable: true, description: 'Null until the agent reported it.' })
  config!: HostConfig | null;

  @Field()
  registeredAt!: Date;

  @Field({
    description:
      'True once the server left the inventory. Decommissioned servers are not listed by `servers`; ' +
      '`server(id)` still returns them to operators and auditors (never to resellers).',
  })
  decommissioned!: boolean;

  @Field(() => [InstalledFile], { description: 'Installed files, as last reported by the agent.' })
  files?: InstalledFile[];
}

@ObjectType()
export class ServerEdge {
  @Field()
  cursor!: string;

  @Field(() => Server)
  node!: Server;
}

@ObjectType({ description: 'Relay page information (forward pagination with `first` and `after`).' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ description: 'True when `after` was given.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of servers.' })
export class ServerConnection {
  @Field(() => [ServerEdge])
  edges!: ServerEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Servers matching the filter (all pages).' })
  totalCount!: number;
}

@ObjectType({ description: 'A change of a server pushed to subscribers.' })
export class ServerStatusChange {
  @Field(() => ID)
  serverId!: string;

  @Field(() => ServerStatus)
  status!: ServerStatus;

  @Field()
  connected!: boolean;

  @Field(() => Date, { nullable: true })
  lastSeenAt!: Date | null;

  @Field({ description: 'When the change happened.' })
  changedAt!: Date;

  @Field(() => Reseller)
  reseller!: Reseller;

  @Field(() => Company)
  company!: Company;
}
