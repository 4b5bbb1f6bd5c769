export * from './ha-cluster.types';
export * from './ha-cluster.errors';
export * from './ha-cluster.commands';
export * from './ha-cluster.events';
export * from './ha-health.assessment';
export * from './ha-cluster.decider';
