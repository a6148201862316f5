/**
 * No Docker engine runs in CI, so .ci/docker-steps replays the Dockerfile. These checks keep the two,
 * and .dockerignore, from drifting apart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './rules-file.js';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
const steps = readFileSync(join(REPO_ROOT, '.ci/docker-steps'), 'utf8');
const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

/** What .dockerignore lets into the build context: it ignores everything, then re-includes. */
function inContext(path: string): boolean {
  let included = true;
  for (const rule of ignore) {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
    const matches = pattern === '*' || path === pattern || path.startsWith(`${pattern}/`);
    if (matches) included = negated;
  }
  return included;
}

describe('Dockerfile and .dockerignore', () => {
  it('copies from the build context only files that exist and .dockerignore lets in', () => {
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
      expect(inContext(source), source).toBe(true);
    }
  });

  it('keeps local build output, dependencies and secrets out of the context', () => {
    for (const path of ['node_modules', 'dist', '.git', 'test', 'deploy/exporter/config.yaml', '.env']) {
      expect(inContext(path), path).toBe(false);
    }
  });

  it('runs as the unprivileged node user, and the replay does too', () => {
    const users = instructions.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
    expect(steps).toMatch(/setpriv --reuid=1000 --regid=1000 --clear-groups/);
  });

  it('health-checks with the probe that reads the exporter flags, and the replay runs that very command', () => {
    const healthcheck = instructions.find((l) => l.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/CMD \["node", "dist\/healthcheck\.js"\]$/);
    expect(existsSync(join(REPO_ROOT, 'src/healthcheck.ts'))).toBe(true);
    // Without arguments, in a PID namespace of its own, as in the container.
    expect(steps).toMatch(/unshare --pid --fork --mount-proc/);
    expect(steps).toMatch(/node dist\/healthcheck\.js "\$@"/);
  });

  it('drops the benchmark code in the image as the replay does', () => {
    expect(instructions.find((l) => l.startsWith('RUN npm run build'))).toContain('rm -rf dist/bench');
    expect(steps).toContain('rm -rf dist/bench');
  });
});

describe('memory settings of the shipped entry points', () => {
  /** `KEY=value` pairs of the runtime stage's ENV. */
  const imageEnv = Object.fromEntries(
    instructions
      .filter((l) => l.startsWith('ENV '))
      .flatMap((l) => l.slice(4).trim().split(/\s+/))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  const memory = { NODE_OPTIONS: imageEnv.NODE_OPTIONS, MALLOC_ARENA_MAX: imageEnv.MALLOC_ARENA_MAX };

  it('the image sets them, and the replay, the systemd unit and docs/scaling.md name the same', () => {
    expect(memory.NODE_OPTIONS).toMatch(/^--max-semi-space-size=\d+$/);
    expect(memory.MALLOC_ARENA_MAX).toBe('2');
    const replay = /^image_env=\((.*)\)$/m.exec(steps)?.[1]?.split(/\s+/) ?? [];
    const unit = readFileSync(join(REPO_ROOT, 'deploy/systemd/veeam-em-exporter.service'), 'utf8');
    const scaling = readFileSync(join(REPO_ROOT, 'docs/scaling.md'), 'utf8');
    for (const [key, value] of Object.entries(memory)) {
      expect(replay, key).toContain(`${key}=${value}`);
      expect(unit.split('\n'), key).toContain(`Environment=${key}=${value}`);
      expect(scaling, key).toContain(`${key}=${value}`);
    }
  });

  it('Node.js accepts NODE_OPTIONS as set (a flag NODE_OPTIONS does not allow stops every start)', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', 'console.log(require("node:v8").getHeapStatistics().total_available_size > 0)'],
      {
        env: { PATH: process.env.PATH ?? '', ...memory },
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toBe('true');
  });
});
