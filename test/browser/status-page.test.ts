/**
 * The status page in a real browser: the built exporter watches a simulated Enterprise Manager and
 * headless Chromium opens `/`, as an operator would, at desk width (1,400 px) and on a phone (420 px).
 * Proves that the page renders without errors, that only its own script runs (a backup named
 * `<script>alert(1)</script>` is text, not code), that its table mirrors what EM holds worst first,
 * that the summary bar and the text filter filter it, that its colours follow the alert severities,
 * that it refreshes itself unless the reader is busy, and that its links work. Screenshots at both
 * widths are left in test-artifacts/; with UPDATE_README_SCREENSHOT=1 the demo's page also replaces
 * docs/images/status-page.png.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EmSimulator, type SimBackup } from '../../src/simulator/index.js';
import { httpGet, startExporter, waitUntil, type Running } from '../integration/process.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const README_SCREENSHOT = fileURLToPath(new URL('../../docs/images/status-page.png', import.meta.url));

const USER = 'EM01\\svc_monitor';
const PASSWORD = 'browser-test-secret';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DESK = { width: 1400, height: 900 };
const PHONE = { width: 420, height: 860 };

const IDS = {
  daily: '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  near: '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  stale: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  empty: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  hostile: 'e7f6a5b4-c3d2-4e1f-9a8b-7c6d5e4f3a2b',
  /** EM's clock is ahead: its newest point lies 3 h in the future. */
  skewed: '2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091',
  /** EM answers its restore points with a 500 and a long message. */
  broken: '6e5d4c3b-2a19-4807-b6c5-d4e3f2a1b0c9',
  /** Configured, but EM does not know it. */
  unknown: 'deadbeef-0000-4000-8000-000000000000',
} as const;

const HOSTILE_NAME = '<script>alert(1)</script>';
const LONG_EM_ERROR = `The repository database could not be read while listing restore points: ${'the SQL Server instance did not answer in time, '.repeat(4)}retry later`;

function siteBackups(now: number): SimBackup[] {
  return [
    { id: IDS.daily, name: 'Daily VM Backup', restorePoints: [now - 5 * HOUR, now - 29 * HOUR, now - 53 * HOUR] },
    // 22 h of a 26 h RPO: close to it, not over it.
    { id: IDS.near, name: 'SQL & Exchange "prod"', restorePoints: [now - 22 * HOUR, now - 46 * HOUR] },
    {
      id: IDS.stale,
      name: 'Stale File Server',
      restorePoints: [now - 3 * DAY, now - 4 * DAY, now - 5 * DAY, now - 6 * DAY],
    },
    { id: IDS.empty, name: 'New Agent Backup', restorePoints: [] },
    { id: IDS.hostile, name: HOSTILE_NAME, restorePoints: [now - HOUR, now - 25 * HOUR] },
    { id: IDS.skewed, name: 'Branch Office Copy', restorePoints: [now + 3 * HOUR, now - 21 * HOUR] },
    { id: IDS.broken, name: 'Exchange Archive', restorePoints: [now - 2 * HOUR] },
  ];
}

/** What one row of the table holds, as the browser computed it. */
interface Row {
  id: string;
  rowClass: string;
  visible: boolean;
  /** Cell texts by column header. */
  cells: Record<string, string>;
  ageBackground: string;
  /** Background of the "Failed (reason)" badge in the last poll cell, if any. */
  failedBackground?: string;
}

function rgb(colour: string): [number, number, number] {
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
  if (m === null) throw new Error(`not an rgb() colour: ${colour}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Red clearly dominates both other channels: a red shade, not a green, amber (red and green high) or grey one. */
function isReddish(colour: string): boolean {
  const [r, g, b] = rgb(colour);
  return r - g >= 20 && r - b >= 20 && g - b < 20;
}

/** Orange: red over green over blue, each by a clear step. */
function isOrange(colour: string): boolean {
  const [r, g, b] = rgb(colour);
  return r - g >= 20 && g - b >= 30;
}

/** Pale yellow: red and green nearly equal, both above blue. */
function isYellowish(colour: string): boolean {
  const [r, g, b] = rgb(colour);
  return Math.abs(r - g) < 20 && g - b >= 30;
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

async function launch(
  dir: string,
  options: { isMobile?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await mkdtemp(join(dir, 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
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
}

async function stopExporter(exporter: Running | undefined): Promise<void> {
  if (exporter?.child.exitCode !== null) return;
  exporter.child.kill('SIGTERM');
  const stopped = await Promise.race([
    exporter.exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
  ]);
  if (!stopped) exporter.child.kill('SIGKILL');
}

async function listeningBase(exporter: Running): Promise<string> {
  const listening = await exporter.waitForLog((l) => l.msg === 'listening');
  const base = `http://${String(listening.address)}`;
  await waitUntil(
    async () => (await httpGet(`${base}/-/ready`)).status === 200,
    'the exporter to finish its first poll cycle',
  );
  return base;
}

async function tableRows(page: Page): Promise<Row[]> {
  return page.$$eval('#backups tbody tr', (trs) => {
    const headers = Array.from(document.querySelectorAll('#backups thead th')).map((th) =>
      (th.textContent ?? '').trim(),
    );
    return trs.map((tr) => {
      const cells = Array.from((tr as HTMLTableRowElement).cells);
      const text = Object.fromEntries(cells.map((c, i) => [headers[i] ?? String(i), (c.textContent ?? '').trim()]));
      const age = cells[headers.indexOf('Age vs RPO')];
      const failed = tr.querySelector('.failing');
      return {
        id: (tr.querySelector('td.id')?.textContent ?? '').trim(),
        rowClass: tr.getAttribute('class') ?? '',
        visible: (tr as HTMLElement).offsetParent !== null,
        cells: text,
        ageBackground: age === undefined ? '' : getComputedStyle(age).backgroundColor,
        ...(failed === null ? {} : { failedBackground: getComputedStyle(failed).backgroundColor }),
      };
    });
  });
}

function rowOf(rows: Row[], id: string): Row {
  const row = rows.find((r) => r.id === id);
  if (row === undefined)
    throw new Error(`no table row for backup ${id}; rows: ${JSON.stringify(rows.map((r) => r.cells))}`);
  return row;
}

const visibleIds = (rows: Row[]): string[] => rows.filter((r) => r.visible).map((r) => r.id);

const gate = browserGate();

if (gate === 'skip') {
  console.warn(
    `[browser tests] ${CHROMIUM} not found: skipping the status page browser test (Debian: apt-get install chromium). With CI=true this fails instead.`,
  );
  describe.skip(`status page in a browser (skipped: ${CHROMIUM} not installed; Debian package "chromium")`, () => {
    it('needs chromium', () => undefined);
  });
} else if (gate === 'fail') {
  describe('status page in a browser', () => {
    it('needs chromium', () => {
      throw new Error(
        `${CHROMIUM} is missing and CI=true, so the browser test may not be skipped; install the Debian package "chromium"`,
      );
    });
  });
} else {
  describe('status page in a browser', () => {
    let sim: EmSimulator;
    let dir: string;
    let exporter: Running | undefined;
    let base: string;
    let context: BrowserContext | undefined;
    let phone: BrowserContext | undefined;
    let backups: SimBackup[];

    beforeAll(async () => {
      backups = siteBackups(Date.now());
      sim = new EmSimulator({ users: [{ username: USER, password: PASSWORD }], backups });
      const escaped = LONG_EM_ERROR.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
      sim.addFault({
        match: { path: `/api/backups/${IDS.broken}/restorePoints` },
        status: 500,
        body: { raw: `<Error Message="${escaped}" StatusCode="500"/>`, contentType: 'application/xml; charset=utf-8' },
      });
      const started = await sim.start();
      dir = await mkdtemp(join(tmpdir(), 'vee-browser-'));
      const caFile = join(dir, 'em-ca.pem');
      await writeFile(caFile, started.caPem);
      const configFile = join(dir, 'config.yaml');
      await writeFile(
        configFile,
        stringify({
          defaults: { rpo: '26h' },
          poll: { retries: 0 },
          enterpriseManagers: [
            {
              name: 'em01',
              url: started.url,
              username: USER,
              password: '${VEEAM_EM_PASSWORD}',
              tls: { caFile },
              backups: Object.values(IDS),
            },
          ],
        }),
      );
      exporter = startExporter([`--config.file=${configFile}`, '--web.listen-address=127.0.0.1:0'], {
        VEEAM_EM_PASSWORD: PASSWORD,
      });
      base = await listeningBase(exporter);
      context = await launch(dir, { viewport: DESK });
      // A phone lays a page without a viewport meta tag out 980 px wide and shrinks it; isMobile makes Chromium do the same.
      phone = await launch(dir, { viewport: PHONE, isMobile: true });
      await mkdir(ARTIFACTS, { recursive: true });
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await phone?.close();
      await stopExporter(exporter);
      await sim?.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    /** Opens `/` in a fresh tab that records console errors, uncaught exceptions and dialogs. */
    async function openStatusPage(
      on: BrowserContext = context!,
      beforeLoad?: (page: Page) => Promise<void>,
    ): Promise<{ page: Page; consoleErrors: string[]; pageErrors: string[]; dialogs: string[] }> {
      const page = await on.newPage();
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
      await beforeLoad?.(page);
      const response = await page.goto(`${base}/`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      return { page, consoleErrors, pageErrors, dialogs };
    }

    it('loads without console errors, runs only its own script and shows the <script> backup name as text', async () => {
      const { page, consoleErrors, pageErrors, dialogs } = await openStatusPage();
      try {
        await page.screenshot({ path: join(ARTIFACTS, 'status-page-1400.png'), fullPage: true });

        expect(await page.title()).toBe('Veeam Enterprise Manager exporter');
        const hostile = page.getByText(HOSTILE_NAME, { exact: true });
        expect(await hostile.count()).toBe(1);
        expect(await hostile.isVisible()).toBe(true);
        // The page's own script ran under its Content-Security-Policy (it reveals the filter)...
        expect(await page.locator('#controls').isVisible()).toBe(true);
        // ...and the name did not become another one.
        expect(await page.locator('script').count()).toBe(1);
        expect(dialogs).toEqual([]);
        expect(pageErrors).toEqual([]);
        // A CSP violation would be reported here.
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
        expect(await page.locator('script').count()).toBe(1);
        expect(await page.getByText(HOSTILE_NAME, { exact: true }).isVisible()).toBe(true);
      } finally {
        await page.close();
      }
    });

    it("lists every configured backup with EM's name and restore point count", async () => {
      const { page } = await openStatusPage();
      try {
        const rows = await tableRows(page);
        expect(rows.map((r) => r.id).sort()).toEqual(Object.values(IDS).sort());
        for (const backup of backups) {
          const row = rowOf(rows, backup.id);
          expect(row.cells.Backup, `name of ${backup.id}`).toBe(backup.name);
          if (backup.id !== IDS.broken)
            expect(row.cells['Restore points'], `restore points of ${backup.name}`).toBe(
              String(backup.restorePoints.length),
            );
          expect(row.cells.EM).toBe('em01');
        }
        // EM does not know this one: no name, no count, and the last poll says why.
        const unknown = rowOf(rows, IDS.unknown);
        expect(unknown.cells.Backup).toBe('no name from EM yet');
        expect(unknown.cells['Restore points']).toBe('—');
        expect(unknown.cells['Last poll']).toMatch(/^Failed \(not_found\)/);
        expect(rowOf(rows, IDS.empty).cells['Age vs RPO']).toMatch(/^No restore points/);
        expect(rowOf(rows, IDS.daily).cells['Last poll']).toMatch(/^OK at /);
      } finally {
        await page.close();
      }
    });

    it('sorts worst first: over RPO, failing, empty, newest point in the future, near RPO, OK', async () => {
      const { page } = await openStatusPage();
      try {
        const rows = await tableRows(page);
        expect(rows.map((r) => r.rowClass)).toEqual([
          'row-late',
          'row-failing',
          'row-failing',
          'row-empty',
          'row-future',
          'row-near',
          'row-ok',
          'row-ok',
        ]);
        expect(rows[0]!.id).toBe(IDS.stale);
        expect(
          rows
            .slice(1, 3)
            .map((r) => r.id)
            .sort(),
        ).toEqual([IDS.broken, IDS.unknown].sort());
        expect(rows.slice(3).map((r) => r.id)).toEqual([IDS.empty, IDS.skewed, IDS.near, IDS.daily, IDS.hostile]);
        // Clock skew is not shown as a fresh backup with age 0.
        expect(rowOf(rows, IDS.skewed).cells['Age vs RPO']).toMatch(
          /^Newest point in the future: (2h 59m|3h) ahead of this host/,
        );
      } finally {
        await page.close();
      }
    });

    it('colours follow the alert severities: critical red, warning orange, near RPO yellow, OK green', async () => {
      const { page } = await openStatusPage();
      try {
        const rows = await tableRows(page);
        const stale = rowOf(rows, IDS.stale);
        expect(stale.cells['Age vs RPO']).toMatch(/^Over RPO: 3d/);
        expect(isReddish(stale.ageBackground), `over-RPO age cell background ${stale.ageBackground}`).toBe(true);

        // VeeamBackupNoRestorePoints is as critical as VeeamBackupRestorePointTooOld, so it is as red.
        const empty = rowOf(rows, IDS.empty);
        expect(empty.ageBackground).toBe(stale.ageBackground);

        // VeeamBackupPollFailing is a warning: the reason is shown in the warning colour.
        const broken = rowOf(rows, IDS.broken);
        expect(broken.cells['Last poll']).toMatch(/^Failed \(http_5xx\)/);
        expect(isOrange(broken.failedBackground ?? ''), `failed badge background ${broken.failedBackground}`).toBe(
          true,
        );
        expect(rowOf(rows, IDS.unknown).failedBackground).toBe(broken.failedBackground);

        const skewed = rowOf(rows, IDS.skewed);
        expect(skewed.ageBackground).toBe(broken.failedBackground);

        const near = rowOf(rows, IDS.near);
        expect(near.cells['Age vs RPO']).toMatch(/^Near RPO: 22h/);
        expect(isYellowish(near.ageBackground), `near-RPO age cell background ${near.ageBackground}`).toBe(true);

        const fresh = rowOf(rows, IDS.daily);
        expect(fresh.cells['Age vs RPO']).toMatch(/^OK: 5h/);
        expect(isGreenish(fresh.ageBackground), `fresh age cell background ${fresh.ageBackground}`).toBe(true);
        for (const colour of [near.ageBackground, fresh.ageBackground, broken.failedBackground!])
          expect(isReddish(colour), colour).toBe(false);
      } finally {
        await page.close();
      }
    });

    it('filters by the summary bar and by text, and keeps the filter across a reload', async () => {
      const { page, consoleErrors } = await openStatusPage();
      try {
        const chip = (name: RegExp) => page.locator('.summary button').filter({ hasText: name });
        expect((await chip(/^All/).textContent())?.trim()).toBe('All 8');
        expect((await chip(/^Over RPO/).textContent())?.trim()).toBe('Over RPO 1');
        expect((await chip(/^Poll failing/).textContent())?.trim()).toBe('Poll failing 2');

        await chip(/^Over RPO/).click();
        expect(visibleIds(await tableRows(page))).toEqual([IDS.stale]);
        expect(await chip(/^Over RPO/).getAttribute('aria-pressed')).toBe('true');
        expect(await page.locator('#shown').textContent()).toBe('Showing 1 of 8 backups.');

        await chip(/^Poll failing/).click();
        expect(visibleIds(await tableRows(page)).sort()).toEqual([IDS.broken, IDS.unknown].sort());
        // A second click on the active filter shows everything again.
        await chip(/^Poll failing/).click();
        expect(visibleIds(await tableRows(page))).toHaveLength(8);

        // Text matches names, IDs and error messages, case-insensitively.
        await page.locator('#search').fill('exchange');
        expect(visibleIds(await tableRows(page)).sort()).toEqual([IDS.near, IDS.broken].sort());
        await page.locator('#search').fill('SQL server instance');
        expect(visibleIds(await tableRows(page))).toEqual([IDS.broken]);
        await page.locator('#search').fill('');
        await chip(/^No restore points/).click();
        await page.locator('#search').fill('agent');
        expect(visibleIds(await tableRows(page))).toEqual([IDS.empty]);

        expect(new URL(page.url()).hash).toBe('#show=empty&q=agent');
        await page.reload({ waitUntil: 'load' });
        expect(visibleIds(await tableRows(page))).toEqual([IDS.empty]);
        expect(await page.locator('#search').inputValue()).toBe('agent');
        expect(consoleErrors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('refreshes itself, but not while the reader has a message unfolded', async () => {
      const { page } = await openStatusPage(context, (p) => p.clock.install());
      try {
        // A mark on the window survives everything but a reload.
        const marker = (): Promise<boolean> =>
          page.evaluate(() => (window as unknown as { marker?: boolean }).marker === true);
        await page.evaluate(() => ((window as unknown as { marker?: boolean }).marker = true));

        const reloaded = page.waitForEvent('load');
        await page.clock.runFor(31_000);
        await reloaded;
        expect(await marker()).toBe(false);
        await page.evaluate(() => ((window as unknown as { marker?: boolean }).marker = true));

        // Unfold the long EM error: the page must hold still while it is read.
        const details = page.locator('#backups tr').filter({ hasText: 'Exchange Archive' }).locator('details');
        expect(await details.count()).toBe(1);
        expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
        await details.locator('summary').click();
        expect(await details.textContent()).toContain(
          'EM answered 500 "The repository database could not be read while listing restore points: the SQL Server instance',
        );
        expect(await details.locator('summary').evaluate((s) => s.nextSibling?.textContent ?? '')).toMatch(
          /^em "em01": backup /,
        );
        await page.clock.runFor(95_000);
        await new Promise((r) => setTimeout(r, 500));
        expect(await marker()).toBe(true);

        // Folded again, the next tick reloads.
        await details.locator('summary').click();
        const again = page.waitForEvent('load');
        await page.clock.runFor(31_000);
        await again;
        expect(await marker()).toBe(false);
      } finally {
        await page.close();
      }
    });

    it('keeps its view and says so while the exporter does not answer, and reloads once it does again', async () => {
      const { page, consoleErrors } = await openStatusPage(context, (p) => p.clock.install());
      try {
        const marker = (): Promise<boolean> =>
          page.evaluate(() => (window as unknown as { marker?: boolean }).marker === true);
        await page.evaluate(() => ((window as unknown as { marker?: boolean }).marker = true));
        // The exporter is restarting: its port refuses connections.
        let refused = 0;
        await page.route(`${base}/`, async (route) => {
          if (route.request().method() !== 'HEAD') return route.continue();
          refused++;
          return route.abort('connectionrefused');
        });
        await page.clock.runFor(31_000);
        await page.locator('#offline').waitFor({ state: 'visible' });
        expect(await page.locator('#offline').textContent()).toMatch(
          /^The exporter does not answer \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); this view is from the time above\. Retrying\.$/,
        );
        expect(refused).toBe(1);
        expect(await marker()).toBe(true);
        expect(await page.locator('#backups tbody tr').count()).toBe(Object.keys(IDS).length);

        await page.unroute(`${base}/`);
        const reloaded = page.waitForEvent('load');
        await page.clock.runFor(31_000);
        await reloaded;
        expect(await marker()).toBe(false);
        expect(await page.locator('#offline').isVisible()).toBe(false);
        // The refused HEAD is logged by Chromium itself; nothing else may be.
        expect(consoleErrors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('reads on a 420 px phone: no sideways page scroll, the table scrolls in its box, IDs and times do not wrap', async () => {
      const { page, consoleErrors } = await openStatusPage(phone);
      try {
        await page.screenshot({ path: join(ARTIFACTS, 'status-page-420.png'), fullPage: true });
        const layout = await page.evaluate(() => {
          const wrap = document.querySelector('.table-wrap')!;
          const lines = (el: Element) => el.getClientRects().length;
          const details = document.querySelector('#backups details') as HTMLDetailsElement;
          const foldedHeight = details.getBoundingClientRect().height;
          details.open = true;
          const openHeight = details.getBoundingClientRect().height;
          details.open = false;
          return {
            innerWidth: window.innerWidth,
            pageWidth: document.documentElement.scrollWidth,
            wrapScrolls: wrap.scrollWidth > wrap.clientWidth,
            wrapWidth: wrap.getBoundingClientRect().width,
            idLines: Array.from(document.querySelectorAll('#backups td.id code')).map(lines),
            timeLines: Array.from(document.querySelectorAll('time, td.age .nowrap')).map(lines),
            foldedHeight,
            openHeight,
            summaryRight: Math.max(
              ...Array.from(document.querySelectorAll('.summary button')).map((b) => b.getBoundingClientRect().right),
            ),
          };
        });
        // The viewport meta tag makes the layout viewport the phone's width, not 980 px shrunk.
        expect(layout.innerWidth).toBe(PHONE.width);
        expect(layout.pageWidth).toBeLessThanOrEqual(PHONE.width);
        expect(layout.wrapScrolls).toBe(true);
        expect(layout.wrapWidth).toBeLessThanOrEqual(PHONE.width);
        expect(layout.summaryRight).toBeLessThanOrEqual(PHONE.width);
        expect(layout.idLines.length).toBe(Object.keys(IDS).length);
        expect(
          layout.idLines.every((n) => n === 1),
          `line boxes per ID: ${layout.idLines.join(',')}`,
        ).toBe(true);
        expect(
          layout.timeLines.every((n) => n === 1),
          `line boxes per time: ${layout.timeLines.join(',')}`,
        ).toBe(true);
        // A long EM error is folded to its preview.
        expect(layout.foldedHeight).toBeLessThan(layout.openHeight / 2);
        expect(consoleErrors).toEqual([]);
      } finally {
        await page.close();
      }
    });

    it('at 1,400 px the table fits without scrolling and IDs and times do not wrap', async () => {
      const { page } = await openStatusPage();
      try {
        const layout = await page.evaluate(() => {
          const wrap = document.querySelector('.table-wrap')!;
          const lines = (el: Element) => el.getClientRects().length;
          return {
            pageWidth: document.documentElement.scrollWidth,
            wrapScrolls: wrap.scrollWidth > wrap.clientWidth,
            wrapped: Array.from(document.querySelectorAll('#backups code, time')).filter((el) => lines(el) !== 1)
              .length,
          };
        });
        expect(layout).toEqual({ pageWidth: DESK.width, wrapScrolls: false, wrapped: 0 });
      } finally {
        await page.close();
      }
    });

    it('links to the metrics, health and readiness endpoints, and they answer', async () => {
      const { page, consoleErrors } = await openStatusPage();
      const targets: Array<{ name: string; path: string; body: RegExp }> = [
        {
          name: 'Metrics',
          path: '/metrics',
          body: new RegExp(`veeam_em_backup_restore_points\\{em="em01",backup_id="${IDS.stale}"[^}]*\\} 4`),
        },
        { name: 'Health', path: '/-/healthy', body: /^Healthy$/ },
        { name: 'Readiness', path: '/-/ready', body: /^Ready$/ },
      ];
      try {
        for (const target of targets) {
          const link = page.getByRole('link', { name: target.name, exact: true });
          expect(await link.getAttribute('href')).toBe(target.path);
          const navigation = page.waitForResponse(
            (r) => r.request().isNavigationRequest() && new URL(r.url()).pathname === target.path,
          );
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

  describe('status page of the demo, for the README', () => {
    let dir: string;
    let demo: Running | undefined;
    let context: BrowserContext | undefined;

    afterAll(async () => {
      await context?.close();
      await stopExporter(demo);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('shows the demo site worst first and leaves a screenshot', async () => {
      dir = await mkdtemp(join(tmpdir(), 'vee-browser-demo-'));
      demo = startExporter(['--demo', '--web.listen-address=127.0.0.1:0']);
      const base = await listeningBase(demo);
      // Short, so the full-page screenshot ends where the page does.
      context = await launch(dir, { viewport: { width: 1400, height: 400 } });
      const page = await context.newPage();
      await page.goto(`${base}/`, { waitUntil: 'load' });
      const rows = await tableRows(page);
      expect(rows.map((r) => r.rowClass)).toEqual([
        'row-late',
        'row-failing',
        'row-empty',
        'row-ok',
        'row-ok',
        'row-ok',
      ]);
      expect(rows[0]!.cells.Backup).toBe('Exchange Backup (stale)');
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'status-page-demo.png') });
      if (process.env.UPDATE_README_SCREENSHOT === '1') {
        await mkdir(dirname(README_SCREENSHOT), { recursive: true });
        await page.screenshot({ path: README_SCREENSHOT, fullPage: true });
      }
    }, 60_000);
  });
}
