/**
 * A one-pass reader for the plain XML EM sends: elements, attributes and text, nothing else. It
 * checks well-formedness and builds the tree in the same pass, in exactly the shape the general
 * path (`well-formed.ts` + fast-xml-parser with the options in `document.ts`) gives, at a fraction
 * of its cost and garbage; test/em/parse-plain-xml.test.ts compares the two on every fixture and
 * on mutated bodies.
 *
 * It gives up (returns undefined) on anything outside that plain subset: comments, CDATA,
 * DOCTYPE and other `<!` markup, processing instructions after the declaration, text beside
 * child elements, carriage returns inside values, names it does not know to be safe, and any
 * malformation. The caller then takes the general path, which words every error and handles every
 * quirk as before, so giving up costs time only.
 */
export interface PlainXml {
  /** Root element name without namespace prefix. */
  rootName: string;
  root: unknown;
}

export interface PlainXmlOptions {
  /** Names that are always lists, even with one item (the parser's `isArray`). */
  listItems: ReadonlySet<string>;
  /**
   * An element name whose content is checked but not built: below the root it becomes its raw
   * inner text, as the general path's stop node does.
   */
  rawElement?: string;
  /** Turns entity and character references of text and attribute values into characters. */
  decode: (raw: string) => string;
}

type Node = Record<string, unknown>;

interface Frame {
  /** The name as written (with prefix), to match the closing tag. */
  tag: string;
  /** The name without prefix: the key in the parent. */
  key: string;
  /** Attributes and children; undefined while the element has neither. */
  node: Node | undefined;
  hasChildren: boolean;
  /** Offset just after the start tag's `>`: where the text of a leaf begins. */
  contentStart: number;
  /** Inside a raw element: checked, not built. */
  raw: boolean;
}

const SLASH = 0x2f;
const GT = 0x3e;
const EQ = 0x3d;
const QUOTE = 0x22;
const APOS = 0x27;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Letters, digits, `_ - . :`: every name EM uses; anything else is left to the general path. */
function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x2d ||
    c === 0x2e ||
    c === COLON
  );
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

/** The declaration as EM writes it; anything looser is left to the general path. */
const DECLARATION =
  /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][\w.-]*\2)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\3)?[ \t\n]*\?>/y;

/** Keys that would reach Object.prototype machinery; the general path refuses or handles them. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `ns:Name` -> `Name`; undefined for a name the general path treats specially (empty local part, more than one colon). */
function localName(name: string): string | undefined {
  const colon = name.indexOf(':');
  if (colon < 0) return UNSAFE_KEYS.has(name) ? undefined : name;
  if (colon === 0 || name.indexOf(':', colon + 1) >= 0) return undefined;
  const local = name.slice(colon + 1);
  return UNSAFE_KEYS.has(local) || !isNameStart(local.charCodeAt(0)) ? undefined : local;
}

/**
 * Keys by name as written, for the few names EM repeats in every item, so `@_Href` is not built
 * anew for each attribute. Bounded, so a body of ever new names cannot grow it.
 */
const elementKeys = new Map<string, string | null>();
const attributeKeys = new Map<string, string | null>();
const MAX_CACHED_NAMES = 512;

function cached(cache: Map<string, string | null>, name: string, make: (name: string) => string | null): string | null {
  let key = cache.get(name);
  if (key === undefined) {
    key = make(name);
    if (cache.size < MAX_CACHED_NAMES) cache.set(name, key);
  }
  return key;
}

const elementKey = (name: string): string | null => localName(name) ?? null;
/** `@_Name` for an attribute; '' for a namespace declaration, which the tree leaves out. */
const attributeKey = (name: string): string | null => {
  if (name === 'xmlns' || name.startsWith('xmlns:')) return '';
  const local = localName(name);
  return local === undefined ? null : `@_${local}`;
};

/** Only XML whitespace between `from` and `to`. */
function blank(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(text.charCodeAt(k))) return false;
  return true;
}

function addChild(parent: Node, key: string, value: unknown, listItems: ReadonlySet<string>): void {
  const existing = parent[key];
  if (existing === undefined) parent[key] = listItems.has(key) ? [value] : value;
  else if (Array.isArray(existing)) existing.push(value);
  else parent[key] = [existing, value];
}

/** The tree of a plain XML document, or undefined when it is not plain (see the file comment). */
export function readPlainXml(text: string, options: PlainXmlOptions): PlainXml | undefined {
  const { listItems, rawElement, decode } = options;
  const len = text.length;
  const stack: Frame[] = [];
  let result: PlainXml | undefined;
  let i = 0;
  while (i < len && isSpace(text.charCodeAt(i))) i++;
  // One XML declaration at the start; any other processing instruction is left to the general path.
  if (text.startsWith('<?', i)) {
    DECLARATION.lastIndex = i;
    if (!DECLARATION.test(text)) return undefined;
    i = DECLARATION.lastIndex;
  }
  // Where the text since the last tag began.
  let textStart = i;
  while (i < len) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    const top = stack[stack.length - 1];
    const c1 = text.charCodeAt(lt + 1);
    if (c1 === SLASH) {
      if (top === undefined || !text.startsWith(top.tag, lt + 2)) return undefined;
      let j = lt + 2 + top.tag.length;
      while (j < len && isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== GT) return undefined;
      stack.pop();
      const parent = stack[stack.length - 1];
      i = j + 1;
      if (top.raw && parent?.raw === true) {
        textStart = i;
        continue;
      }
      let value: unknown;
      if (top.raw) {
        value = text.slice(top.contentStart, lt);
        if ((value as string).includes('\r')) return undefined;
      } else if (top.hasChildren) {
        if (!blank(text, textStart, lt)) return undefined;
        value = top.node;
      } else {
        const leafText = text.slice(top.contentStart, lt).trim();
        if (leafText.includes('\r')) return undefined;
        const decoded = leafText === '' ? '' : decode(leafText);
        if (top.node === undefined) value = decoded;
        else {
          if (decoded !== '') top.node['#text'] = decoded;
          value = top.node;
        }
      }
      if (parent === undefined) result = { rootName: top.key, root: value };
      else addChild((parent.node ??= {}), top.key, value, listItems);
      textStart = i;
      continue;
    }
    // A start tag. `<!` (comment, CDATA, DOCTYPE) and `<?` are left to the general path, as is
    // text beside child elements or outside the root (inside a raw element any text may stand).
    if (!isNameStart(c1)) return undefined;
    if (
      top === undefined ? result !== undefined || !blank(text, textStart, lt) : !top.raw && !blank(text, textStart, lt)
    )
      return undefined;
    let j = lt + 1;
    while (j < len && isNameChar(text.charCodeAt(j))) j++;
    const tag = text.slice(lt + 1, j);
    const key = cached(elementKeys, tag, elementKey);
    if (key === null) return undefined;
    const raw = top?.raw === true || (key === rawElement && top !== undefined);
    let node: Node | undefined;
    let selfClosing = false;
    let attributes = 0;
    // Attribute values end before the next `<`: none may hold one.
    let nextLt = -1;
    for (;;) {
      const spaceStart = j;
      while (j < len && isSpace(text.charCodeAt(j))) j++;
      const c = text.charCodeAt(j);
      if (c === GT) break;
      if (c === SLASH) {
        if (text.charCodeAt(j + 1) !== GT) return undefined;
        selfClosing = true;
        j++;
        break;
      }
      if (j === spaceStart || !isNameStart(c)) return undefined;
      const nameStart = j;
      while (j < len && isNameChar(text.charCodeAt(j))) j++;
      const nameEnd = j;
      while (j < len && isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== EQ) return undefined;
      j++;
      while (j < len && isSpace(text.charCodeAt(j))) j++;
      const q = text.charCodeAt(j);
      if (q !== QUOTE && q !== APOS) return undefined;
      const close = text.indexOf(q === QUOTE ? '"' : "'", j + 1);
      if (close < 0) return undefined;
      if (nextLt < 0) nextLt = text.indexOf('<', j + 1) >>> 0;
      if (nextLt < close) return undefined;
      const valueStart = j + 1;
      j = close + 1;
      attributes++;
      if (raw) continue;
      const attrKey = cached(attributeKeys, text.slice(nameStart, nameEnd), attributeKey);
      if (attrKey === null) return undefined;
      if (attrKey === '') continue;
      const value = text.slice(valueStart, close);
      if (value.includes('\r')) return undefined;
      node ??= {};
      node[attrKey] = decode(value.trim());
    }
    if (j >= len) return undefined;
    // A raw element with attributes is rare enough to leave to the general path.
    if (raw && !top.raw && attributes > 0) return undefined;
    i = j + 1;
    textStart = i;
    if (top !== undefined) top.hasChildren = true;
    if (!selfClosing) {
      stack.push({ tag, key, node, hasChildren: false, contentStart: i, raw });
      continue;
    }
    if (top?.raw === true) continue;
    const value = raw ? '' : (node ?? '');
    if (top === undefined) result = { rootName: key, root: value };
    else addChild((top.node ??= {}), key, value, listItems);
  }
  if (stack.length > 0 || result === undefined || !blank(text, textStart, len)) return undefined;
  return result;
}
