import { field, isObject, links, readDocument, text } from './document.js';
import { ParseError } from './parse-error.js';

export interface LogonSessionInfo {
  /** The id for `DELETE /api/logonSessions/{id}`; undefined when the body names none. */
  sessionId: string | undefined;
}

const LAST_SEGMENT = /\/logonSessions\/([^/?#]+)/i;

/**
 * The logon-session id from the `LogonSession` body: `SessionId`, else the `Delete` link, else the
 * entity's own `Href`. Only the id is taken from links, never the host: the logout goes to the
 * configured URL, so the session header never travels to a host EM merely names.
 */
export function parseLogonSession(body: string, contentType: string): LogonSessionInfo {
  const doc = readDocument(body, contentType);
  if (doc.format === 'xml' && doc.rootName !== 'LogonSession') {
    throw new ParseError(`unexpected XML root <${doc.rootName ?? ''}> (expected LogonSession)`);
  }
  if (!isObject(doc.root)) throw new ParseError('LogonSession body is not an object');
  const direct = text(field(doc.root, 'SessionId'))?.trim();
  if (direct) return { sessionId: direct };
  const hrefs = [
    ...links(doc.root)
      .filter((l) => l.rel.toLowerCase() === 'delete')
      .map((l) => l.href),
    text(field(doc.root, 'Href')) ?? '',
  ];
  for (const href of hrefs) {
    const id = LAST_SEGMENT.exec(href)?.[1];
    if (id) return { sessionId: safeDecode(id) };
  }
  return { sessionId: undefined };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Seen in the wild: the token is base64 of the session GUID. Used only when the body names no id. */
export function sessionIdFromToken(token: string): string | undefined {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  return GUID.test(decoded) ? decoded : undefined;
}
