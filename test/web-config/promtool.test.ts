import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { parse } from 'yaml';
import { loadWebConfig } from '../../src/web-config/index.js';

// promtool embeds exporter-toolkit's own validation: agreeing with it is agreeing with every other exporter.
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const EXAMPLE = resolve('deploy/web-config.example.yml');
const FIXTURES = resolve('test/fixtures/web-config');
const THROWAWAY_CERT = join(FIXTURES, 'throwaway-test-only.crt');
const THROWAWAY_KEY = join(FIXTURES, 'throwaway-test-only.key');

const available = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' }).status === 0;

/** Skips visibly where promtool is missing, except in CI, where a missing tool must not pass as green. */
function needPromtool(ctx: TestContext): void {
  if (available) return;
  const reason = `${PROMTOOL} not found: install Prometheus' promtool (Debian: apt-get install prometheus) or set PROMTOOL`;
  if (process.env.CI === 'true') throw new Error(reason);
  ctx.skip(reason);
}

function promtoolCheck(file: string): { ok: boolean; output: string } {
  const run = spawnSync(PROMTOOL, ['check', 'web-config', file], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

const scratchDirs: string[] = [];
afterAll(async () => {
  await Promise.all(scratchDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * The example names deployment files (server.crt, ...) that the repository must not ship, so it is
 * checked byte for byte from a scratch directory where the throwaway pair stands in for each of them.
 */
async function exampleWithItsFiles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'web-config-example-'));
  scratchDirs.push(dir);
  const copy = join(dir, 'web-config.yml');
  await copyFile(EXAMPLE, copy);
  const tls =
    (parse(await readFile(EXAMPLE, 'utf8')) as { tls_server_config?: Record<string, unknown> }).tls_server_config ?? {};
  const standIns: Array<[unknown, string]> = [
    [tls.cert_file, THROWAWAY_CERT],
    [tls.key_file, THROWAWAY_KEY],
    [tls.client_ca_file, THROWAWAY_CERT],
  ];
  for (const [named, source] of standIns) {
    if (typeof named === 'string' && named !== '') await copyFile(source, resolve(dir, named));
  }
  return copy;
}

describe('promtool check web-config', () => {
  it('accepts deploy/web-config.example.yml, and so does loadWebConfig', async (ctx) => {
    needPromtool(ctx);
    const copy = await exampleWithItsFiles();
    const verdict = promtoolCheck(copy);
    expect(verdict.output).toContain('SUCCESS');
    expect(verdict.ok).toBe(true);
    const ours = await loadWebConfig(copy);
    expect(ours.ok ? [] : ours.issues).toEqual([]);
  });

  it('accepts the fixture that uses every supported key', (ctx) => {
    needPromtool(ctx);
    expect(promtoolCheck(join(FIXTURES, 'good.yml')).ok).toBe(true);
  });

  // Each bad fixture is bad for exporter-toolkit too, except where this exporter is deliberately stricter.
  it.for([
    'unknown-key.yml',
    'unsupported-toolkit-key.yml',
    'header-name.yml',
    'header-value.yml',
    'client-auth-type.yml',
    'missing-key-file.yml',
    'bcrypt-hash.yml',
    'min-version.yml',
  ])('refuses bad/%s as loadWebConfig does', (file, ctx) => {
    needPromtool(ctx);
    expect(promtoolCheck(join(FIXTURES, 'bad', file)).ok).toBe(false);
  });

  it('accepts http2: true, which only this exporter refuses because it serves HTTP/1.1', (ctx) => {
    needPromtool(ctx);
    expect(promtoolCheck(join(FIXTURES, 'bad', 'http2.yml')).ok).toBe(true);
  });
});
