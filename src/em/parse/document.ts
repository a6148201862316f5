/**
 * Turns an EM body (XML or JSON) into one plain tree that the readers walk the same way:
 * XML attributes become `@_Name` keys, JSON keys keep their case, and `field()` looks names up
 * case-insensitively with or without the attribute prefix, which covers EM 12 PascalCase,
 * EM 13 camelCase and XML alike.
 */
import { XMLParser } from 'fast-xml-parser';
import { ParseError, quote } from './parse-error.js';
import { readPlainXml, type PlainXmlOptions } from './plain-xml.js';
import { xmlProblem } from './well-formed.js';

export type BodyFormat = 'xml' | 'json';

export interface EmDocument {
  format: BodyFormat;
  /** XML root element name without namespace prefix; undefined for JSON, whose root has no name. */
  rootName: string | undefined;
  root: unknown;
}

/** Decide XML or JSON from the Content-Type, sniffing only when EM sent none. */
export function bodyFormat(body: string, contentType: string): BodyFormat {
  const ct = contentType.toLowerCase();
  if (ct.includes('json')) return 'json';
  if (ct.includes('xml')) return 'xml';
  if (ct.trim() === '') {
    const first = body.trimStart()[0];
    if (first === '<') return 'xml';
    if (first === '{' || first === '[' || first === 'n') return 'json';
  }
  throw new ParseError(`unexpected content type "${quote(contentType, 60)}" (expected XML or JSON)`);
}

export interface ReadOptions {
  /** Leave `<Links>` unparsed: restore-point lists do not need them and parse 2-3x faster without. */
  skipLinks?: boolean;
}

export function readDocument(body: string, contentType: string, options: ReadOptions = {}): EmDocument {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') throw new ParseError('empty body');
  const format = bodyFormat(text, contentType);
  return format === 'json' ? readJson(text) : readXml(text, options);
}

function readJson(text: string): EmDocument {
  try {
    return { format: 'json', rootName: undefined, root: JSON.parse(text) as unknown };
  } catch (err) {
    throw new ParseError(`malformed JSON: ${jsonProblem(text, err instanceof Error ? err.message : String(err))}`);
  }
}

/**
 * JSON.parse's complaint in the exporter's words: V8's message mixes its wording with pieces of the
 * body, so only its position is taken and the body is quoted from there.
 */
function jsonProblem(text: string, message: string): string {
  if (/end of JSON input/i.test(message)) return 'the body ends before the JSON does (truncated?)';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined)
    return `unexpected text at offset ${position}: "${quote(text.slice(Number(position), Number(position) + 40), 40)}"`;
  const token = /Unexpected token '?(.)'?/.exec(message)?.[1];
  if (token !== undefined) return `unexpected "${quote(token, 4)}" near the start: "${quote(text.slice(0, 40), 40)}"`;
  return `not valid JSON: "${quote(text.slice(0, 40), 40)}"`;
}

const XML_PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const XML_REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/g;

/**
 * The parser's own entity processing is off (it would honour DOCTYPE entities); this decodes only
 * the five predefined entities and character references, which is all EM uses.
 */
export function decodeXmlReferences(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(XML_REFERENCE, (whole, dec?: string, hex?: string, named?: string) => {
    if (named !== undefined) return XML_PREDEFINED[named] ?? whole;
    const code = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

// Only the names that EM nests in lists; a single item must still come out as an array.
const LIST_ITEMS = new Set(['RestorePoint', 'Ref', 'Link']);

function xmlParser(skipLinks: boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    stopNodes: skipLinks ? ['*.Links'] : [],
    tagValueProcessor: (_name, value) => decodeXmlReferences(value),
    attributeValueProcessor: (_name, value) => decodeXmlReferences(value),
    isArray: (name) => LIST_ITEMS.has(name),
  });
}

// Parsers are stateless between calls; building one per body would cost more than parsing small bodies.
const fullParser = xmlParser(false);
const linklessParser = xmlParser(true);

const PLAIN_FULL: PlainXmlOptions = { listItems: LIST_ITEMS, decode: decodeXmlReferences };
const PLAIN_LINKLESS: PlainXmlOptions = { listItems: LIST_ITEMS, rawElement: 'Links', decode: decodeXmlReferences };

function readXml(text: string, options: ReadOptions): EmDocument {
  // The plain XML EM sends is read in one pass; anything else takes the general path, which gives
  // the same tree and every error message.
  const plain = readPlainXml(text, options.skipLinks ? PLAIN_LINKLESS : PLAIN_FULL);
  if (plain !== undefined) return { format: 'xml', rootName: plain.rootName, root: plain.root };
  return readXmlGeneral(text, options);
}

/** fast-xml-parser after a well-formedness check: every XML the exporter accepts, quirks included. */
export function readXmlGeneral(text: string, options: ReadOptions): EmDocument {
  // EM never sends a DOCTYPE. Refusing it outright means no entity definitions (billion laughs,
  // external entities) ever reach a parser, at the cost of one scan.
  if (/<!DOCTYPE/i.test(text)) throw new ParseError('XML with a DOCTYPE declaration refused (EM never sends one)');
  // The parser accepts truncated documents silently, which would undercount restore points.
  const problem = xmlProblem(text);
  if (problem !== undefined) throw new ParseError(`malformed XML: ${problem}`);
  let parsed: unknown;
  try {
    parsed = (options.skipLinks ? linklessParser : fullParser).parse(text);
  } catch (err) {
    throw new ParseError(`malformed XML: ${quote(err instanceof Error ? err.message : String(err))}`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const first = entries[0];
  if (entries.length !== 1 || first === undefined) throw new ParseError('XML without a single root element');
  const [rootName, value] = first;
  return { format: 'xml', rootName, root: Array.isArray(value) ? value[0] : value };
}

// The names asked for are the readers' own, a few dozen: each `@_Name` is built once, not per lookup.
const attributeKeys = new Map<string, string>();

function attributeKey(name: string): string {
  let key = attributeKeys.get(name);
  if (key === undefined) {
    key = `@_${name}`;
    if (attributeKeys.size < 256) attributeKeys.set(name, key);
  }
  return key;
}

/** A property by name: case-insensitive, XML attribute or element alike. */
export function field(node: unknown, name: string): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const rec = node as Record<string, unknown>;
  if (Object.hasOwn(rec, name)) return rec[name];
  const attr = attributeKey(name);
  if (Object.hasOwn(rec, attr)) return rec[attr];
  const lower = name.toLowerCase();
  for (const key of Object.keys(rec)) {
    const bare = key.startsWith('@_') ? key.slice(2) : key;
    if (bare.length === lower.length && bare.toLowerCase() === lower) return rec[key];
  }
  return undefined;
}

/** A scalar as text; undefined for null, absent or structured values. */
export function text(value: unknown): string | undefined {
  // An XML element with attributes keeps its text under `#text`, one level down and never deeper:
  // following `#text` further would let a JSON body nested 10,000 deep overflow the stack.
  return scalarText(isObject(value) ? field(value, '#text') : value);
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * V8 keeps a substring of 13 characters or more as a slice that holds its whole parent: one backup
 * name kept from a listing would keep the multi-megabyte body it was read from alive. Shorter
 * substrings are copied by V8 itself.
 */
const SLICE_MIN_LENGTH = 13;

/**
 * `value` as a string of its own that shares no memory with the body it was read from. Every string
 * a parser returns goes through this, because what it returns may be kept for hours (metadata,
 * discovery, VM points) while the body should be garbage once parsed. A JSON round trip is the
 * cheapest copy that always yields a flat string (the usual concatenation tricks still yield a
 * slice, of a copy); test/em/parse-own-strings.test.ts proves no body stays pinned.
 */
export function ownString(value: string): string {
  return value.length < SLICE_MIN_LENGTH ? value : (JSON.parse(JSON.stringify(value)) as string);
}

/** A list that EM may render as an array, a single item, an empty element or null. */
export function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null || value === '') return [];
  return [value];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The `Links` of an entity: `<Links><Link/>…</Links>` in XML, an array in JSON. */
export function links(node: unknown): Array<{ rel: string; type: string; name: string; href: string }> {
  const raw = field(node, 'Links');
  const items = Array.isArray(raw) ? raw : list(field(raw, 'Link'));
  return items.filter(isObject).map((link) => ({
    rel: text(field(link, 'Rel')) ?? '',
    type: text(field(link, 'Type')) ?? '',
    name: text(field(link, 'Name')) ?? '',
    href: text(field(link, 'Href')) ?? '',
  }));
}

/** Keys of a JSON object, for messages about what was found instead. */
export function keysHint(node: unknown): string {
  return isObject(node) ? quote(Object.keys(node).slice(0, 8).join(', '), 80) : typeof node;
}
