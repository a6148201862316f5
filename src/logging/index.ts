export { createLogger, type LogFormat, type LogLevel, type LoggerOptions } from './logger.js';
export { formatPrettyLine } from './pretty.js';
