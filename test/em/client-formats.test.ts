import { describe, expect, it } from 'vitest';
import { BACKUP_A, BACKUP_B, POINTS_A, startHarness } from './client-harness.js';

const sortedTimes = (points: Array<{ timeMs: number }>) => points.map((p) => p.timeMs).sort((a, b) => a - b);
const toMinute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

describe('EM client: representations', () => {
  it.each(['v12', 'v13'] as const)('reads JSON %s restore points and backup metadata', async (jsonStyle) => {
    const { makeClient } = await startHarness({ jsonStyle, nameStyle: jsonStyle === 'v13' ? 'postgres' : 'mssql' });
    const client = makeClient({ format: 'json' });
    const points = await client.getRestorePoints(BACKUP_A);
    expect(sortedTimes(points)).toEqual(POINTS_A);
    expect(points.every((p) => p.uid.startsWith('urn:veeam:RestorePoint:'))).toBe(true);
    expect(await client.getBackup(BACKUP_B)).toEqual({
      id: BACKUP_B,
      name: 'Weekly & Monthly',
      platform: 'HyperV',
      backupType: 'Standard',
      backupServer: 'vbr02.example.local',
      repository: 'SOBR-01',
    });
  });

  it('reads XML metadata with the default server and repository', async () => {
    const { client } = await startHarness();
    expect(await client.getBackup(`urn:veeam:Backup:${BACKUP_A}`)).toEqual({
      id: BACKUP_A,
      name: 'Daily VM Backup',
      platform: 'VMware',
      backupType: 'Standard',
      backupServer: 'vbr01.example.local',
      repository: 'Default Backup Repository',
    });
  });

  it('falls back to Ref Names when EM ignores format=Entity (SQL Server names: minute precision)', async () => {
    const { sim, client } = await startHarness({ ignoreEntityFormat: true });
    expect(sortedTimes(await client.getRestorePoints(BACKUP_A))).toEqual(POINTS_A.map(toMinute));
    expect(sim.requests().at(-1)?.url).toBe(`/api/backups/${BACKUP_A}/restorePoints?format=Entity`);
  });

  it('falls back to Ref Names in JSON with PostgreSQL names (sub-second precision)', async () => {
    const { makeClient } = await startHarness({ ignoreEntityFormat: true, nameStyle: 'postgres', jsonStyle: 'v13' });
    expect(sortedTimes(await makeClient({ format: 'json' }).getRestorePoints(BACKUP_A))).toEqual(POINTS_A);
  });

  it('restorePoints: reference asks for references and reads their names', async () => {
    const { sim, makeClient } = await startHarness({ nameStyle: 'postgres' });
    const points = await makeClient({ restorePoints: 'reference' }).getRestorePoints(BACKUP_A);
    expect(sortedTimes(points)).toEqual(POINTS_A);
    expect(sim.requests().at(-1)?.url).toBe(`/api/backups/${BACKUP_A}/restorePoints`);
  });

  it('a backup without restore points gives an empty list in both formats', async () => {
    const { makeClient } = await startHarness();
    expect(await makeClient({ format: 'xml' }).getRestorePoints(BACKUP_B)).toEqual([]);
    expect(await makeClient({ format: 'json' }).getRestorePoints(BACKUP_B)).toEqual([]);
  });

  it('reports every exchange to the API observer under its endpoint name', async () => {
    const { client, api } = await startHarness();
    await client.getBackup(BACKUP_A);
    await client.getRestorePoints(BACKUP_A);
    await client.logout();
    expect(api.map((c) => [c.em, c.endpoint, c.code])).toEqual([
      ['em01', 'login', 201],
      ['em01', 'backup', 200],
      ['em01', 'restore_points', 200],
      ['em01', 'logout', 204],
    ]);
    expect(api.every((c) => c.seconds >= 0 && c.seconds < 5)).toBe(true);
  });
});
