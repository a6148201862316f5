import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ServerOptions } from 'node:http';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { bcryptCompare, createSecuredServer, createWebGuard, type WebGuard } from '../../../src/web-config/index.js';
import { close, listen } from './client.js';
import { capturingLogger, type CapturingLogger } from './logger.js';

export interface Running {
  dir: string;
  port: number;
  guard: WebGuard;
  server: Server;
  logger: CapturingLogger;
  /** The real bcrypt compare, wrapped so tests can count calls. */
  compare: ReturnType<typeof vi.fn<typeof bcryptCompare>>;
  /** Requests that reached the application handler. */
  handled: () => number;
  write(name: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Writes `files` and `web.yml` into a fresh directory, then serves a handler that answers 200 "ok"
 * behind the web config, on an ephemeral loopback port.
 */
export async function startSecured(
  webYml: string,
  files: Record<string, string> = {},
  serverOptions: ServerOptions = {},
): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'web-guard-'));
  const write = (name: string, text: string): Promise<void> => writeFile(join(dir, name), text);
  for (const [name, text] of Object.entries(files)) await write(name, text);
  await write('web.yml', webYml);

  const logger = capturingLogger();
  const compare = vi.fn(bcryptCompare);
  const created = await createWebGuard(join(dir, 'web.yml'), logger, { pollIntervalMs: 50, compare });
  if (!created.ok) throw new Error(`test web config rejected: ${JSON.stringify(created.issues)}`);
  const guard = created.guard;

  let handled = 0;
  const server = createSecuredServer(
    guard,
    (_req, res) => {
      handled += 1;
      res.end('ok');
    },
    { logger, serverOptions },
  );
  const port = await listen(server);
  return {
    dir,
    port,
    guard,
    server,
    logger,
    compare,
    handled: () => handled,
    write,
    stop: async () => {
      guard.close();
      await close(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
