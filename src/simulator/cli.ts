#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateBackups } from './generate.js';
import { EmSimulator } from './server.js';

const USAGE = `Usage: node dist/simulator/cli.js [options]
  --host ADDR            loopback address to bind (default 127.0.0.1)
  --port N               port (default 9398; 0 picks a free one)
  --backups N            generated backups (default 7)
  --points N             restore points per daily backup (default 14)
  --json-style v12|v13   JSON key casing (default v12)
  --name-style mssql|postgres   restore point names (default mssql)
  --ignore-entity-format answer restore point lists with references only
  --latency-ms N         delay every answer by N ms, as a distant or busy EM would (default 0)
  --user NAME            logon user (default EM01\\svc_monitor)
  --password PW          logon password (default secret)
  --ca-out PATH          write the server certificate (PEM) here, for a client's caFile`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function int(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '9398' },
        backups: { type: 'string', default: '7' },
        points: { type: 'string', default: '14' },
        'json-style': { type: 'string', default: 'v12' },
        'name-style': { type: 'string', default: 'mssql' },
        'ignore-entity-format': { type: 'boolean', default: false },
        'latency-ms': { type: 'string', default: '0' },
        user: { type: 'string', default: 'EM01\\svc_monitor' },
        password: { type: 'string', default: 'secret' },
        'ca-out': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const jsonStyle = values['json-style'];
  const nameStyle = values['name-style'];
  if (jsonStyle !== 'v12' && jsonStyle !== 'v13') fail(`--json-style must be v12 or v13, got "${jsonStyle}"`);
  if (nameStyle !== 'mssql' && nameStyle !== 'postgres')
    fail(`--name-style must be mssql or postgres, got "${nameStyle}"`);

  const backups = generateBackups({
    count: int(values.backups, '--backups'),
    pointsPerBackup: int(values.points, '--points'),
  });
  const sim = new EmSimulator({
    host: values.host,
    port: int(values.port, '--port'),
    users: [{ username: values.user, password: values.password }],
    backups,
    jsonStyle,
    nameStyle,
    ignoreEntityFormat: values['ignore-entity-format'],
  });
  const latencyMs = int(values['latency-ms'], '--latency-ms');
  if (latencyMs > 0) sim.addFault({ latencyMs });
  const started = await sim.start();
  if (values['ca-out'] !== undefined) writeFileSync(values['ca-out'], started.caPem);
  process.stdout.write(
    `EM simulator listening on ${started.url}/api (user ${values.user}, ${backups.length} backups)\n`,
  );
  for (const b of backups.slice(0, 20)) process.stdout.write(`  ${b.id}  ${b.name}\n`);
  if (backups.length > 20) process.stdout.write(`  ... and ${backups.length - 20} more (GET /api/backups)\n`);

  const shutdown = (): void => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`EM simulator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
