export * from './subjects';
export * from './validation';
export * from './envelope';
export * from './command-protocol';
export * from './dead-letter';
export * from './registry';
export * from './ping';
export * from './events-doc';
