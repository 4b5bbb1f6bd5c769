export * from './shared';
export * from './events';
export * from './commands';
export * from './agent-messages';
