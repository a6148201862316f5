/**
 * Session hygiene under random faults: thousands of accelerated cycles against two simulated EMs,
 * each EM seeing expiries, 5xx bursts, dropped connections, latency and 401 bursts. Whatever
 * happens, EM never holds more than one session of ours, and every session ends by logout unless
 * EM expired it first.
 */
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Exporter } from '../../src/exporter.js';
import { mulberry32, type FaultRule, type SimBackup } from '../../src/simulator/index.js';
import { createExporter, emConfig, exporterConfig, sample, startSite, type Site } from '../integration/harness.js';

const CYCLES = 2_000;
const MINUTE = 60_000;

function backups(prefix: string, count: number, now: number): SimBackup[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `Job ${i}`,
    restorePoints: [now - 3_600_000, now - 90_000_000],
  }));
}

const GET = { method: 'GET' };
const POST = { method: 'POST' };

/**
 * One random fault for the next cycle, or none. Faults hit GETs (and logons, where EM creates no
 * session: a status or a drop before the handler runs). Logouts are never faulted: a logout EM
 * refuses cannot be expected to end the session, and a logon whose answer is lost after EM created
 * the session cannot be known to the client (see docs/reliability.md).
 */
function randomFault(rnd: () => number): { rule?: FaultRule; expire?: 'before' | 'during' } {
  const times = 1 + Math.floor(rnd() * 3);
  const pick = rnd();
  if (pick < 0.06) return { expire: 'before' };
  if (pick < 0.12) return { expire: 'during' };
  if (pick < 0.2) return { rule: { match: GET, status: rnd() < 0.5 ? 500 : 503, times } };
  if (pick < 0.26) return { rule: { match: GET, drop: rnd() < 0.5 ? 'before-response' : 'mid-body', times } };
  if (pick < 0.32) return { rule: { match: GET, latencyMs: 1 + Math.floor(rnd() * 5), times } };
  if (pick < 0.4) return { rule: { match: GET, status: 401, times } };
  if (pick < 0.44) return { rule: { match: POST, status: 503, times } };
  if (pick < 0.46) return { rule: { match: POST, drop: 'before-response', times: 1 } };
  if (pick < 0.5) return { rule: { match: GET, body: rnd() < 0.5 ? 'malformed' : 'truncated', times: 1 } };
  return {};
}

let exporter: Exporter | undefined;
const sites: Site[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await exporter?.stop();
  exporter = undefined;
  for (const s of sites.splice(0)) await s.close();
});

describe('soak: session hygiene', () => {
  it('the simulator notices a client that holds two sessions at once', async () => {
    const s = await startSite();
    sites.push(s);
    expect(s.sim.maxOpenSessions()).toBe(0);
    const a = createExporter(exporterConfig([emConfig(s)]), pino({ level: 'silent' }));
    const b = createExporter(exporterConfig([emConfig(s)]), pino({ level: 'silent' }));
    await a.runOnce();
    expect(s.sim.maxOpenSessions()).toBe(1);
    await b.runOnce();
    expect(s.sim.maxOpenSessions()).toBe(2);
    await a.stop();
    await b.stop();
    expect(s.sim.openSessionCount()).toBe(0);
    expect(s.sim.maxOpenSessions()).toBe(2);
  });

  it(
    `${CYCLES} cycles with random faults: never two sessions at once per EM, every session ended by logout or expiry`,
    { timeout: 180_000 },
    async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      let now = Date.UTC(2026, 10, 28, 12, 0, 0);
      vi.setSystemTime(now);
      const ems = await Promise.all(
        ['a1a1a1a1', 'b2b2b2b2'].map(async (prefix, i) => {
          const set = backups(prefix, 5, now);
          // The simulator's clock follows the faked Date, so idle expiry happens in accelerated time too.
          const site = await startSite({ backups: set, now: () => Date.now() });
          sites.push(site);
          const config = emConfig(site, {
            name: `em0${i + 1}`,
            backups: set.map((b) => ({ id: b.id, rpoSeconds: 86_400 })),
          });
          return { site, sim: site.sim, config, rnd: mulberry32(0x5eed + i), expiries: 0, maxOpenAfterCycle: 0 };
        }),
      );
      const configs = ems.map((em) => em.config);
      exporter = new Exporter({
        config: exporterConfig(configs, { retries: 1, concurrency: 4, timeoutMs: 2_000 }),
        logger: pino({ level: 'silent' }),
        version: 'soak',
        now: () => Date.now(),
        // Retries stay on, without the 250 ms pause before each: thousands of cycles must stay cheap.
        clientTuning: { retryBackoffMs: 1 },
      });

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // A minute per cycle: every logon pause (30 s) is over by the next one; metadata is re-read hourly.
        now += MINUTE;
        // Now and then a long quiet spell: EM idles the session out by itself (15 minutes).
        if (cycle % 397 === 396) now += 16 * MINUTE;
        vi.setSystemTime(now);
        const during: Array<() => void> = [];
        for (const em of ems) {
          em.sim.clearFaults();
          const { rule, expire } = randomFault(em.rnd);
          if (rule) em.sim.addFault(rule);
          if (expire === 'before') {
            em.sim.expireAllSessions();
            em.expiries++;
          }
          if (expire === 'during') {
            during.push(() => {
              em.sim.expireAllSessions();
              em.expiries++;
            });
          }
        }
        const running = exporter.runOnce();
        if (during.length > 0) setImmediate(() => during.forEach((f) => f()));
        await running;
        for (const em of ems) {
          const open = em.sim.openSessionCount();
          em.maxOpenAfterCycle = Math.max(em.maxOpenAfterCycle, open);
          if (open > 1) expect.fail(`cycle ${cycle}: ${open} sessions open on one EM`);
        }
      }

      // Faults cleared: one more cycle brings every backup back.
      for (const em of ems) em.sim.clearFaults();
      now += MINUTE;
      vi.setSystemTime(now);
      expect(await exporter.runOnce()).toBe(true);
      const text = await exporter.metrics.render();
      for (const name of ['em01', 'em02']) expect(sample(text, 'veeam_em_up', { em: name })).toBe(1);

      await exporter.stop();
      exporter = undefined;
      for (const em of ems) {
        const sessions = em.sim.sessions();
        const byLogout = sessions.filter((s) => s.endedBy === 'logout').length;
        const byExpiry = sessions.filter((s) => s.endedBy === 'expired').length;
        // The soak did exercise the session handling.
        expect(sessions.length).toBeGreaterThan(100);
        expect(em.sim.maxOpenSessions()).toBe(1);
        expect(em.maxOpenAfterCycle).toBe(1);
        expect(em.sim.openSessionCount()).toBe(0);
        // Every session ended; only the ones EM expired (at most one per expiry we caused, plus the
        // quiet spells) were not logged out.
        expect(byLogout + byExpiry).toBe(sessions.length);
        expect(byExpiry).toBeLessThanOrEqual(em.expiries + Math.floor(CYCLES / 397));
        expect(byLogout).toBeGreaterThan(0);
      }
    },
  );
});
