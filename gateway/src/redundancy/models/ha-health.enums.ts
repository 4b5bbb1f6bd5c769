import { registerEnumType } from '@nestjs/graphql';

/** What a component of an HA cluster is (values as stored in events). */
export enum HaComponentRole {
  SERVER = 'server',
  LOAD_BALANCER = 'load-balancer',
}

/** Result of the messaging from one component to another (values as stored in events). */
export enum HaMessagingResult {
  OK = 'OK',
  SLOW = 'SLOW',
  NO_CONNECTION = 'NO_CONNECTION',
  COMPONENT_DOWN = 'COMPONENT_DOWN',
}

/** Result of a component's clock (values as stored in events). */
export enum HaClockResult {
  CLOCK_OK = 'CLOCK_OK',
  CLOCK_SKEW = 'CLOCK_SKEW',
  CLOCK_UNKNOWN = 'CLOCK_UNKNOWN',
}

/** What was checked (values as stored in events). */
export enum HaClusterSource {
  CLUSTER = 'cluster',
  PAIR = 'pair',
}

registerEnumType(HaComponentRole, {
  name: 'HaComponentRole',
  description: 'SERVER: a server of the HA cluster; LOAD_BALANCER: a load balancer in front of the servers.',
});
registerEnumType(HaMessagingResult, {
  name: 'HaMessagingResult',
  description:
    'OK: messages pass (with the transfer time); SLOW: they pass, above 1000 ms; NO_CONNECTION: both components ' +
    'run but one cannot reach the other; COMPONENT_DOWN: one of them did not answer the check.',
});
registerEnumType(HaClockResult, {
  name: 'HaClockResult',
  description:
    "CLOCK_OK: within a minute of the control plane's clock; CLOCK_SKEW: a minute or more off; CLOCK_UNKNOWN: " +
    'not read (the component did not answer).',
});
registerEnumType(HaClusterSource, {
  name: 'HaClusterSource',
  description: 'CLUSTER: a configured HA cluster; PAIR: the two members of a redundancy pair, as servers.',
});
