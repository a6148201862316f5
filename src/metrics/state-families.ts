import type { BackupRecord, EmRecord } from './types.js';
import type { HelpTexts } from './help.js';
import {
  TextBuilder,
  familyHeader,
  formatLabels,
  formatSampleValue,
  linePrefixes,
  secondsLinesSize,
  textPart,
  joinParts,
  writeSecondsLines,
  type ExpositionPart,
  type LinePrefixes,
} from './exposition.js';
import { newestPointMs } from './state.js';

export interface StateSnapshot {
  backups: readonly BackupRecord[];
  ems: readonly EmRecord[];
  /** Scrape time, Unix ms: ages are measured against it. */
  nowMs: number;
}

/**
 * How a per-backup family takes its value from a record. `fixed`: a number that changes only with
 * the record's revision (undefined = no series), rendered once and kept as bytes. `age` and `time`:
 * milliseconds written into prepared line prefixes, an age at every scrape (it grows with the
 * clock) and a time whenever it changes (the last success, at every poll).
 */
type BackupFamily = { name: string; help: (help: HelpTexts) => string } & (
  | { kind: 'fixed'; sample: (record: BackupRecord) => number | undefined }
  | { kind: 'age' | 'time'; ms: (record: BackupRecord) => number | undefined }
);

/** The per-backup families, in exposition order; `veeam_em_backup_info` follows them. */
const BACKUP_FAMILIES: readonly BackupFamily[] = [
  {
    name: 'veeam_em_backup_restore_points',
    help: (h) => h.restorePoints,
    kind: 'fixed',
    sample: (r) => r.summary?.count,
  },
  {
    name: 'veeam_em_backup_newest_restore_point_timestamp_seconds',
    help: (h) => h.newestTimestamp,
    kind: 'fixed',
    sample: (r) => seconds(newestPointMs(r)),
  },
  // Its digits are newestPointAgeSeconds, written by writeSecondsLines without building the number's text.
  {
    name: 'veeam_em_backup_newest_restore_point_age_seconds',
    help: (h) => h.newestAge,
    kind: 'age',
    ms: newestPointMs,
  },
  {
    name: 'veeam_em_backup_oldest_restore_point_timestamp_seconds',
    help: (h) => h.oldestTimestamp,
    kind: 'fixed',
    sample: (r) => seconds(oldestPointMs(r)),
  },
  { name: 'veeam_em_backup_rpo_seconds', help: (h) => h.rpo, kind: 'fixed', sample: (r) => r.rpoSeconds },
  {
    name: 'veeam_em_backup_poll_success',
    help: (h) => h.pollSuccess,
    kind: 'fixed',
    sample: (r) => (r.lastPoll === undefined ? undefined : r.lastPoll.ok ? 1 : 0),
  },
  {
    name: 'veeam_em_backup_last_success_timestamp_seconds',
    help: (h) => h.lastSuccessTimestamp,
    kind: 'time',
    ms: (r) => r.lastSuccessMs,
  },
];

const EM_FAMILIES: ReadonlyArray<{
  name: string;
  help: (help: HelpTexts) => string;
  sample: (em: EmRecord) => number | undefined;
}> = [
  { name: 'veeam_em_up', help: (h) => h.up, sample: (em) => (em.up === undefined ? undefined : em.up ? 1 : 0) },
  {
    name: 'veeam_em_last_poll_timestamp_seconds',
    help: (h) => h.lastPollTimestamp,
    sample: (em) => seconds(em.lastCycleEndMs),
  },
  {
    name: 'veeam_em_poll_duration_seconds',
    help: (h) => h.pollDuration,
    sample: (em) => (em.up === undefined ? undefined : em.lastCycleSeconds),
  },
];

/** Records per block: a poll that changes one backup re-renders its block, not the whole exposition. */
const BLOCK_SIZE = 500;

/** One family's lines of a block whose values are written from milliseconds. */
interface MsLines {
  prefixes: LinePrefixes;
  /** Index in the block of the record behind each line. */
  rows: Uint16Array;
  /** The times the ages count from (the age family), or the times last written (a time family). */
  ms: Float64Array;
}

interface Block {
  /** Revision of each record, in order: the block stands for exactly these contents. */
  revisions: Float64Array;
  /** Per family in BACKUP_FAMILIES order, then the info family: kept bytes, or the prepared lines. */
  families: Array<ExpositionPart | MsLines | undefined>;
}

export type StateRenderer = (snapshot: StateSnapshot, help: HelpTexts) => ExpositionPart[];

/**
 * Renders the per-backup and per-EM gauges from the state as it is at scrape time. A block of
 * records whose revisions are those it was rendered from keeps its bytes (stable parts a server
 * may keep the compressed form of); its ages are written afresh at every scrape and its last
 * success times whenever a poll changed them, both into prepared line prefixes. The per-EM gauges,
 * a few lines, are rendered at every scrape.
 */
export function createStateRenderer(): StateRenderer {
  let blocks: Block[] = [];
  let cachedHelp: HelpTexts | undefined;
  let headers: ExpositionPart[] = [];
  /** The time family's lines as last written, and the blocks they were written from. */
  let times: { blocks: Block[]; part: ExpositionPart } | undefined;
  /**
   * The records of the last render, by position. Records are replaced, never mutated, so one that
   * is still in its place needs no look at its fields: at 10,000 backups, reading a field of each
   * record (objects of many shapes) would cost more than the rest of a scrape's bookkeeping.
   */
  let seen: readonly BackupRecord[] = [];

  return ({ backups, ems, nowMs }, help) => {
    if (help !== cachedHelp) {
      cachedHelp = help;
      headers = [
        ...BACKUP_FAMILIES.map((f) => textPart(familyHeader(f.name, 'gauge', f.help(help)), true)),
        textPart(familyHeader('veeam_em_backup_info', 'gauge', help.info), true),
      ];
    }
    const next: Block[] = [];
    for (let start = 0; start < backups.length; start += BLOCK_SIZE) {
      const end = Math.min(start + BLOCK_SIZE, backups.length);
      const previous = blocks[next.length];
      next.push(
        previous !== undefined && sameRevisions(previous.revisions, backups, seen, start, end)
          ? previous
          : renderBlock(backups.slice(start, end)),
      );
    }
    blocks = next;

    const parts: ExpositionPart[] = [];
    for (let f = 0; f <= BACKUP_FAMILIES.length; f++) {
      parts.push(headers[f]!);
      const family = BACKUP_FAMILIES[f];
      if (family?.kind === 'age') {
        parts.push(msPart(blocks, f, nowMs, -1, false));
      } else if (family?.kind === 'time') {
        // One part for the family: a poll cycle changes every time in it, and one deflate of the
        // whole costs less than one per block.
        const changed = updateTimes(blocks, f, family.ms, backups, seen);
        if (changed || times === undefined || !sameBlocks(times.blocks, blocks))
          times = { blocks, part: msPart(blocks, f, 0, 1, true) };
        parts.push(times.part);
      } else {
        for (const block of blocks)
          if (block.families[f] !== undefined) parts.push(block.families[f] as ExpositionPart);
      }
    }

    seen = backups;

    const text = new TextBuilder();
    for (const family of EM_FAMILIES) {
      text.add(familyHeader(family.name, 'gauge', family.help(help)));
      for (const em of ems) {
        const value = family.sample(em);
        if (value !== undefined)
          text.add(`${family.name}${formatLabels([['em', em.name]])} ${formatSampleValue(value)}\n`);
      }
    }
    parts.push(textPart(text.toString(), false));
    return parts;
  };
}

/** The per-backup and per-EM gauges as one text (no caching). */
export function renderStateFamilies(snapshot: StateSnapshot, help: HelpTexts): string {
  return joinParts(createStateRenderer()(snapshot, help));
}

function sameRevisions(
  cached: Float64Array,
  all: readonly BackupRecord[],
  seen: readonly BackupRecord[],
  start: number,
  end: number,
): boolean {
  if (cached.length !== end - start) return false;
  for (let i = start; i < end; i++) {
    const record = all[i]!;
    if (record !== seen[i] && cached[i - start] !== record.revision) return false;
  }
  return true;
}

function renderBlock(records: readonly BackupRecord[]): Block {
  const labels = records.map((r) =>
    formatLabels([
      ['em', r.em],
      ['backup_id', r.backupId],
      ['backup_name', backupName(r)],
    ]),
  );
  const families: Block['families'] = BACKUP_FAMILIES.map((family) => {
    if (family.kind !== 'fixed') return msLines(family.name, family.ms, records, labels);
    const text = new TextBuilder();
    for (let i = 0; i < records.length; i++) {
      const value = family.sample(records[i]!);
      if (value !== undefined) text.add(`${family.name}${labels[i]!} ${formatSampleValue(value)}\n`);
    }
    return bytesOf(text);
  });
  const info = new TextBuilder();
  for (const record of records) {
    if (record.metadata !== undefined) info.add(`veeam_em_backup_info${infoLabels(record)} 1\n`);
  }
  families.push(bytesOf(info));
  return { revisions: Float64Array.from(records, (r) => r.revision), families };
}

function bytesOf(text: TextBuilder): ExpositionPart | undefined {
  const s = text.toString();
  return s === '' ? undefined : textPart(s, true);
}

function msLines(
  name: string,
  msOf: (record: BackupRecord) => number | undefined,
  records: readonly BackupRecord[],
  labels: readonly string[],
): MsLines | undefined {
  const prefixes: string[] = [];
  const rows: number[] = [];
  const ms: number[] = [];
  records.forEach((record, i) => {
    const value = msOf(record);
    if (value === undefined) return;
    prefixes.push(`${name}${labels[i]!} `);
    rows.push(i);
    ms.push(value);
  });
  return rows.length === 0
    ? undefined
    : { prefixes: linePrefixes(prefixes), rows: Uint16Array.from(rows), ms: Float64Array.from(ms) };
}

/**
 * One family's lines of every block, written from milliseconds: ages at `nowMs` (sign -1) at every
 * scrape, or times (sign 1), kept while they stay the same.
 */
function msPart(blocks: readonly Block[], f: number, nowMs: number, sign: 1 | -1, stable: boolean): ExpositionPart {
  let size = 0;
  for (const block of blocks) {
    const lines = block.families[f] as MsLines | undefined;
    if (lines !== undefined) size += secondsLinesSize(lines.prefixes);
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const block of blocks) {
    const lines = block.families[f] as MsLines | undefined;
    if (lines !== undefined) pos = writeSecondsLines(out, pos, lines.prefixes, lines.ms, nowMs, sign);
  }
  // A copy trims a stable part to its length: a view would keep the whole allocation alive.
  return { bytes: stable ? Buffer.from(out.subarray(0, pos)) : out.subarray(0, pos), stable };
}

/** Takes the time family's values from the records as they are now; true if any changed. */
function updateTimes(
  blocks: readonly Block[],
  f: number,
  msOf: (record: BackupRecord) => number | undefined,
  backups: readonly BackupRecord[],
  seen: readonly BackupRecord[],
): boolean {
  let changed = false;
  blocks.forEach((block, b) => {
    const lines = block.families[f] as MsLines | undefined;
    if (lines === undefined) return;
    const offset = b * BLOCK_SIZE;
    for (let i = 0; i < lines.rows.length; i++) {
      const record = backups[offset + lines.rows[i]!]!;
      if (record === seen[offset + lines.rows[i]!]) continue;
      // The revision guarantees a value; it is the same backup's, possibly from a later poll.
      const value = msOf(record)!;
      if (value !== lines.ms[i]) {
        lines.ms[i] = value;
        changed = true;
      }
    }
  });
  return changed;
}

function sameBlocks(a: readonly Block[], b: readonly Block[]): boolean {
  return a.length === b.length && a.every((block, i) => block === b[i]);
}

/** EM's name once known; until then the ID, so the series exists from the first poll on. */
export function backupName(record: BackupRecord): string {
  const name = record.metadata?.name;
  return name === undefined || name === '' ? record.backupId : name;
}

function infoLabels(record: BackupRecord): string {
  const m = record.metadata!;
  return formatLabels([
    ['em', record.em],
    ['backup_id', record.backupId],
    ['backup_name', backupName(record)],
    ['backup_server', m.backupServer],
    ['platform', m.platform],
    ['backup_type', m.backupType],
    ['repository', m.repository],
  ]);
}

function oldestPointMs(record: BackupRecord): number | undefined {
  return record.summary !== undefined && record.summary.count > 0 ? record.summary.oldestMs : undefined;
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
