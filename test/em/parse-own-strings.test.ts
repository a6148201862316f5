/**
 * What a parser returns must not keep the body it was read from alive. V8 keeps a substring of 13
 * characters or more as a slice of its parent, so one backup name taken from a listing and kept in
 * state would pin the whole listing (10 MB of XML at 10,000 backups). Each case parses bodies,
 * drops them, keeps only the result, and measures the heap after full collections: what stays must
 * be far less than the bodies were.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  parseBackupEntity,
  parseBackupList,
  parseBackupQuery,
  parseRestorePointQuery,
  parseRestorePoints,
  parseVmRestorePointQuery,
  parseVmRestorePoints,
} from '../../src/em/parse/index.js';
import { StoredBackup, Views } from '../../src/simulator/model.js';
import { vmPointEntity } from '../../src/simulator/vm-points.js';
import { xmlRenderer } from '../../src/simulator/xml.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const XML = 'application/xml; charset=utf-8';
const T0 = Date.UTC(2025, 5, 1, 1, 0, 0);
const views = new Views('https://em01.example.local:9398/api', 'mssql');

/** Backups with long names, servers and repositories, so that a pinned body and a copy differ by far. */
function backups(n: number): StoredBackup[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new StoredBackup({
        id: randomUUID(),
        name: `Backup job ${i} ${randomUUID()}`,
        backupServer: `vbr-${i % 7}.example.local`,
        repository: `Repository ${i % 5} on scale-out`,
        restorePoints: [T0, T0 + 3_600_000, T0 + 7_200_000],
        vms: [{ name: `vm-${i}-${randomUUID()}`, objRef: `urn:VMware:Vm:${randomUUID()}.vm-${i}` }],
      }),
  );
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes of heap held after the bodies are gone and only `parse`'s results remain, beside the bytes
 * of the bodies. The bodies are built inside, so nothing but the results can reach them.
 */
function retainedBy(
  makeBodies: () => string[],
  parse: (body: string) => unknown,
): { bodies: number; retained: number; results: unknown[] } {
  const before = heapAfterGc();
  let bodies: string[] | undefined = makeBodies();
  const size = bodies.reduce((sum, body) => sum + body.length, 0);
  const results = bodies.map(parse);
  bodies = undefined;
  // V8 remembers the subject of the last regular-expression match (RegExp.lastMatch) in one slot per
  // realm: a slice of the last body stays reachable from there until any other match runs, as one
  // does at once in a running exporter. It is one body, not one per kept result: reset it.
  /x/.exec('x');
  const after = heapAfterGc();
  return { bodies: size, retained: after - before, results };
}

const cases: Array<[string, () => string[], (body: string) => unknown]> = [
  [
    'the discovery listing',
    () => [
      xmlRenderer.entityList(
        'Backups',
        backups(2000).map((b) => views.backupEntity(b)),
      ),
    ],
    (b) => parseBackupList(b, XML),
  ],
  [
    'child backups',
    () => [
      xmlRenderer.entityList(
        'Backups',
        backups(2000).map((b) => views.backupEntity(b)),
      ),
    ],
    (b) => parseBackupList(b, XML),
  ],
  [
    'backup metadata, one small body each',
    () => backups(2000).map((b) => xmlRenderer.entity(views.backupEntity(b))),
    (b) => parseBackupEntity(b, XML),
  ],
  [
    'restore points',
    () =>
      backups(2000).map((b) =>
        xmlRenderer.entityList(
          'RestorePoints',
          b.points().map((p) => views.restorePointEntity(b, p)),
        ),
      ),
    (b) => parseRestorePoints(b, XML),
  ],
  [
    'query pages of restore points',
    () => {
      const all = backups(1000);
      return [
        xmlRenderer.queryResult({
          format: 'entities',
          list: 'RestorePoints',
          items: all.flatMap((b) => b.points().map((p) => views.restorePointEntity(b, p))),
          paging: { pagesCount: 1, pageSize: 2000, pageNum: 1, links: [] },
        }),
      ];
    },
    (b) => parseRestorePointQuery(b, XML).items,
  ],
  [
    'query pages of backups',
    () => [
      xmlRenderer.queryResult({
        format: 'entities',
        list: 'Backups',
        items: backups(2000).map((b) => views.backupEntity(b)),
        paging: { pagesCount: 1, pageSize: 2000, pageNum: 1, links: [] },
      }),
    ],
    (b) => parseBackupQuery(b, XML).items,
  ],
  [
    'query pages of VM points',
    () => {
      const all = backups(2000);
      return [
        xmlRenderer.queryResult({
          format: 'entities',
          list: 'VmRestorePoints',
          items: all.flatMap((b) => b.vmPoints().map((p) => vmPointEntity(b, p, views))),
          paging: { pagesCount: 1, pageSize: 6000, pageNum: 1, links: [] },
        }),
      ];
    },
    (b) => parseVmRestorePointQuery(b, XML).items,
  ],
  [
    'the VM points of one restore point',
    () =>
      backups(2000).map((b) =>
        xmlRenderer.entityList(
          'VmRestorePoints',
          b
            .vmPoints()
            .slice(0, 1)
            .map((p) => vmPointEntity(b, p, views)),
        ),
      ),
    (b) => parseVmRestorePoints(b, XML),
  ],
];

describe('parsers keep no body alive', () => {
  it.each(cases)('%s: the results hold a small part of the bodies', (_what, makeBodies, parse) => {
    // The first run pays for what loading and compiling the parser keeps; the second is measured.
    retainedBy(makeBodies, parse);
    // The test runner's own work can allocate between the two heap readings of one attempt. A pinned
    // body is held in every attempt, so the attempt that held least is the measure.
    let best = retainedBy(makeBodies, parse);
    for (let attempt = 1; attempt < 3; attempt++) {
      const next = retainedBy(makeBodies, parse);
      if (next.retained < best.retained) best = next;
    }
    const { bodies, retained, results } = best;
    expect(results.length).toBeGreaterThan(0);
    expect(bodies).toBeGreaterThan(1_000_000);
    // A pinned body keeps all of its bytes (and more: each pinned small body its parsed tree's
    // slices too); copies keep a few strings per item.
    expect(retained).toBeLessThan(bodies * 0.4);
  });
});
