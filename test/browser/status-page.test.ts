/**
 * The status page in a real browser: the built exporter watches a simulated Enterprise Manager and
 * headless Chromium opens `/`, as an operator would. Proves that the page renders without errors or
 * script execution (a backup named `<script>alert(1)</script>` is text, not code), that its table
 * mirrors what EM holds, that a stale backup is shown red and "Over RPO", and that its links work.
 * A full-page screenshot is left in test-artifacts/status-page.png.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EmSimulator, type SimBackup } from '../../src/simulator/index.js';
import { httpGet, startExporter, waitUntil, type Running } from '../integration/process.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const USER = 'EM01\\svc_monitor';
const PASSWORD = 'browser-test-secret';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const IDS = {
  daily: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  near: '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  stale: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  empty: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  hostile: 'e7f6a5b4-c3d2-4e1f-9a8b-7c6d5e4f3a2b',
  /** Configured, but EM does not know it. */
  unknown: 'deadbeef-0000-4000-8000-000000000000',
} as const;

const HOSTILE_NAME = '<script>alert(1)</script>';

function siteBackups(now: number): SimBackup[] {
  return [
    { id: IDS.daily, name: 'Daily VM Backup', restorePoints: [now - 5 * HOUR, now - 29 * HOUR, now - 53 * HOUR] },
    // 22 h of a 26 h RPO: close to it, not over it.
    { id: IDS.near, name: 'SQL & Exchange "prod"', restorePoints: [now - 22 * HOUR, now - 46 * HOUR] },
    { id: IDS.stale, name: 'Stale File Server', restorePoints: [now - 3 * DAY, now - 4 * DAY, now - 5 * DAY, now - 6 * DAY] },
    { id: IDS.empty, name: 'New Agent Backup', restorePoints: [] },
    { id: IDS.hostile, name: HOSTILE_NAME, restorePoints: [now - HOUR, now - 25 * HOUR] },
  ];
}

/** What one row of the table holds, as the browser computed it. */
interface Row {
  cells: string[];
  ageClass: string;
  ageBackground: string;
}

function rgb(colour: string): [number, number, number] {
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
  if (m === null) throw new Error(`not an rgb() colour: ${colour}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Red clearly dominates both other channels: a red shade, not a green, amber (red and green high) or grey one. */
function isReddish(colour: string): boolean {
  const [r, g, b] = rgb(colour);
  return r - g >= 20 && r - b >= 20;
}

/** Green dominates both other channels. */
function isGreenish(colour: string): boolean {
  const [r, g, b] = rgb(colour);
  return g - r >= 10 && g - b >= 10;
}

function browserGate(): 'run' | 'skip' | 'fail' {
  if (existsSync(CHROMIUM)) return 'run';
  return process.env.CI === 'true' ? 'fail' : 'skip';
}

const gate = browserGate();

if (gate === 'skip') {
  console.warn(`[browser tests] ${CHROMIUM} not found: skipping the status page browser test (Debian: apt-get install chromium). With CI=true this fails instead.`);
  describe.skip(`status page in a browser (skipped: ${CHROMIUM} not installed; Debian package "chromium")`, () => {
    it('needs chromium', () => undefined);
  });
} else if (gate === 'fail') {
  describe('status page in a browser', () => {
    it('needs chromium', () => {
      throw new Error(`${CHROMIUM} is missing and CI=true, so the browser test may not be skipped; install the Debian package "chromium"`);
    });
  });
} else {
  describe('status page in a browser', () => {
    let sim: EmSimulator;
    let dir: string;
    let exporter: Running | undefined;
    let base: string;
    let context: BrowserContext | undefined;
    let backups: SimBackup[];

    beforeAll(async () => {
      backups = siteBackups(Date.now());
      sim = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups });
      const started = await sim.start();
      dir = await mkdtemp(join(tmpdir(), 'vee-browser-'));
      const caFile = join(dir, 'em-ca.pem');
      await writeFile(caFile, started.caPem);
      const configFile = join(dir, 'config.yaml');
      await writeFile(
        configFile,
        stringify({
          defaults: { rpo: '26h' },
          enterpriseManagers: [
            {
              name: 'em01',
              url: started.url,
              username: USER,
              password: '${VEEAM_EM_PASSWORD}',
              tls: { caFile },
              backups: [IDS.daily, IDS.near, IDS.stale, IDS.empty, IDS.hostile, IDS.unknown],
            },
          ],
        }),
      );
      exporter = startExporter([`--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0'], { VEEAM_EM_PASSWORD: PASSWORD });
      const listening = await exporter.waitForLog((l) => l.msg === 'listening');
      base = `http://${String(listening.address)}`;
      await waitUntil(async () => (await httpGet(`${base}/-/ready`)).status === 200, 'the exporter to finish its first poll cycle');

      context = await chromium.launchPersistentContext(await mkdtemp(join(dir, 'chromium-')), {
        executablePath: CHROMIUM,
        headless: true,
        // Without the background-networking flags Chromium keeps calling home, which floods a closed network.
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      if (exporter !== undefined && exporter.child.exitCode === null) {
        exporter.child.kill('SIGTERM');
        const stopped = await Promise.race([exporter.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        if (!stopped) exporter.child.kill('SIGKILL');
      }
      await sim?.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    /** Opens `/` in a fresh tab that records console errors, uncaught exceptions and dialogs. */
    async function openStatusPage(): Promise<{ page: Page; consoleErrors: string[]; pageErrors: string[]; dialogs: string[] }> {
      const page = await context!.newPage();
      const consoleErrors: string[] = [];
      const pageErrors: string[] = [];
      const dialogs: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') {
          consoleErrors.push(`${message.text()} (${message.location().url})`);
        }
      });
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('dialog', (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      const response = await page.goto(`${base}/`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      return { page, consoleErrors, pageErrors, dialogs };
    }

    async function tableRows(page: Page): Promise<Row[]> {
      return page.$$eval('tbody tr', (trs) =>
        trs.map((tr) => {
          const cells = Array.from((tr as HTMLTableRowElement).cells);
          const age = cells[4];
          return {
            cells: cells.map((c) => (c.textContent ?? '').trim()),
            ageClass: age === undefined ? '' : age.className,
            ageBackground: age === undefined ? '' : getComputedStyle(age).backgroundColor,
          };
        }),
      );
    }

    function rowOf(rows: Row[], id: string): Row {
      const row = rows.find((r) => r.cells[1] === id);
      if (row === undefined) throw new Error(`no table row for backup ${id}; rows: ${JSON.stringify(rows.map((r) => r.cells))}`);
      return row;
    }

    it('loads without console errors, runs no script and shows the <script> backup name as text', async () => {
      const { page, consoleErrors, pageErrors, dialogs } = await openStatusPage();
      try {
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });

        expect(await page.title()).toBe('Veeam Enterprise Manager exporter');
        const hostile = page.getByText(HOSTILE_NAME, { exact: true });
        expect(await hostile.count()).toBe(1);
        expect(await hostile.isVisible()).toBe(true);
        // The page ships no script of its own, and the name did not become one.
        expect(await page.locator('script').count()).toBe(0);
        expect(dialogs).toEqual([]);
        expect(pageErrors).toEqual([]);
        expect(consoleErrors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('does not rely on its Content-Security-Policy: with the header removed the name still does not run', async () => {
      const page = await context!.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      let stripped = false;
      await page.route(`${base}/`, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        stripped = 'content-security-policy' in headers;
        delete headers['content-security-policy'];
        await route.fulfill({ response, headers });
      });
      try {
        await page.goto(`${base}/`, { waitUntil: 'load' });
        expect(stripped).toBe(true);
        expect(dialogs).toEqual([]);
        expect(await page.locator('script').count()).toBe(0);
        expect(await page.getByText(HOSTILE_NAME, { exact: true }).isVisible()).toBe(true);
      } finally {
        await page.close();
      }
    });

    it("lists every configured backup with EM's name and restore point count", async () => {
      const { page } = await openStatusPage();
      try {
        const rows = await tableRows(page);
        expect(rows.map((r) => r.cells[1]).sort()).toEqual(Object.values(IDS).sort());
        for (const backup of backups) {
          const row = rowOf(rows, backup.id);
          expect(row.cells[0], `name of ${backup.id}`).toBe(backup.name);
          expect(row.cells[2], `restore points of ${backup.name}`).toBe(String(backup.restorePoints.length));
        }
        // EM does not know this one: no name, no count, and the last poll says why.
        const unknown = rowOf(rows, IDS.unknown);
        expect(unknown.cells[0]).toBe(IDS.unknown);
        expect(unknown.cells[2]).toBe('—');
        expect(unknown.cells[5]).toMatch(/^Failed \(not_found\)/);
        expect(rowOf(rows, IDS.empty).cells[4]).toMatch(/^No restore points/);
        expect(rowOf(rows, IDS.daily).cells[5]).toMatch(/^OK at /);
      } finally {
        await page.close();
      }
    });

    it('shows the stale backup red and "Over RPO", a fresh one green and "OK"', async () => {
      const { page } = await openStatusPage();
      try {
        const rows = await tableRows(page);
        const stale = rowOf(rows, IDS.stale);
        expect(stale.cells[4]).toMatch(/^Over RPO: 3d/);
        expect(isReddish(stale.ageBackground), `stale age cell background ${stale.ageBackground}`).toBe(true);

        const fresh = rowOf(rows, IDS.daily);
        expect(fresh.cells[4]).toMatch(/^OK: 5h/);
        expect(isGreenish(fresh.ageBackground), `fresh age cell background ${fresh.ageBackground}`).toBe(true);
        expect(isReddish(fresh.ageBackground)).toBe(false);

        const near = rowOf(rows, IDS.near);
        expect(near.cells[4]).toMatch(/^Near RPO: 22h/);
        expect(isReddish(near.ageBackground), `near-RPO age cell background ${near.ageBackground}`).toBe(false);
        expect(near.ageBackground).not.toBe(fresh.ageBackground);

        expect(await page.locator('h2').first().textContent()).toContain('em01');
      } finally {
        await page.close();
      }
    });

    it('links to the metrics, health and readiness endpoints, and they answer', async () => {
      const { page, consoleErrors } = await openStatusPage();
      const targets: Array<{ name: string; path: string; body: RegExp }> = [
        { name: 'Metrics', path: '/metrics', body: new RegExp(`veeam_em_backup_restore_points\\{em="em01",backup_id="${IDS.stale}"[^}]*\\} 4`) },
        { name: 'Health', path: '/-/healthy', body: /^Healthy$/ },
        { name: 'Readiness', path: '/-/ready', body: /^Ready$/ },
      ];
      try {
        for (const target of targets) {
          const link = page.getByRole('link', { name: target.name, exact: true });
          expect(await link.getAttribute('href')).toBe(target.path);
          const navigation = page.waitForResponse((r) => r.request().isNavigationRequest() && new URL(r.url()).pathname === target.path);
          await link.click();
          const response = await navigation;
          await page.waitForLoadState('load');
          expect(response.status(), target.path).toBe(200);
          expect(new URL(page.url()).pathname).toBe(target.path);
          expect((await page.locator('body').innerText()).trim(), target.path).toMatch(target.body);
          await page.goBack({ waitUntil: 'load' });
          expect(new URL(page.url()).pathname).toBe('/');
        }
        expect(consoleErrors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });
}
