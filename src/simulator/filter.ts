/**
 * The query service's `filter` language: `<field><op><value>` comparisons joined by `;` (AND) and
 * `,` (OR), grouped with parentheses. As in FIQL, AND binds tighter than OR, so `a;b,c` is
 * `(a;b),c`. String values may be double-quoted; a quote inside is doubled (`"say ""hi"""`).
 */

export type FilterOp = '==' | '!=' | '>=' | '<=' | '>' | '<';

export type FilterNode =
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'cmp'; field: string; op: FilterOp; value: string };

/** A filter EM would refuse with 400; the message says where it went wrong. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}

/** Nesting deeper than this is refused, so a hostile filter cannot exhaust the stack. */
const MAX_DEPTH = 64;
const OPS: readonly FilterOp[] = ['==', '!=', '>=', '<=', '>', '<'];
const FIELD = /[A-Za-z_][A-Za-z0-9_]*/y;

export function parseFilter(text: string): FilterNode {
  const parser = new Parser(text);
  const node = parser.or(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail(`unexpected "${text[parser.pos]}"`);
  return node;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(problem: string): never {
    throw new FilterError(`Invalid filter at position ${this.pos + 1}: ${problem}.`);
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private eat(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  or(depth: number): FilterNode {
    const items = [this.and(depth)];
    while (this.eat(',')) items.push(this.and(depth));
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(depth: number): FilterNode {
    const items = [this.primary(depth)];
    while (this.eat(';')) items.push(this.primary(depth));
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private primary(depth: number): FilterNode {
    if (this.eat('(')) {
      if (depth >= MAX_DEPTH) this.fail('too deeply nested');
      const inner = this.or(depth + 1);
      if (!this.eat(')')) this.fail('missing ")"');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    this.skipSpace();
    FIELD.lastIndex = this.pos;
    const field = FIELD.exec(this.text)?.[0];
    if (field === undefined)
      this.fail(this.atEnd() ? 'a field name is missing' : `expected a field name, found "${this.text[this.pos]}"`);
    this.pos += field.length;
    this.skipSpace();
    const op = OPS.find((candidate) => this.text.startsWith(candidate, this.pos));
    if (op === undefined) this.fail(`expected one of ${OPS.join(' ')} after ${field}`);
    this.pos += op.length;
    return { kind: 'cmp', field, op, value: this.value() };
  }

  private value(): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') {
      let out = '';
      this.pos++;
      for (;;) {
        const quote = this.text.indexOf('"', this.pos);
        if (quote < 0) this.fail('unterminated quoted value');
        out += this.text.slice(this.pos, quote);
        this.pos = quote + 1;
        if (this.text[this.pos] !== '"') return out;
        out += '"';
        this.pos++;
      }
    }
    const start = this.pos;
    while (!this.atEnd() && !',;()'.includes(this.text[this.pos]!)) this.pos++;
    const raw = this.text.slice(start, this.pos).trim();
    if (raw === '') this.fail('a value is missing');
    return raw;
  }
}

/** What a field of a record holds: text (compared case-insensitively, as EM's SQL collation does) or a time. */
export type FieldValue = { kind: 'text'; value: string } | { kind: 'time'; ms: number };

/** The fields one query type can filter and sort on; undefined for a field the type does not have. */
export type FieldReader<T> = (record: T, field: string) => FieldValue | undefined;

/** Throws FilterError for a field the type lacks or a time that is not ISO 8601, before any record is read. */
export function checkFilter(node: FilterNode, kinds: (field: string) => FieldValue['kind'] | undefined): void {
  if (node.kind !== 'cmp') {
    for (const item of node.items) checkFilter(item, kinds);
    return;
  }
  const kind = kinds(node.field);
  if (kind === undefined) throw new FilterError(`Field [${node.field}] is not supported in this query.`);
  if (kind === 'time' && parseUtc(node.value) === undefined) {
    throw new FilterError(`Value [${node.value}] of field [${node.field}] is not a valid date and time.`);
  }
}

export function matches<T>(node: FilterNode, record: T, read: FieldReader<T>): boolean {
  switch (node.kind) {
    case 'or':
      return node.items.some((item) => matches(item, record, read));
    case 'and':
      return node.items.every((item) => matches(item, record, read));
    case 'cmp': {
      const actual = read(record, node.field);
      if (actual === undefined) return false;
      const order =
        actual.kind === 'time'
          ? Math.sign(actual.ms - (parseUtc(node.value) ?? NaN))
          : compareText(actual.value, node.value);
      if (Number.isNaN(order)) return false;
      return holds(node.op, order);
    }
  }
}

function holds(op: FilterOp, order: number): boolean {
  switch (op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    case '>=':
      return order >= 0;
    case '<=':
      return order <= 0;
  }
}

export function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y ? 0 : x < y ? -1 : 1;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*([Zz]|[+-]\d{2}:?\d{2})?$/;

/** ISO 8601 date or date-time; a value without a zone is UTC, as the docs demand of filter values. */
export function parseUtc(text: string): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const base = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(frac.slice(0, 3).padEnd(3, '0')),
  );
  if (Number.isNaN(base)) return undefined;
  if (zone === undefined || zone.toUpperCase() === 'Z') return base;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return base - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}
