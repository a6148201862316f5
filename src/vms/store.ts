import type { VmSeries } from './tracker.js';

export interface VmRead {
  ok: boolean;
  kind: 'full' | 'since';
  atMs: number;
  /** Operator-facing message of a failed read; never holds secrets. */
  message?: string;
}

/** What per-machine freshness knows about one EM. Replaced, never mutated, so a reader sees one consistent cycle. */
export interface VmEmRecord {
  readonly em: string;
  /** Undefined until the first successful read. */
  readonly series?: readonly VmSeries[];
  readonly dropped: number;
  readonly lastRead?: VmRead;
}

/** Per-machine freshness between polls. Writer: polling. Readers: metrics and the status page. */
export class VmStore {
  private records = new Map<string, VmEmRecord>();

  /** An EM with `vms` configured: it exports the dropped gauge from now on. */
  enable(em: string): void {
    if (!this.records.has(em)) this.records.set(em, { em, dropped: 0 });
  }

  /** `vms` removed from the EM, or the EM left the config: every series of it vanishes. */
  forget(em: string): void {
    this.records.delete(em);
  }

  recordSuccess(em: string, series: readonly VmSeries[], dropped: number, read: VmRead): void {
    if (!this.records.has(em)) return;
    this.records.set(em, { em, series: series.map((s) => ({ ...s })), dropped, lastRead: { ...read } });
  }

  /** A new selection (reload of include, exclude or limit) of what the last reads found. */
  reselect(em: string, series: readonly VmSeries[], dropped: number): void {
    const record = this.records.get(em);
    if (record !== undefined) this.records.set(em, { ...record, series: series.map((s) => ({ ...s })), dropped });
  }

  /** Series and counts stay: the last values are still what EM told us. */
  recordFailure(em: string, read: VmRead): void {
    const record = this.records.get(em);
    if (record !== undefined) this.records.set(em, { ...record, lastRead: { ...read } });
  }

  ems(): readonly VmEmRecord[] {
    return [...this.records.values()];
  }
}
