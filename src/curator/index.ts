export * from './caps.js';
export * from './decide.js';
export * from './errors.js';
export * from './escalation.js';
export * from './policy.js';
export * from './switches.js';
export * from './verdict.js';
export * from './ports.js';
