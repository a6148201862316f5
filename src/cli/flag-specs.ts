/** The command line the README documents, as data: parseArgs options and the help text are both built from it. */
import { LOG_FORMATS, LOG_LEVELS } from '../logging/index.js';
import { SERVER_LIMITS } from '../server/http-server.js';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help; string flags without one are optional. */
  default?: string;
  /** The value name in --help for string flags without a default, e.g. PATH. */
  placeholder?: string;
  /** Allowed values, checked after parsing. */
  choices?: readonly string[];
  help: string;
}

/** Where --demo listens without --web.listen-address: this host only. */
export const DEMO_LISTEN_ADDRESS = '127.0.0.1:10398';

export const FLAG_SPECS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'Show this help and exit.' },
  {
    name: 'config.file',
    type: 'string',
    default: 'config.yaml',
    help: 'YAML config file: Enterprise Managers, backups, poll schedule.',
  },
  {
    name: 'config.check',
    type: 'boolean',
    help: 'Validate the config (and the web config), print "config OK" or the errors, and exit 0 or 2. Starts nothing.',
  },
  {
    name: 'web.listen-address',
    type: 'string',
    default: ':10398',
    help: 'Address to serve metrics on, [HOST]:PORT; no HOST means every interface, an IPv6 HOST goes in brackets.',
  },
  { name: 'web.telemetry-path', type: 'string', default: '/metrics', help: 'Path under which to expose metrics.' },
  {
    name: 'web.config.file',
    type: 'string',
    placeholder: 'PATH',
    help: "TLS and basic auth for the exporter's own endpoints, in exporter-toolkit web-config.yml format.",
  },
  { name: 'web.enable-lifecycle', type: 'boolean', help: 'Enable POST /-/reload, which re-reads the config file.' },
  {
    name: 'web.max-connections',
    type: 'string',
    default: String(SERVER_LIMITS.maxConnections),
    help: 'Maximum number of simultaneous connections; more are closed as soon as they are accepted. 0 means no limit.',
  },
  {
    name: 'web.max-requests',
    type: 'string',
    default: String(SERVER_LIMITS.maxRequestsInFlight),
    help: 'Maximum number of scrapes and status page views served at once (until the client has read the response); more get 503 with Retry-After. Health and readiness are not counted. 0 means no limit.',
  },
  { name: 'log.level', type: 'string', default: 'info', choices: LOG_LEVELS, help: 'Lowest severity to log.' },
  { name: 'log.format', type: 'string', default: 'json', choices: LOG_FORMATS, help: 'Output format of log messages.' },
  {
    name: 'once',
    type: 'boolean',
    help: 'Run one poll cycle, print the metrics to stdout and exit: 0 if every poll succeeded, else 1.',
  },
  {
    name: 'demo',
    type: 'boolean',
    help: `Start the built-in simulated Enterprise Manager on loopback and export it. Needs no config. Listens on ${DEMO_LISTEN_ADDRESS} unless --web.listen-address is given.`,
  },
  { name: 'version', type: 'boolean', help: 'Show the version and exit.' },
];
