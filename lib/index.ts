export * from './access-log-format.js';
export * from './apigw-403-monitor.js';
export * from './config.js';
export * from './dashboard.js';
export * from './filter-patterns.js';
export * from './monitor-stack.js';
export * from './nag-suppressions.js';
