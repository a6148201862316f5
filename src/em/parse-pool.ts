/**
 * Parsing large EM bodies off the event loop. One 24 MiB restore-point list takes a second or more
 * to parse; inline, that holds every health check, readiness probe and scrape of the process for as
 * long. Bodies from `POOL_MIN_BYTES` up go to a small pool of worker threads shared by every EM
 * client of the process; the buffer is transferred, not copied, and plain parsed data comes back.
 *
 * - The pool starts its workers on first use and ends them when the last client releases it
 *   (client.close(), at shutdown or reload). An idle worker does not keep the process alive; a busy
 *   one does, so a `--once` run waits for its parse.
 * - A worker idle for `idleMs` (1 s by default) is ended: its heap holds the garbage of the pages
 *   it parsed (tens of MB after a query-mode cycle) until it would parse again, usually at the next
 *   cycle minutes later; starting one again costs little next to the parsing of a cycle.
 * - A worker that dies fails the body it held as a parse failure; the next body gets a new worker.
 * - Without the built worker script (running from the TypeScript sources without a build), bodies
 *   are parsed inline.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ParseError } from './parse/parse-error.js';
import type { Parsed, ParserName } from './parse/parsers.js';

/** A smaller body parses inline in a few milliseconds, about what the round trip to a thread costs. */
export const POOL_MIN_BYTES = 256 * 1024;

export interface ParseJob {
  id: number;
  parser: ParserName;
  /** The body's bytes (UTF-8), transferred. */
  bytes: ArrayBuffer;
  contentType: string;
  /** Secrets to look for, escaped, in a body that fails to parse. */
  secrets: readonly string[];
}

export type ParseReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; template: string; escapedSecret: boolean };

/** `closed`: the pool was closed before the body was parsed (shutdown or reload), nothing is wrong with it. */
export type PoolOutcome<T> =
  { ok: true; value: T } | { ok: false; error: ParseError; escapedSecret: boolean; closed?: true };

export interface PoolOptions {
  /** Worker threads at most; by default one fewer than the cores, at least one and at most two. */
  size?: number;
  /** A worker idle this long is ended, and its memory returned; default 1,000 ms. */
  idleMs?: number;
}

const DEFAULT_IDLE_MS = 1_000;

interface Pending {
  job: ParseJob;
  resolve: (outcome: PoolOutcome<unknown>) => void;
}

class Slot {
  readonly worker: Worker;
  current: Pending | undefined;
  /** Ends the worker once it has been idle for the pool's idleMs. */
  retirement: NodeJS.Timeout | undefined;

  constructor(
    script: URL,
    onReply: (slot: Slot, reply: ParseReply) => void,
    onDeath: (slot: Slot, why: string) => void,
  ) {
    // No inherited execArgv: flags meant for the main script (--input-type, --eval) break a worker.
    // No heap limit of its own either: a lower one than the main thread's would refuse bodies that
    // parsed before (poll.maxResponseSize can be raised), and some out-of-memory paths end the process.
    this.worker = new Worker(script, { execArgv: [], stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on('message', (reply: ParseReply) => onReply(this, reply));
    this.worker.on('error', (err: Error) =>
      onDeath(this, `${(err as { code?: string }).code ?? err.name}: ${err.message}`),
    );
    this.worker.on('exit', (code) => onDeath(this, `exit code ${code}`));
  }

  run(pending: Pending): void {
    clearTimeout(this.retirement);
    this.current = pending;
    // Busy: keep the process alive until the answer is in.
    this.worker.ref();
    this.worker.postMessage(pending.job, [pending.job.bytes]);
  }

  idle(): void {
    this.current = undefined;
    this.worker.unref();
  }
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly size: number;
  private readonly idleMs: number;

  constructor(
    private readonly script: URL,
    options: PoolOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? Math.min(2, Math.max(1, availableParallelism() - 1)));
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  /** Worker threads running now (busy or idle). */
  get threads(): number {
    return this.slots.length;
  }

  /** Bodies being parsed now. */
  get busy(): number {
    return this.slots.filter((slot) => slot.current !== undefined).length;
  }

  /** Parses `bytes` with `parser` in a worker; `bytes` is unusable afterwards (its memory moved). */
  parse<N extends ParserName>(
    parser: N,
    bytes: Buffer,
    contentType: string,
    secrets: readonly string[],
  ): Promise<PoolOutcome<Parsed<N>>> {
    if (this.closed) return Promise.resolve(CLOSED);
    const job: ParseJob = { id: this.nextId++, parser, bytes: ownMemory(bytes), contentType, secrets: [...secrets] };
    return new Promise((resolve) => {
      this.queue.push({ job, resolve: resolve as (outcome: PoolOutcome<unknown>) => void });
      this.dispatch();
    });
  }

  /** Ends every worker; bodies still waiting or in work fail as unreadable. */
  close(): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve(CLOSED);
    for (const slot of this.slots.splice(0)) {
      clearTimeout(slot.retirement);
      slot.current?.resolve(CLOSED);
      slot.current = undefined;
      void slot.worker.terminate();
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === undefined);
      if (slot === undefined && this.slots.length < this.size) {
        slot = new Slot(
          this.script,
          (s, reply) => this.answered(s, reply),
          (s, why) => this.died(s, why),
        );
        this.slots.push(slot);
      }
      if (slot === undefined) return;
      slot.run(this.queue.shift()!);
    }
  }

  /** Ends the workers that are parsing now, as a crash would (for the tests of crash recovery). */
  crashBusyWorkersForTest(): void {
    for (const slot of this.slots) if (slot.current !== undefined) void slot.worker.terminate();
  }

  private answered(slot: Slot, reply: ParseReply): void {
    const pending = slot.current;
    if (pending?.job.id !== reply.id) return;
    slot.idle();
    pending.resolve(
      reply.ok
        ? { ok: true, value: reply.value }
        : { ok: false, error: new ParseError(reply.template), escapedSecret: reply.escapedSecret },
    );
    this.dispatch();
    if (slot.current === undefined) this.retireLater(slot);
  }

  /** Ends an idle worker after idleMs unless a body comes first (Slot.run cancels this). */
  private retireLater(slot: Slot): void {
    clearTimeout(slot.retirement);
    slot.retirement = setTimeout(() => {
      const at = this.slots.indexOf(slot);
      if (at < 0 || slot.current !== undefined) return;
      this.slots.splice(at, 1);
      void slot.worker.terminate();
    }, this.idleMs);
    slot.retirement.unref();
  }

  private died(slot: Slot, why: string): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return; // already replaced, or the pool closed
    this.slots.splice(at, 1);
    clearTimeout(slot.retirement);
    const pending = slot.current;
    slot.current = undefined;
    void slot.worker.terminate();
    pending?.resolve(failed(`the parser stopped while reading this answer (${why}); the next answer gets a new one`));
    this.dispatch();
  }
}

/**
 * The memory to transfer: the buffer's own when it spans all of it (got's large bodies do), else a
 * copy. A small Buffer is a slice of Node's shared pool, which must never be transferred away.
 */
function ownMemory(bytes: Buffer): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteLength > Buffer.poolSize
  )
    return bytes.buffer;
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

function failed(message: string): PoolOutcome<never> {
  return { ok: false, error: new ParseError(message), escapedSecret: false };
}

const CLOSED: PoolOutcome<never> = {
  ok: false,
  error: new ParseError('the parser pool is closed'),
  escapedSecret: false,
  closed: true,
};

/** The built worker next to this module (dist/em), or for the TypeScript sources the one in dist/. */
export function workerScript(): URL | undefined {
  const sibling = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/em/parse-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

let shared: ParsePool | undefined;
let users = 0;

/** The process's pool, started for the first client; undefined when no built worker exists. */
export function acquireParsePool(): ParsePool | undefined {
  const script = workerScript();
  if (script === undefined) return undefined;
  users++;
  shared ??= new ParsePool(script);
  return shared;
}

/** The last client to release the pool ends its workers. */
export function releaseParsePool(pool: ParsePool | undefined): void {
  if (pool === undefined || pool !== shared) return;
  users = Math.max(0, users - 1);
  if (users === 0) {
    shared.close();
    shared = undefined;
  }
}
