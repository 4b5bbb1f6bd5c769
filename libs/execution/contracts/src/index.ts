export * from './agent-messages';
