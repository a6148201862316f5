/**
 * The secrets of one EM client that EM's text is scanned for: the credentials of the last logon
 * (handed over by the logon method, which alone knows what it sent) and the tokens and ids of the
 * sessions it opened. The finding and replacing itself is pure, in `parse/secrets.ts`.
 */
import { holdsSecret, redactSecrets } from './parse/secrets.js';
import type { Session } from './logon.js';

/** Tokens and ids remembered for redaction; a handful covers every session a process can still hear about. */
const REMEMBERED_SECRETS = 16;

export class SecretBook {
  /** Session tokens and ids, oldest first. */
  private readonly sessions: string[] = [];
  /** What the last logon sent (a password and its Authorization value, say), in case EM or a proxy echoes it. */
  private credentials: string[] = [];

  /** The credentials of the logon under way; they replace those of the previous logon. */
  useCredentials(credentials: readonly string[]): void {
    this.credentials = [...credentials];
  }

  rememberSession(session: Session): void {
    for (const secret of [session.token, session.id]) {
      if (secret && !this.sessions.includes(secret)) this.sessions.push(secret);
    }
    if (this.sessions.length > REMEMBERED_SECRETS) this.sessions.splice(0, this.sessions.length - REMEMBERED_SECRETS);
  }

  /**
   * Replaces the credentials and any remembered token or session id in free text that came from EM
   * (an error message, a body excerpt). Never pass text the exporter wrote itself: a short password
   * struck inside it ("unex[redacted]ected") would tell a reader what it is.
   */
  redact(text: string): string {
    return redactSecrets(text, this.all());
  }

  /** The credentials and the remembered tokens and ids, for scanning EM's text. */
  all(): string[] {
    return [...this.credentials, ...this.sessions];
  }

  /**
   * Replaces remembered session tokens and ids in a socket or transport error message. The
   * credentials travel only in a header that no such message quotes; session ids travel in logout
   * URLs. Tokens and ids are long random values, so this never strikes by chance inside Node's own
   * wording, which a short password could.
   */
  redactSessions(text: string): string {
    return redactSecrets(text, this.sessions);
  }

  /**
   * True when a body holds a secret, also where EM escaped it for XML or JSON: text replacement
   * cannot remove it then, and a cut excerpt of it would no longer be recognised.
   */
  holdsSecret(body: string): boolean {
    return holdsSecret(body, this.all());
  }
}
