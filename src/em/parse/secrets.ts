/**
 * Finding and replacing secrets in EM's text. Pure, so the worker that parses large bodies can
 * judge a failed body the same way as the client does for small ones.
 */
import { decodeXmlReferences } from './document.js';

/** Every occurrence of every secret replaced by `[redacted]`, longest first (a secret holding another is not left half-replaced). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...asEchoed(secrets)].sort((a, b) => b.length - a.length))
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Each secret as EM's text may hold it: as sent, and without the white space at its ends, which
 * XML and JSON readers trim from values (a password " abc" echoed in a name reads "abc").
 */
function asEchoed(secrets: readonly string[]): Set<string> {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret !== '') forms.add(secret);
    const trimmed = secret.trim();
    if (trimmed !== '') forms.add(trimmed);
  }
  return forms;
}

/**
 * True when `text` holds a secret, also where EM escaped it for XML or JSON: text replacement
 * cannot remove it then, and a cut excerpt of it would no longer be recognised.
 */
export function holdsSecret(text: string, secrets: readonly string[]): boolean {
  const readings = [text, decodeXmlReferences(text), unescapeJson(text)];
  return [...asEchoed(secrets)].some((secret) => readings.some((reading) => reading.includes(secret)));
}

const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
const JSON_SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function unescapeJson(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(JSON_ESCAPE, (_, hex?: string, simple?: string) =>
    hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (JSON_SIMPLE_ESCAPES[simple ?? ''] ?? ''),
  );
}
