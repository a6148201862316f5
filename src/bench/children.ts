/**
 * Child processes of a benchmark run: every one is tracked, and killed by its own pid when the run
 * ends, fails or is interrupted, so nothing outlives `npm run bench`.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root: this file is src/bench/ or dist/bench/, two levels down. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST = `${ROOT}dist`;

const live = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

let cleanupInstalled = false;

/** Kills every child still running on exit, Ctrl-C or SIGTERM; idempotent. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping ${live.size} child process(es)\n`);
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** A compiled script under dist/; tells how to build when it is missing. */
export function distScript(relative: string): string {
  const path = `${DIST}/${relative}`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

export interface IpcChild {
  child: ChildProcess;
  /** Sends a command and resolves with the child's answer to it. */
  call<T>(command: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Forks a bench child that answers `{id, ...command}` messages with `{id, ok, value | error}`, and
 * announces itself with `{ready: true}` once it is listening for them.
 */
export async function forkIpc(
  script: string,
  args: string[] = [],
  execArgv: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<IpcChild> {
  const child = track(
    fork(distScript(script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env }),
  );
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (raw) => {
    const msg = raw as { id?: number; ok?: boolean; value?: unknown; error?: string };
    if (msg.id === undefined) return;
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.ok) waiter?.resolve(msg.value);
    else waiter?.reject(new Error(`${script}: ${msg.error ?? 'failed'}`));
  });
  child.once('exit', (code, signal) => {
    for (const w of pending.values()) w.reject(new Error(`${script} exited (${code ?? signal}) before answering`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if ((m as { ready?: boolean }).ready) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) while starting`)));
  });
  return {
    child,
    call<T>(command: Record<string, unknown>, timeoutMs = 300_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: no answer to ${String(command.cmd)} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, ...command });
      });
    },
    stop: () => stopChild(child),
  };
}

/** The child side of forkIpc: serve commands until the parent says stop or goes away. */
export function serveIpc(handle: (command: Record<string, unknown>) => Promise<unknown>): void {
  if (process.send === undefined) {
    process.stderr.write('this script is a benchmark child: start it through npm run bench\n');
    process.exit(2);
  }
  // A parent that dies without a word must not leave us running.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw) => {
    const { id, ...command } = raw as { id: number } & Record<string, unknown>;
    handle(command).then(
      (value) => process.send?.({ id, ok: true, value }),
      (err: unknown) =>
        process.send?.({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.send({ ready: true });
}

export interface Spawned {
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts a script with node, collecting stderr (JSON logs); stdout is discarded. */
export function spawnNode(script: string, args: string[], env: Record<string, string> = {}): Spawned {
  const child = track(
    spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    // Only the start matters (listening address, early failures); cap what is kept.
    if (err.length < 1_000_000) err += d.toString();
  });
  return { child, stderr: () => err, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 6_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves when `check` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
