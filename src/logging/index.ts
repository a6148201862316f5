export { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type LoggerOptions } from './logger.js';
export { formatPrettyLine } from './pretty.js';
