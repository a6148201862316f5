#!/usr/bin/env node
/**
 * The entry point. It imports nothing but Node built-ins, so that the signal handlers are in place
 * before the first module of the program is loaded: a SIGHUP or SIGTERM in the first moments after
 * start (`systemctl reload` right after `start`) must not meet Node's default action, which kills.
 * Signals that arrive before the daemon is ready are queued and handed to it.
 */
import { openSync, closeSync } from 'node:fs';
// Type-only imports are erased from the output: the program itself is loaded below, after the handlers.
import type * as Daemon from './daemon.js';
import type { HandledSignal } from './daemon.js';

const EXIT_RUNTIME = 1;
const SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;

const queued: HandledSignal[] = [];
const queue = (signal: HandledSignal): void => {
  queued.push(signal);
};
for (const signal of SIGNALS) process.on(signal, queue);

/** Replaces the queueing handlers with the daemon's one and replays what arrived before, in order. */
function adoptSignals(handler: (signal: HandledSignal) => void): void {
  for (const signal of SIGNALS) {
    process.off(signal, queue);
    process.on(signal, () => handler(signal));
  }
  for (const signal of queued.splice(0)) handler(signal);
}

/** How many more files this process may open, up to `limit`: a low `ulimit -n` shows as a small number. */
function freeDescriptors(limit: number): number {
  const opened: number[] = [];
  try {
    while (opened.length < limit) opened.push(openSync('/dev/null', 'r'));
  } catch {
    // EMFILE (or no /dev/null): what was opened so far is the answer.
  } finally {
    for (const fd of opened) closeSync(fd);
  }
  return opened.length;
}

let daemon: typeof Daemon;
try {
  daemon = await import('./daemon.js');
} catch (error) {
  // Loading a few hundred modules needs file descriptors; with too few, Node reports a module it could
  // not open as missing, with a stack trace that names neither the limit nor the fix.
  const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const free = freeDescriptors(256);
  const hint =
    free < 256
      ? `the open-file limit is too low (only ${free} more files could be opened; ulimit -n, systemd LimitNOFILE): allow at least 1024`
      : 'the installation looks incomplete: reinstall the package';
  process.stderr.write(`veeam-em-exporter: fatal: cannot load the program: ${detail}; ${hint}\n`);
  process.exit(EXIT_RUNTIME);
}
daemon.run(process.argv.slice(2), adoptSignals);
