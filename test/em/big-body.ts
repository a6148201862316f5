import { BACKUP_A } from './client-harness.js';

const GUID = (i: number) => `${(0x10000000 + i).toString(16)}-1111-4aaa-8bbb-0123456789ab`;

/** An EM 12 style restore-point list of about `mib` MiB, with `count` points newest first. */
export function bigRestorePointList(mib: number): { body: Buffer; count: number; newestMs: number } {
  const base = Date.UTC(2025, 5, 7, 1, 2, 3);
  const parts = [
    '<?xml version="1.0" encoding="utf-8"?>\n<RestorePoints xmlns="http://www.veeam.com/ent/v1.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n',
  ];
  let size = parts[0]!.length;
  let count = 0;
  while (size < mib * 1024 * 1024) {
    const id = GUID(count);
    const when = new Date(base - count * 3_600_000).toISOString();
    const point =
      `  <RestorePoint Href="https://em01.example.local:9398/api/restorePoints/${id}?format=Entity" Type="RestorePoint" Name="Jun  7 2025  1:02AM" UID="urn:veeam:RestorePoint:${id}">\n` +
      `    <Links>\n      <Link Href="https://em01.example.local:9398/api/backups/${BACKUP_A}" Name="Daily VM Backup" Type="BackupReference" Rel="Up" />\n` +
      `      <Link Href="https://em01.example.local:9398/api/restorePoints/${id}/vmRestorePoints" Type="VmRestorePointReferenceList" Rel="Down" />\n    </Links>\n` +
      `    <BackupDateUTC>${when}</BackupDateUTC>\n    <CreationTimeUTC>${when}</CreationTimeUTC>\n    <Algorithm>Full</Algorithm>\n    <PointType>Full</PointType>\n  </RestorePoint>\n`;
    parts.push(point);
    size += point.length;
    count++;
  }
  parts.push('</RestorePoints>\n');
  return { body: Buffer.from(parts.join(''), 'utf8'), count, newestMs: base };
}
