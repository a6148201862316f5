import { unwatchFile, watchFile, type Stats } from 'node:fs';

/**
 * Polls a changing set of files with fs.watchFile. Polling, unlike fs.watch, keeps working across atomic
 * renames, editors that replace files, and the symlink swaps Kubernetes uses to update mounted secrets.
 */
export class FileWatchSet {
  private readonly listeners = new Map<string, (curr: Stats, prev: Stats) => void>();

  constructor(
    private readonly intervalMs: number,
    private readonly onChange: (file: string) => void,
  ) {}

  /** Watch exactly these files from now on. */
  update(files: Iterable<string>): void {
    const wanted = new Set(files);
    for (const [file, listener] of this.listeners) {
      if (!wanted.has(file)) {
        unwatchFile(file, listener);
        this.listeners.delete(file);
      }
    }
    for (const file of wanted) {
      if (this.listeners.has(file)) continue;
      const listener = (curr: Stats, prev: Stats): void => {
        // ctime and inode catch a replacement that kept the old mtime (cp -p, tar, rename of an older file).
        if (
          curr.mtimeMs !== prev.mtimeMs ||
          curr.ctimeMs !== prev.ctimeMs ||
          curr.ino !== prev.ino ||
          curr.size !== prev.size
        ) {
          this.onChange(file);
        }
      };
      // Not persistent: watching must never be what keeps the process alive.
      watchFile(file, { interval: this.intervalMs, persistent: false }, listener);
      this.listeners.set(file, listener);
    }
  }

  close(): void {
    this.update([]);
  }
}
