/**
 * The deploy checks lean on real tools (promtool, amtool, systemd-analyze). On a developer
 * machine without them the checks skip and say so; in CI (CI=true) a missing tool is a
 * failure, because a green run that checked nothing is worse than a red one.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

export function findTool(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export type Gate = 'run' | 'skip' | 'fail';

export function toolGate(found: boolean, env: NodeJS.ProcessEnv = process.env): Gate {
  if (found) return 'run';
  return env.CI === 'true' ? 'fail' : 'skip';
}

/**
 * `describe` that hands `body` the tool's path, or skips (locally) / fails (CI) when the tool
 * is not on PATH. `install` tells the reader how to get it.
 */
export function describeWithTool(tool: string, install: string, title: string, body: (toolPath: string) => void): void {
  const path = findTool(tool);
  const gate = toolGate(path !== undefined);
  if (gate === 'run') {
    describe(title, () => body(path!));
  } else if (gate === 'fail') {
    describe(title, () => {
      it(`needs ${tool}`, () => {
        throw new Error(`${tool} is not on PATH and CI=true, so these checks may not be skipped; ${install}`);
      });
    });
  } else {
    console.warn(
      `[deploy tests] ${tool} not on PATH: skipping "${title}" (${install}). With CI=true this fails instead.`,
    );
    describe.skip(`${title} (skipped: ${tool} not installed)`, () => {
      it(`needs ${tool}`, () => undefined);
    });
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string } = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error !== undefined) throw result.error;
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}${result.stderr}`,
  };
}
