/** EM sent something the exporter cannot read. The message says what, with at most a short excerpt. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
}

const EXCERPT_MAX = 100;

/**
 * A short, single-line excerpt of untrusted text for messages: bodies can be megabytes and can hold
 * control characters that would break log lines.
 */
export function excerpt(text: string, max = EXCERPT_MAX): string {
  const head = text.length > max * 2 ? text.slice(0, max * 2) : text;
  const flat = head.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max || text.length > head.length ? `${flat.slice(0, max)}…` : flat;
}
