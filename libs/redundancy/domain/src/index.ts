export * from './redundancy.errors';
export * from './pair/pair.types';
export * from './pair/pair.commands';
export * from './pair/pair.events';
export * from './pair/pair.rules';
export * from './pair/pair.decider';
export * from './ha';
