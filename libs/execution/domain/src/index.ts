export * from './execution.errors';
export * from './rollout/maintenance-window';
export * from './rollout/rollout.types';
export * from './rollout/rollout.commands';
export * from './rollout/rollout.events';
export * from './rollout/rollout.decider';
