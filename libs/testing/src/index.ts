export * from './clocks';
export * from './decider-specification';
export * from './isolation';
export * from './fixtures';
