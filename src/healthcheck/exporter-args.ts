import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The flags a running exporter was started with, and the directory its relative paths resolve in. */
export interface ExporterArgs {
  pid: number;
  args: string[];
  cwd?: string;
}

/** True for the exporter's entry script as node runs it: `.../dist/main.js` or the `veeam-em-exporter` bin. */
function isExporterEntry(arg: string): boolean {
  return /(?:^|\/)dist\/main\.js$/.test(arg) || /(?:^|\/)veeam-em-exporter$/.test(arg);
}

/** Splits a /proc/PID/cmdline into the exporter's flags; undefined if that process is not the exporter. */
export function exporterFlagsFromCmdline(cmdline: string): string[] | undefined {
  const argv = cmdline.split('\0');
  if (argv.at(-1) === '') argv.pop();
  const entry = argv.findIndex(isExporterEntry);
  return entry === -1 ? undefined : argv.slice(entry + 1);
}

/**
 * Finds the exporter among the processes this one can see: PID 1 first (the container's entrypoint),
 * then the others in PID order (behind an init such as `docker run --init`). Undefined where /proc is
 * missing or no exporter runs.
 */
export async function findExporterArgs(procRoot = '/proc'): Promise<ExporterArgs | undefined> {
  let pids: number[];
  try {
    pids = (await readdir(procRoot))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = await readFile(join(procRoot, String(pid), 'cmdline'), 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    const args = exporterFlagsFromCmdline(cmdline);
    if (args === undefined) continue;
    const cwd = await readlink(join(procRoot, String(pid), 'cwd')).catch(() => undefined);
    return { pid, args, ...(cwd !== undefined ? { cwd } : {}) };
  }
  return undefined;
}
