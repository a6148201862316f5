import { compileNamePattern, type NamePattern } from '../config/name-pattern.js';
import type { BackupTargetConfig, DiscoverConfig } from '../config/types.js';
import type { BackupMetadata } from '../domain.js';
import type { EmError } from '../em/errors.js';
import type { EmClient, TaskRunner } from '../em/types.js';
import { reachedEm, toFailure } from './failure.js';

/** A backup discovery chose to poll, with what its listing said about it. */
export interface DiscoveredBackup {
  id: string;
  rpoSeconds: number;
  metadata: BackupMetadata;
}

export interface NameFilter {
  include: NamePattern;
  exclude: NamePattern | undefined;
}

export function compileFilter(settings: DiscoverConfig): NameFilter {
  return {
    include: compileNamePattern(settings.include),
    exclude: settings.exclude === undefined ? undefined : compileNamePattern(settings.exclude),
  };
}

const isParent = (b: BackupMetadata): boolean => b.backupType.toLowerCase() === 'parentbackup';

/**
 * Which backups of a listing discovery polls. Pure. A backup EM lists is polled when its name
 * matches `include` and not `exclude`. A ParentBackup has no restore points of its own: it stands
 * for its children (`children` by parent ID, as far as they are known), each of which is polled
 * when its own name or its parent's matches `include` and neither matches `exclude`. Every ID once,
 * in listing order.
 */
export function selectBackups(
  listing: readonly BackupMetadata[],
  children: ReadonlyMap<string, readonly BackupMetadata[]>,
  filter: NameFilter,
): BackupMetadata[] {
  const excluded = (name: string): boolean => filter.exclude?.test(name) === true;
  const chosen = new Map<string, BackupMetadata>();
  for (const backup of listing) {
    if (excluded(backup.name)) continue;
    if (!isParent(backup)) {
      if (filter.include.test(backup.name) && !chosen.has(backup.id)) chosen.set(backup.id, backup);
      continue;
    }
    const parentIncluded = filter.include.test(backup.name);
    for (const child of children.get(backup.id) ?? []) {
      if (isParent(child) || chosen.has(child.id) || excluded(child.name)) continue;
      if (parentIncluded || filter.include.test(child.name)) chosen.set(child.id, child);
    }
  }
  return [...chosen.values()];
}

/** The parents whose children can matter: every ParentBackup the filter does not exclude by its own name. */
export function parentsToExpand(listing: readonly BackupMetadata[], filter: NameFilter): BackupMetadata[] {
  return listing.filter((b) => isParent(b) && filter.exclude?.test(b.name) !== true);
}

/**
 * The backups an EM polls: the configured ones, then the discovered ones not configured. A backup
 * in both keeps its configured RPO. Pure.
 */
export function mergeTargets(
  configured: readonly BackupTargetConfig[],
  discovered: readonly DiscoveredBackup[],
): BackupTargetConfig[] {
  const ids = new Set(configured.map((b) => b.id));
  return [
    ...configured,
    ...discovered.filter((d) => !ids.has(d.id)).map((d) => ({ id: d.id, rpoSeconds: d.rpoSeconds })),
  ];
}

export interface DiscoveryOutcome {
  /** Every backup a listing answered with this time (children included): fresh metadata, and proof each exists. */
  listed: BackupMetadata[];
  /** One per listing request that failed; the backups it would have told about keep what was known. */
  failures: EmError[];
  /** Some listing request was answered by EM. */
  answered: boolean;
  /** The discovered set (IDs or RPOs) differs from before. */
  changed: boolean;
}

/**
 * Discovery of one EM: the last listing EM answered, re-read every `metadataRefresh`, and the
 * backups chosen from it. A listing that fails keeps what the previous one told (an EM hiccup must
 * not drop every series), and discovery is retried at the next cycle instead of after a whole
 * refresh interval.
 */
export class BackupDiscovery {
  private settings: DiscoverConfig;
  private filter: NameFilter;
  private listing: BackupMetadata[] = [];
  private readonly children = new Map<string, BackupMetadata[]>();
  private chosen: DiscoveredBackup[] = [];
  private completedAt: number | undefined;

  constructor(
    private readonly em: string,
    settings: DiscoverConfig,
  ) {
    this.settings = settings;
    this.filter = compileFilter(settings);
  }

  discovered(): readonly DiscoveredBackup[] {
    return this.chosen;
  }

  /** Due at first, every `refreshMs` after a complete listing, and at every cycle after a failed one. */
  isDue(now: number, refreshMs: number): boolean {
    return this.completedAt === undefined || now - this.completedAt >= refreshMs;
  }

  /**
   * New settings from a reload: the known listing is filtered again at once (so series follow the
   * new filter without waiting), and EM is listed again at the next cycle. True when the set changed.
   */
  update(settings: DiscoverConfig): boolean {
    if (JSON.stringify(settings) === JSON.stringify(this.settings)) return false;
    this.settings = settings;
    this.filter = compileFilter(settings);
    this.completedAt = undefined;
    return this.choose();
  }

  async refresh(client: EmClient, run: TaskRunner, now: number): Promise<DiscoveryOutcome> {
    let listing: BackupMetadata[];
    try {
      // The client runs its requests through `run` itself: a listing read in pages takes several.
      listing = await client.listBackups(run);
    } catch (error) {
      this.completedAt = undefined;
      const failure = toFailure(error, { em: this.em });
      return { listed: [], failures: [failure], answered: reachedEm(failure), changed: false };
    }
    const failures: EmError[] = [];
    const listed = [...listing];
    const parents = parentsToExpand(listing, this.filter);
    const wanted = new Set(parents.map((p) => p.id));
    for (const id of this.children.keys()) if (!wanted.has(id)) this.children.delete(id);
    await Promise.all(
      parents.map(async (parent) => {
        try {
          const children = await run(() => client.listChildBackups(parent.id));
          this.children.set(parent.id, children);
          listed.push(...children);
        } catch (error) {
          // The children known from before stay; a parent EM no longer knows goes with the next listing.
          failures.push(toFailure(error, { em: this.em, backupId: parent.id }));
        }
      }),
    );
    this.listing = listing;
    this.completedAt = failures.length === 0 ? now : undefined;
    return { listed, failures, answered: true, changed: this.choose() };
  }

  private choose(): boolean {
    const before = this.chosen;
    this.chosen = selectBackups(this.listing, this.children, this.filter).map((metadata) => ({
      id: metadata.id,
      rpoSeconds: this.settings.rpoSeconds,
      metadata,
    }));
    return (
      before.length !== this.chosen.length ||
      before.some((b, i) => b.id !== this.chosen[i]?.id || b.rpoSeconds !== this.chosen[i].rpoSeconds)
    );
  }
}
