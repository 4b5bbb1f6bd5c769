import { registerEnumType } from '@nestjs/graphql';
import { ServerOrder } from '../server-cursor';

/** Stage of a server image (values as stored in events). */
export enum Stage {
  BETA = 'beta',
  PRODUCTION = 'production',
  PATCH = 'patch',
}

/** Who hosts a server (values as stored in events). */
export enum HostingProvider {
  OPERATOR = 'operator',
  PARTNER = 'partner',
}

/** What happened to a server, as pushed by `serverStatusChanged`. */
export enum ServerStatus {
  REGISTERED = 'REGISTERED',
  CONNECTED = 'CONNECTED',
  DISCONNECTED = 'DISCONNECTED',
  DECOMMISSIONED = 'DECOMMISSIONED',
}

registerEnumType(Stage, { name: 'Stage', description: 'Stage of the server image.' });
registerEnumType(HostingProvider, {
  name: 'HostingProvider',
  description: 'OPERATOR: hosted by the operator (patch policy applies); PARTNER: partner-hosted.',
});
registerEnumType(ServerStatus, { name: 'ServerStatus' });
registerEnumType(ServerOrder, {
  name: 'ServerOrder',
  description: 'Order of the server list; ties are broken by server id in the same direction.',
  valuesMap: {
    ID_ASC: { description: 'Server id, ascending (bytewise).' },
    COMPANY_ASC: { description: 'Company name, then server id, ascending.' },
    LAST_SEEN_DESC: { description: 'Most recently seen first; never-seen servers last.' },
    SERVER_VERSION_DESC: { description: 'Highest server (image) version first, compared number by number.' },
  },
});

export { ServerOrder };
