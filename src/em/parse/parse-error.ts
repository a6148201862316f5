/**
 * EM sent something the exporter cannot read. The message says what, with at most short quotes of
 * EM's text. Each quote is kept whole (up to a bound) beside the message, so that a caller who
 * knows secrets can clean EM's text before it is cut (`cleaned`), without ever scanning the
 * parser's own wording: a short password struck inside "unexpected" would show what it is.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  /** The message with EM's text still marked as quotes; a ParseError rebuilt from it is the same error (it crosses threads this way). */
  readonly template: string;

  /** `message` holds EM's text only through `quote()`. */
  constructor(message: string) {
    super(render(message, (text) => text));
    this.template = message;
  }

  /** The message with `clean` applied to each quote of EM's text before it is shortened. */
  cleaned(clean: (text: string) => string): string {
    return render(this.template, clean);
  }
}

const EXCERPT_MAX = 100;

/**
 * A short, single-line excerpt of untrusted text for messages: bodies can be megabytes and can hold
 * control characters that would break log lines.
 */
export function excerpt(text: string, max = EXCERPT_MAX): string {
  const head = text.length > max * 2 ? text.slice(0, max * 2) : text;
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const flat = head.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max || text.length > head.length ? `${flat.slice(0, max)}…` : flat;
}

// Private-use characters delimit a quote inside a ParseError's template; EM's own are replaced.
const OPEN = '\uE000';
const SIZE_END = '\uE001';
const CLOSE = '\uE002';
const MARKERS = /[\uE000-\uE002]/g;
const QUOTE = /\uE000(\d+)\uE001([^\uE000-\uE002]*)\uE002/g;
/** How much of a quote is kept past the cut, so a secret straddling the cut is still recognised. */
const QUOTE_SLACK = 4096;

/** EM's text inside a ParseError message: shortened like `excerpt`, after any cleaning. */
export function quote(text: string, max = EXCERPT_MAX): string {
  const kept = text.length > max * 2 + QUOTE_SLACK ? text.slice(0, max * 2 + QUOTE_SLACK) : text;
  return `${OPEN}${max}${SIZE_END}${kept.replace(MARKERS, '\uFFFD')}${CLOSE}`;
}

function render(template: string, clean: (text: string) => string): string {
  return template.replace(QUOTE, (_, max: string, text: string) => excerpt(clean(text), Number(max)));
}
