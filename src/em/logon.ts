/**
 * The contract between the session lifecycle (`session.ts`) and a way of logging on to EM
 * (`basic-logon.ts` today). A second way of logging on is one more implementation of `LogonMethod`,
 * chosen where the client builds its `SessionKeeper`; the lifecycle does not change.
 */

/**
 * The header (and cookie) an EM logon session travels in, on every request after the logon. Node
 * keys incoming header objects in lower case: read it there with `SESSION_HEADER_KEY`.
 */
export const SESSION_HEADER = 'X-RestSvcSessionId';
/** `SESSION_HEADER` as Node keys it in header objects. */
export const SESSION_HEADER_KEY = SESSION_HEADER.toLowerCase();

export interface Session {
  readonly token: string;
  /** For the logout URL; undefined when EM named none (the session then idles out after 15 minutes). */
  readonly id: string | undefined;
}

export interface LogonMethod {
  /** The account that logs on, for log lines and the advice in `auth` errors. */
  readonly user: string;
  /**
   * Opens one session; no retry pause, single flight or logout here (that is the lifecycle's).
   * Before sending anything, hands every credential it is about to send to the `SecretBook` it was
   * given, so EM's answer (or a proxy's) is scanned for them. Throws `EmError`s for the whole EM (no
   * backup): the lifecycle hands each request that waited for the logon the failure for its own target.
   */
  logon(): Promise<Session>;
}
