export * from './isolation';
