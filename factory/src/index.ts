export * from './forge/index.ts';
