/**
 * Whether an Enterprise Manager is answering at all, from the HTTP exchanges of its client: any
 * status code is an answer; a timeout or a refused connection is not. A cycle uses it to show EM
 * down within one request timeout of its silence, not only when the cycle ends.
 */
export class EmLiveness {
  private lastAnswerMs: number | undefined;
  private waitingSinceMs: number | undefined;

  constructor(
    /** How long EM may leave a request unanswered: `poll.timeout`. */
    readonly silenceMs: number,
    /** Monotonic milliseconds: silence is real elapsed time, whatever clock the gauges use. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** EM answered a request (any HTTP status). */
  answered(): void {
    this.lastAnswerMs = this.now();
  }

  /** A cycle starts waiting for EM now: silence is measured from here or from the last answer, whichever is later. */
  waiting(): void {
    this.waitingSinceMs = this.now();
  }

  /** Done waiting (the cycle ended): no silence until the next cycle waits again. */
  idle(): void {
    this.waitingSinceMs = undefined;
  }

  /** EM has not answered anything for `silenceMs` while a cycle was waiting for it. */
  silent(): boolean {
    if (this.waitingSinceMs === undefined) return false;
    const since = Math.max(this.waitingSinceMs, this.lastAnswerMs ?? -Infinity);
    return this.now() - since >= this.silenceMs;
  }
}
