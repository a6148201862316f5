import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_LISTEN_ADDRESS, FLAG_SPECS } from './flag-specs.js';

const DEFAULT_CONFIG_FILE = FLAG_SPECS.find((spec) => spec.name === 'config.file')?.default ?? 'config.yaml';

/** The example config shipped beside dist/ (npm package and source tree alike). */
const SHIPPED_EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

/**
 * What someone who just installed the exporter should do when it finds no config at the default
 * path: undefined when a config file was named or exists, so only a first run sees this.
 */
export function firstRunHint(
  configFile: string,
  exists: (path: string) => boolean = existsSync,
  example: string = SHIPPED_EXAMPLE,
): string | undefined {
  if (configFile !== DEFAULT_CONFIG_FILE || exists(configFile)) return undefined;
  const copyFrom = exists(example) ? example : 'config.example.yaml (in the package or the source repository)';
  return [
    `veeam-em-exporter: no config file: ${DEFAULT_CONFIG_FILE} does not exist in ${resolve('.')}.`,
    'To get started:',
    `  - try it without an Enterprise Manager: veeam-em-exporter --demo (then open http://${DEMO_LISTEN_ADDRESS}/)`,
    `  - write a config: copy ${copyFrom} to ${DEFAULT_CONFIG_FILE} and fill in your Enterprise Manager and backups,`,
    '    or name a config elsewhere with --config.file=PATH',
    '  - check it without starting anything: --config.check',
    'Try --help for every flag.',
    '',
  ].join('\n');
}
