export * from './agent-messages';
export * from './events';
