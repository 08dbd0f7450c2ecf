export * from './catalog.js';
export * from './definition.js';
export * from './parameters.js';
export * from './period.js';
export * from './schedule.js';
export * from './firings.js';
export * from './tunables.js';
export * from './clock-time.js';
