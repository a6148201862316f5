import { randomUUID } from 'node:crypto';

export interface SessionRecord {
  id: string;
  user: string;
  createdAt: number;
  endedBy?: 'logout' | 'expired';
}

interface Live {
  record: SessionRecord;
  token: string;
  lastSeen: number;
}

/**
 * Logon sessions with EM's sliding idle expiry. Expiry is evaluated lazily against the injected
 * clock, so tests move time instead of waiting.
 */
export class SessionStore {
  private readonly byToken = new Map<string, Live>();
  private readonly byId = new Map<string, Live>();
  private readonly history: SessionRecord[] = [];
  /** The most sessions open at the same moment so far. */
  private peak = 0;

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** The token is base64 of the session ID's text, as real 12.x servers hand out. */
  create(user: string): { id: string; token: string } {
    const id = this.newId();
    const token = Buffer.from(id, 'utf8').toString('base64');
    const t = this.now();
    const live: Live = { record: { id, user, createdAt: t }, token, lastSeen: t };
    this.byToken.set(token, live);
    this.byId.set(id, live);
    this.history.push(live.record);
    // Open sessions only grow here, so the peak is seen here; idle ones are swept first.
    this.sweep();
    this.peak = Math.max(this.peak, this.byId.size);
    return { id, token };
  }

  /** The most sessions that were open at the same moment since the store was created. */
  peakOpen(): number {
    return this.peak;
  }

  /** The open session for a token, its idle timer restarted; undefined when unknown, ended or idle too long. */
  use(token: string): SessionRecord | undefined {
    const live = this.byToken.get(token);
    if (live === undefined || this.expireIfIdle(live, this.now())) return undefined;
    live.lastSeen = this.now();
    return live.record;
  }

  /** An open session by ID, without touching its idle timer. */
  peek(id: string): SessionRecord | undefined {
    const live = this.byId.get(id);
    if (live === undefined || this.expireIfIdle(live, this.now())) return undefined;
    return live.record;
  }

  logout(id: string): boolean {
    const live = this.byId.get(id);
    if (live === undefined || this.expireIfIdle(live, this.now())) return false;
    this.end(live, 'logout');
    return true;
  }

  open(): SessionRecord[] {
    this.sweep();
    return [...this.byId.values()].map((l) => l.record);
  }

  all(): ReadonlyArray<SessionRecord> {
    this.sweep();
    return this.history.map((r) => ({ ...r }));
  }

  expireAll(): void {
    for (const live of [...this.byId.values()]) this.end(live, 'expired');
  }

  private sweep(): void {
    const t = this.now();
    for (const live of [...this.byId.values()]) this.expireIfIdle(live, t);
  }

  private expireIfIdle(live: Live, t: number): boolean {
    if (t - live.lastSeen < this.idleMs) return false;
    this.end(live, 'expired');
    return true;
  }

  private end(live: Live, by: 'logout' | 'expired'): void {
    live.record.endedBy = by;
    this.byToken.delete(live.token);
    this.byId.delete(live.record.id);
  }
}
