export * from './clock';
export * from './decider';
export * from './errors';
