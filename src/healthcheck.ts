#!/usr/bin/env node
// Health probe for containers and orchestrators: GET /-/healthy on the exporter running beside it,
// reached with that exporter's own flags (--web.listen-address, --web.config.file for TLS and basic
// auth), so a Docker HEALTHCHECK needs no second copy of the settings. Exit 0 healthy, 1 not.
//
//   veeam-em-exporter-healthcheck                    # reads the flags of the running exporter from /proc
//   veeam-em-exporter-healthcheck --web.listen-address=:9398 --web.config.file=web.yml
//
// Basic auth needs a plaintext credential the web config only holds as a hash: the probe reads it from
// VEEAM_EM_HEALTHCHECK_USERNAME and VEEAM_EM_HEALTHCHECK_PASSWORD_FILE (docs/operations.md).
import { parseFlags } from './cli/flags.js';
import { findExporterArgs } from './healthcheck/exporter-args.js';
import { credentialsFromEnv, probe } from './healthcheck/probe.js';

// Docker reads exit 1 as "unhealthy" and reserves 2, so every failure is 1.
const EXIT_HEALTHY = 0;
const EXIT_UNHEALTHY = 1;

async function main(argv: string[]): Promise<number> {
  let args = argv;
  let cwd: string | undefined;
  let source = 'command line';
  if (argv.length === 0) {
    const found = await findExporterArgs();
    if (found !== undefined) {
      args = found.args;
      cwd = found.cwd;
      source = `flags of process ${found.pid}`;
    } else {
      source = 'default flags (no running exporter found in /proc)';
    }
  }
  const parsed = parseFlags(args);
  if (!parsed.ok) {
    process.stderr.write(`veeam-em-exporter-healthcheck: ${source}: ${parsed.error}\n`);
    return EXIT_UNHEALTHY;
  }
  let credentials;
  try {
    credentials = await credentialsFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`veeam-em-exporter-healthcheck: ${(error as Error).message}\n`);
    return EXIT_UNHEALTHY;
  }
  const result = await probe(parsed.flags, credentials, cwd !== undefined ? { cwd } : {});
  (result.ok ? process.stdout : process.stderr).write(
    `veeam-em-exporter-healthcheck: ${result.ok ? 'healthy' : 'unhealthy'}: ${result.message} (${source})\n`,
  );
  return result.ok ? EXIT_HEALTHY : EXIT_UNHEALTHY;
}

process.exitCode = await main(process.argv.slice(2));
