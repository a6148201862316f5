/**
 * Plumbing for the end-to-end suite: finding the Debian binaries, free loopback ports, child
 * processes whose output is kept for diagnostics and that are always stopped, and polling with a
 * deadline instead of sleeping.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { findTool } from '../deploy/tools.js';

/** Binaries the suite runs, with the Debian package that ships each. */
export const TOOLS = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
} as const;

export type Tool = keyof typeof TOOLS;

/**
 * The path of each binary on PATH. Throws when any is missing, naming every missing one and the
 * Debian package that ships it: this suite runs only where they are installed.
 */
export function requireTools<T extends Tool>(
  names: readonly T[],
  pathVar: string | undefined = process.env.PATH,
): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: string[] = [];
  for (const name of names) {
    const path = findTool(name, pathVar);
    if (path === undefined) missing.push(`${name} (Debian package "${TOOLS[name]}")`);
    else found[name] = path;
  }
  if (missing.length > 0) {
    const packages = [...new Set(names.filter((n) => found[n] === undefined).map((n) => TOOLS[n]))].join(' ');
    throw new Error(
      `The end-to-end suite needs binaries that are not on PATH: ${missing.join(', ')}. Install them with: apt-get install ${packages}`,
    );
  }
  return found;
}

/** Runs a short command (a config check) and returns its exit code and output. */
export function check(command: string, args: readonly string[]): { code: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * A loopback port that was free a moment ago: bound on port 0, then released. Another process may
 * take it in between, which on a test machine is rare enough; the process that then fails to bind
 * says so in its log.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

const KEPT_OUTPUT = 64 * 1024;

export class Proc {
  readonly child: ChildProcess;
  private output = '';
  private readonly exitedPromise: Promise<void>;
  private exitDescription: string | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ) {
    this.child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.output += chunk.toString();
      if (this.output.length > 2 * KEPT_OUTPUT) this.output = this.output.slice(-KEPT_OUTPUT);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exitedPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal === null ? `exited with code ${code}` : `killed by ${signal}`;
        resolve();
      });
      this.child.once('error', (error) => {
        this.exitDescription = `failed to start: ${error.message}`;
        resolve();
      });
    });
    // If the test worker dies without running afterAll, do not leave a Prometheus behind.
    const orphanGuard = (): void => void this.child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    void this.exitedPromise.then(() => process.off('exit', orphanGuard));
  }

  get running(): boolean {
    return this.exitDescription === undefined;
  }

  /** The last part of everything the process wrote, for failure messages. */
  tail(chars = 6_000): string {
    return this.output.length <= chars ? this.output : `…${this.output.slice(-chars)}`;
  }

  describe(): string {
    return `----- ${this.name} (pid ${this.child.pid ?? '?'}, ${this.exitDescription ?? 'running'}) -----\n${this.tail()}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const outcome = await Promise.race([this.exitedPromise.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.child.kill('SIGKILL');
      await this.exitedPromise;
    }
  }
}

export interface Attempt<T> {
  /** The value once the condition holds; undefined to try again. */
  value: T | undefined;
  /** What was seen this time, shown if the deadline passes. */
  seen: unknown;
}

/**
 * Calls `attempt` until it yields a value or `timeoutMs` passes, then fails with `what`, the last
 * thing seen and whatever `diagnostics` returns (process logs). Errors thrown by `attempt` (a
 * process not listening yet) count as "not yet" and are shown if they are the last thing seen.
 */
export async function eventually<T>(
  what: string,
  attempt: () => Promise<Attempt<T>>,
  options: { timeoutMs?: number; intervalMs?: number; diagnostics?: () => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  let seen: unknown = '(nothing yet)';
  for (;;) {
    try {
      const result = await attempt();
      if (result.value !== undefined) return result.value;
      seen = result.seen;
    } catch (error) {
      seen =
        error instanceof Error
          ? `error: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
          : error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const shown = typeof seen === 'string' ? seen : JSON.stringify(seen, null, 2);
  throw new Error(
    `Timed out after ${timeoutMs / 1000} s waiting for ${what}.\nLast answer:\n${truncate(shown, 8_000)}\n\n${options.diagnostics?.() ?? ''}`,
  );
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
