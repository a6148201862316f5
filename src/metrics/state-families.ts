import type { BackupRecord, EmRecord } from './types.js';
import type { HelpTexts } from './help.js';
import { MAX_SAMPLE_LINE_TAIL, TextBuilder, bytesPart, familyHeader, formatLabels, formatSampleValue, joinParts, writeSeconds, type ExpositionPart } from './exposition.js';

export interface StateSnapshot {
  backups: readonly BackupRecord[];
  ems: readonly EmRecord[];
  /** Scrape time, Unix ms: ages are measured against it. */
  nowMs: number;
}

type Sample = (record: BackupRecord) => number | undefined;

const newestMs = (r: BackupRecord) => (r.summary !== undefined && r.summary.count > 0 ? r.summary.newestMs : undefined);

/** Each per-backup family with the value it takes from a record; undefined = no series. */
function backupFamilies(nowMs: number, help: HelpTexts): Array<{ name: string; help: string; sample: Sample }> {
  const oldestMs = (r: BackupRecord) => (r.summary !== undefined && r.summary.count > 0 ? r.summary.oldestMs : undefined);
  return [
    { name: 'veeam_em_backup_restore_points', help: help.restorePoints, sample: (r) => r.summary?.count },
    { name: 'veeam_em_backup_newest_restore_point_timestamp_seconds', help: help.newestTimestamp, sample: (r) => seconds(newestMs(r)) },
    {
      name: 'veeam_em_backup_newest_restore_point_age_seconds',
      help: help.newestAge,
      // A point in the future is clock skew between EM and us, not negative staleness.
      sample: (r) => {
        const newest = newestMs(r);
        return newest === undefined ? undefined : Math.max(0, (nowMs - newest) / 1000);
      },
    },
    { name: 'veeam_em_backup_oldest_restore_point_timestamp_seconds', help: help.oldestTimestamp, sample: (r) => seconds(oldestMs(r)) },
    { name: 'veeam_em_backup_rpo_seconds', help: help.rpo, sample: (r) => r.rpoSeconds },
    { name: 'veeam_em_backup_poll_success', help: help.pollSuccess, sample: (r) => (r.lastPoll === undefined ? undefined : r.lastPoll.ok ? 1 : 0) },
    { name: 'veeam_em_backup_last_success_timestamp_seconds', help: help.lastSuccessTimestamp, sample: (r) => seconds(r.lastSuccessMs) },
  ];
}

function emFamilies(help: HelpTexts): Array<{ name: string; help: string; sample: (em: EmRecord) => number | undefined }> {
  return [
    { name: 'veeam_em_up', help: help.up, sample: (em) => (em.up === undefined ? undefined : em.up ? 1 : 0) },
    { name: 'veeam_em_last_poll_timestamp_seconds', help: help.lastPollTimestamp, sample: (em) => seconds(em.lastCycleEndMs) },
    { name: 'veeam_em_poll_duration_seconds', help: help.pollDuration, sample: (em) => (em.up === undefined ? undefined : em.lastCycleSeconds) },
  ];
}

/** Records per block: a poll that changes one backup re-renders its block, not the whole exposition. */
const BLOCK_SIZE = 500;
/** The one family whose values change with the clock rather than with the state. */
const AGE_FAMILY = 'veeam_em_backup_newest_restore_point_age_seconds';

interface Block {
  records: readonly BackupRecord[];
  /** Escaped label set of each record, shared by its seven families. */
  labels: string[];
  /** Lines of each backup family (undefined for the age family, which is never cached), then of the info family. */
  parts: Array<ExpositionPart | undefined>;
  /** What the age lines need, for the records that have a newest restore point. */
  age: AgeTemplate;
}

/** `name{labels} ` of each age line, end to end as UTF-8, and the times the ages count from. */
interface AgeTemplate {
  prefixes: Buffer;
  /** End offset of each prefix in `prefixes`. */
  ends: Uint32Array;
  newestMs: Float64Array;
}

export type StateRenderer = (snapshot: StateSnapshot, help: HelpTexts) => ExpositionPart[];

/**
 * Renders the per-backup and per-EM gauges from the state as it is at scrape time. Records are
 * replaced, never mutated, so a block of records that are all the same objects as at the last
 * render yields the same text: its parts are reused (stable), and a server may keep their encoded
 * bytes. Only the age family and the per-EM gauges are rendered afresh at every scrape.
 */
export function createStateRenderer(): StateRenderer {
  let blocks: Block[] = [];
  let cachedHelp: HelpTexts | undefined;
  let headers: ExpositionPart[] = [];

  return ({ backups, ems, nowMs }, help) => {
    const families = backupFamilies(nowMs, help);
    if (help !== cachedHelp) {
      cachedHelp = help;
      blocks = [];
      headers = [...families.map((f) => stable(familyHeader(f.name, 'gauge', f.help))), stable(familyHeader('veeam_em_backup_info', 'gauge', help.info))];
    }
    const next: Block[] = [];
    for (let start = 0; start < backups.length; start += BLOCK_SIZE) {
      const end = Math.min(start + BLOCK_SIZE, backups.length);
      const previous = blocks[next.length];
      next.push(previous !== undefined && sameRecords(previous.records, backups, start, end) ? previous : renderBlock(backups.slice(start, end), families));
    }
    blocks = next;

    const parts: ExpositionPart[] = [];
    families.forEach((family, f) => {
      parts.push(headers[f]!);
      if (family.name === AGE_FAMILY) {
        parts.push(renderAges(blocks, nowMs));
      } else {
        for (const block of blocks) if (block.parts[f] !== undefined) parts.push(block.parts[f]);
      }
    });
    parts.push(headers[families.length]!);
    for (const block of blocks) if (block.parts[families.length] !== undefined) parts.push(block.parts[families.length]!);

    const text = new TextBuilder();
    for (const family of emFamilies(help)) {
      text.add(familyHeader(family.name, 'gauge', family.help));
      for (const em of ems) {
        const value = family.sample(em);
        if (value !== undefined) text.add(`${family.name}${formatLabels([['em', em.name]])} ${formatSampleValue(value)}\n`);
      }
    }
    parts.push({ text: text.toString(), stable: false });
    return parts;
  };
}

/** The per-backup and per-EM gauges as one text (no caching). */
export function renderStateFamilies(snapshot: StateSnapshot, help: HelpTexts): string {
  return joinParts(createStateRenderer()(snapshot, help));
}

function stable(text: string): ExpositionPart {
  return { text, stable: true };
}

function sameRecords(cached: readonly BackupRecord[], all: readonly BackupRecord[], start: number, end: number): boolean {
  if (cached.length !== end - start) return false;
  for (let i = start; i < end; i++) if (cached[i - start] !== all[i]) return false;
  return true;
}

function addSamples(text: TextBuilder, family: { name: string; sample: Sample }, records: readonly BackupRecord[], labels: readonly string[]): void {
  for (let i = 0; i < records.length; i++) {
    const value = family.sample(records[i]!);
    if (value !== undefined) text.add(`${family.name}${labels[i]!} ${formatSampleValue(value)}\n`);
  }
}

function renderBlock(records: readonly BackupRecord[], families: ReadonlyArray<{ name: string; sample: Sample }>): Block {
  const labels = records.map((r) => formatLabels([['em', r.em], ['backup_id', r.backupId], ['backup_name', backupName(r)]]));
  const parts: Array<ExpositionPart | undefined> = families.map((family) => {
    if (family.name === AGE_FAMILY) return undefined;
    const text = new TextBuilder();
    addSamples(text, family, records, labels);
    const s = text.toString();
    return s === '' ? undefined : stable(s);
  });
  const age = ageTemplate(records, labels);
  const info = new TextBuilder();
  for (const record of records) {
    if (record.metadata !== undefined) info.add(`veeam_em_backup_info${infoLabels(record)} 1\n`);
  }
  const infoText = info.toString();
  parts.push(infoText === '' ? undefined : stable(infoText));
  return { records, labels, parts, age };
}

function ageTemplate(records: readonly BackupRecord[], labels: readonly string[]): AgeTemplate {
  const prefixes: string[] = [];
  const newest: number[] = [];
  records.forEach((record, i) => {
    const ms = newestMs(record);
    if (ms === undefined) return;
    prefixes.push(`${AGE_FAMILY}${labels[i]!} `);
    newest.push(ms);
  });
  const ends = new Uint32Array(prefixes.length);
  let end = 0;
  prefixes.forEach((prefix, i) => (ends[i] = end += Buffer.byteLength(prefix)));
  return { prefixes: Buffer.from(prefixes.join(''), 'utf8'), ends, newestMs: Float64Array.from(newest) };
}

/**
 * The age family's lines, written as bytes: ten thousand of them are rendered at every scrape, and
 * copying cached prefixes and writing digits is several times faster than building the text.
 */
function renderAges(blocks: readonly Block[], nowMs: number): ExpositionPart {
  let size = 0;
  for (const { age } of blocks) size += age.prefixes.length + age.newestMs.length * MAX_SAMPLE_LINE_TAIL;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const { age } of blocks) {
    let start = 0;
    for (let i = 0; i < age.newestMs.length; i++) {
      const end = age.ends[i]!;
      pos += age.prefixes.copy(out, pos, start, end);
      start = end;
      pos = writeSeconds(out, pos, nowMs - age.newestMs[i]!);
      out[pos++] = 0x0a;
    }
  }
  return bytesPart(out.subarray(0, pos));
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

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
