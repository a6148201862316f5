import bcrypt from 'bcryptjs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from './secret.js';
import { bcryptCost } from './validate.js';

/** Checks a password against a bcrypt hash; injectable so tests can count how often bcrypt really runs. */
export type PasswordCompare = (password: string, hash: string) => Promise<boolean>;

/** bcryptjs 3 reads `$2y$` (htpasswd's prefix) as well as `$2a$`/`$2b$`; the tests pin that down. */
export const bcryptCompare: PasswordCompare = (password, hash) => bcrypt.compare(password, hash);

export interface Credentials {
  user: string;
  password: string;
}

/** Parses `Authorization: Basic base64(user:password)`; undefined for anything else. */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = header === undefined ? null : /^Basic[ \t]+([A-Za-z0-9+/=_-]+)[ \t]*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** At a few to 100 ms per bcrypt check, a queue this long answers within seconds. */
const MAX_QUEUED_COMPARES = 32;

/**
 * Basic auth against one set of bcrypt users. A config reload builds a new instance, which also empties
 * the cache, so a removed user or changed hash can never ride on an old cache entry.
 */
export class BasicAuthenticator {
  private readonly users: ReadonlyMap<string, Secret>;
  private readonly compare: PasswordCompare;
  /** Per user, an HMAC of (user, password, hash) that bcrypt verified; never the password itself. */
  private readonly verified = new Map<string, Buffer>();
  // A per-process key so a memory dump of the cache cannot be attacked with precomputed tables.
  private readonly cacheKey = randomBytes(32);
  private readonly dummyHash: string;
  // bcrypt is CPU-bound: one at a time keeps a flood of bad passwords from starving scrapes of the event loop.
  private queue: Promise<boolean> = Promise.resolve(false);
  /** Comparisons queued or running; past MAX_QUEUED_COMPARES a new one is denied unqueued. */
  private pending = 0;

  constructor(users: ReadonlyMap<string, Secret>, compare: PasswordCompare = bcryptCompare) {
    this.users = users;
    this.compare = compare;
    this.dummyHash = dummyHashFor(users);
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  async authorize(authorizationHeader: string | undefined): Promise<boolean> {
    if (!this.enabled) return true;
    const credentials = parseBasicAuthorization(authorizationHeader);
    if (!credentials) return false;
    const hash = this.users.get(credentials.user)?.reveal();
    const digest = this.digest(credentials, hash ?? this.dummyHash);
    const cached = hash === undefined ? undefined : this.verified.get(credentials.user);
    if (cached && timingSafeEqual(cached, digest)) return true;

    // Unknown users run bcrypt too, against a hash of the same cost, so response time does not reveal which users exist.
    const matches = await this.serialised(() => this.compare(credentials.password, hash ?? this.dummyHash));
    if (!matches || hash === undefined) return false;
    this.verified.set(credentials.user, digest);
    return true;
  }

  private digest(credentials: Credentials, hash: string): Buffer {
    const mac = createHmac('sha256', this.cacheKey);
    // Length-prefixed so ("ab", "c") and ("a", "bc") cannot collide.
    for (const part of [credentials.user, credentials.password, hash]) {
      const bytes = Buffer.from(part, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      mac.update(length).update(bytes);
    }
    return mac.digest();
  }

  private serialised(task: () => Promise<boolean>): Promise<boolean> {
    // A flood of bad passwords must not make every uncached request (a probe after a restart, a
    // scraper whose entry a reload dropped) wait behind it without bound: deny the surplus at once.
    if (this.pending >= MAX_QUEUED_COMPARES) return Promise.resolve(false);
    this.pending += 1;
    // A compare that throws (a hash bcryptjs dislikes) denies access rather than failing the request.
    const run = this.queue
      .then(task)
      .catch(() => false)
      .finally(() => {
        this.pending -= 1;
      });
    this.queue = run;
    return run;
  }
}

/** A well-formed hash no password matches, at the cost most users have, so a miss costs what a hit costs. */
function dummyHashFor(users: ReadonlyMap<string, Secret>): string {
  const counts = new Map<number, number>();
  for (const hash of users.values()) {
    const cost = bcryptCost(hash.reveal());
    if (cost !== undefined) counts.set(cost, (counts.get(cost) ?? 0) + 1);
  }
  let cost = 10;
  let best = 0;
  for (const [c, n] of counts) {
    if (n > best || (n === best && c > cost)) {
      cost = c;
      best = n;
    }
  }
  return `$2b$${String(cost).padStart(2, '0')}$${'.'.repeat(53)}`;
}
