export * from './inventory.types';
export * from './inventory.errors';
export * from './server/server.commands';
export * from './server/server.events';
export * from './server/server.decider';
export * from './group/group.commands';
export * from './group/group.events';
export * from './group/group.decider';
