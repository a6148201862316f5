import { describe, expect, it } from 'vitest';
import { HELP_TEXT, nearestFlag, parseFlags, type Flags } from '../../src/cli/flags.js';

const DEFAULTS: Flags = {
  configFile: 'config.yaml',
  configCheck: false,
  listenAddress: ':10398',
  listen: { port: 10398 },
  telemetryPath: '/metrics',
  enableLifecycle: false,
  maxConnections: 512,
  maxRequests: 40,
  logLevel: 'info',
  logFormat: 'json',
  once: false,
  demo: false,
  version: false,
  help: false,
};

function flags(argv: string[]): Flags {
  const result = parseFlags(argv);
  if (!result.ok) throw new Error(result.error);
  return result.flags;
}

function error(argv: string[]): string {
  const result = parseFlags(argv);
  if (result.ok) throw new Error(`accepted ${argv.join(' ')}`);
  return result.error;
}

describe('parseFlags', () => {
  it('applies the defaults of the contract', () => {
    expect(flags([])).toStrictEqual(DEFAULTS);
  });

  it('reads every flag', () => {
    const argv = [
      '--config.file=/etc/veeam-em-exporter/config.yaml',
      '--web.listen-address=127.0.0.1:9000',
      '--web.telemetry-path=/probe/metrics',
      '--web.config.file=web.yml',
      '--web.enable-lifecycle',
      '--web.max-connections=64',
      '--web.max-requests=0',
      '--log.level=debug',
      '--log.format=pretty',
      '--once',
      '--demo',
      '--version',
      '--help',
    ];
    expect(flags(argv)).toStrictEqual({
      configFile: '/etc/veeam-em-exporter/config.yaml',
      configCheck: false,
      listenAddress: '127.0.0.1:9000',
      listen: { host: '127.0.0.1', port: 9000 },
      telemetryPath: '/probe/metrics',
      webConfigFile: 'web.yml',
      enableLifecycle: true,
      maxConnections: 64,
      maxRequests: 0,
      logLevel: 'debug',
      logFormat: 'pretty',
      once: true,
      demo: true,
      version: true,
      help: true,
    });
  });

  it('takes values after = or as the next argument alike', () => {
    const spaced = flags(['--config.file', 'a.yaml', '--log.level', 'warn', '--web.listen-address', '[::1]:9000']);
    const joined = flags(['--config.file=a.yaml', '--log.level=warn', '--web.listen-address=[::1]:9000']);
    expect(spaced).toStrictEqual(joined);
    expect(spaced).toMatchObject({ configFile: 'a.yaml', logLevel: 'warn', listen: { host: '::1', port: 9000 } });
  });

  it('knows -h as --help', () => {
    expect(flags(['-h']).help).toBe(true);
  });

  it('reads --config.check', () => {
    expect(flags(['--config.check']).configCheck).toBe(true);
  });

  it.each([
    // The caller prints the one "Try --help." line; no message repeats it.
    [['--bogus'], /^unknown flag --bogus$/],
    [['-x'], /^unknown flag -x$/],
    [['--verison'], /^unknown flag --verison; did you mean --version\?$/],
    [['--config-file=x.yaml'], /^unknown flag --config-file; did you mean --config\.file\?$/],
    [
      ['-config.file=x.yaml'],
      /^unknown flag -config\.file=x\.yaml: long flags take two dashes, e\.g\. --config\.file$/,
    ],
    [['-verison'], /^unknown flag -verison: long flags take two dashes, e\.g\. --version$/],
    [
      ['config.yaml'],
      /^unexpected argument "config\.yaml": this program takes only flags; did you mean --config\.file=config\.yaml\?$/,
    ],
    [['--', 'config.yaml'], /^unexpected argument "config\.yaml"/],
    [['start'], /^unexpected argument "start": this program takes only flags$/],
    [['--config.file'], /^flag --config\.file needs a value$/],
    [['--config.file', '--once'], /^flag --config\.file needs a value; .* --config\.file=VALUE$/],
    [['--config.file='], /^flag --config\.file needs a non-empty value$/],
    [['--once=true'], /^flag --once takes no value$/],
    [['--log.level=verbose'], /^flag --log\.level: "verbose" is not one of debug, info, warn, error$/],
    [['--log.level', 'INFO'], /^flag --log\.level: "INFO"/],
    [['--log.format=text'], /^flag --log\.format: "text" is not one of json, pretty$/],
    [['--web.listen-address=10398'], /^flag --web\.listen-address: "10398" is not \[HOST\]:PORT/],
    [['--web.telemetry-path=metrics'], /^flag --web\.telemetry-path: must be a URL path starting with "\/"/],
    [['--web.telemetry-path=/'], /^flag --web\.telemetry-path: "\/" is taken/],
    [['--web.telemetry-path=/-/healthy'], /^flag --web\.telemetry-path: "\/-\/healthy" is taken/],
    [['--log.level=info', '--log.level=debug'], /^flag --log\.level is given more than once$/],
    [['--config.check', '--once'], /^flags --config\.check and --once cannot be combined$/],
    [['--config.check', '--demo'], /^flags --config\.check and --demo cannot be combined$/],
  ])('refuses %j', (argv, message) => {
    expect(error(argv)).toMatch(message);
  });

  it('never says "try --help" itself', () => {
    for (const argv of [['--bogus'], ['--verison'], ['config.yaml'], ['-x'], ['-config.file=x']])
      expect(error(argv)).not.toMatch(/help/i);
  });

  it('serves the demo on loopback unless told otherwise', () => {
    expect(flags(['--demo'])).toMatchObject({
      listenAddress: '127.0.0.1:10398',
      listen: { host: '127.0.0.1', port: 10398 },
    });
    expect(flags(['--demo', '--web.listen-address=:9000'])).toMatchObject({
      listenAddress: ':9000',
      listen: { port: 9000 },
    });
    expect(flags(['--demo', '--web.listen-address=:9000']).listen.host).toBeUndefined();
    // Without --demo the contract's default stands: every interface.
    expect(flags([]).listen.host).toBeUndefined();
  });

  it('allows --demo with --once, for a one-shot run against the simulator', () => {
    expect(flags(['--demo', '--once'])).toMatchObject({ demo: true, once: true });
  });

  it('refuses connection and request caps that are not whole numbers, naming the flag', () => {
    for (const bad of ['-1', '1.5', 'many', '0x10', '1e3', '1000001']) {
      expect(error([`--web.max-connections=${bad}`])).toBe(
        `flag --web.max-connections: "${bad}" is not a whole number from 0 to 1000000 (0 means no limit)`,
      );
      expect(error([`--web.max-requests=${bad}`])).toBe(
        `flag --web.max-requests: "${bad}" is not a whole number from 0 to 1000000 (0 means no limit)`,
      );
    }
  });

  it('accepts a value that starts with a dash when written with =', () => {
    expect(flags(['--config.file=-odd.yaml']).configFile).toBe('-odd.yaml');
  });
});

describe('nearestFlag', () => {
  it.each([
    ['verison', 'version'],
    ['versoin', 'version'],
    ['Version', 'version'],
    ['config-file', 'config.file'],
    ['configfile', 'config.file'],
    ['config.fiel', 'config.file'],
    ['config_check', 'config.check'],
    ['listen-address', 'web.listen-address'],
    ['telemetry-path', 'web.telemetry-path'],
    ['log.levle', 'log.level'],
    ['loglevel', 'log.level'],
    ['web.enable-lifecyle', 'web.enable-lifecycle'],
    ['onec', 'once'],
    ['dmeo', 'demo'],
    ['help=1', 'help'],
  ])('suggests --%s -> --%s', (typed, meant) => {
    expect(nearestFlag(typed)).toBe(meant);
  });

  it.each(['bogus', 'x', 'v', 'config', 'web', 'no-such-flag', 'port'])('suggests nothing for --%s', (typed) => {
    expect(nearestFlag(typed)).toBeUndefined();
  });
});

describe('HELP_TEXT', () => {
  it('lists every flag with its default, in Prometheus style', () => {
    for (const line of [
      '--config.file="config.yaml"',
      '--config.check',
      '--web.listen-address=":10398"',
      '--web.telemetry-path="/metrics"',
      '--web.config.file=PATH',
      '--web.enable-lifecycle',
      '--web.max-connections="512"',
      '--web.max-requests="40"',
      '--log.level="info"',
      '--log.format="json"',
      '--once',
      '--demo',
      '--version',
      '-h, --help',
    ]) {
      expect(HELP_TEXT).toContain(line);
    }
    expect(HELP_TEXT).toMatch(/^usage: veeam-em-exporter \[<flags>\]\n/);
    expect(HELP_TEXT).toContain('One of: [debug, info, warn, error]');
  });

  it('fits in 100 columns', () => {
    const long = HELP_TEXT.split('\n').filter((line) => line.length > 100);
    expect(long).toEqual([]);
  });
});
