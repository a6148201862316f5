import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { placeYamlErrors } from '../config/positions.js';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  /** The document as plain JS; null for an empty file. */
  data: unknown;
  /**
   * Where a key path sits in the file. `key` points at the map key itself (for "unknown key"), `value` at
   * its value. A path that does not exist (a missing key) resolves to the deepest key that does, so the
   * reader lands on the section the key belongs in.
   */
  locate(path: readonly PathSegment[], target: 'key' | 'value'): Position | undefined;
}

export type YamlParseResult =
  { ok: true; source: YamlSource } | { ok: false; errors: Array<{ message: string } & Partial<Position>> };

export function parseYaml(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending source line, which may hold a password hash.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number | undefined): Partial<Position> => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: placeYamlErrors(doc.errors, lineCounter, doc).map((e) => ({ message: e.message, ...position(e.offset) })),
    };
  }
  return {
    ok: true,
    source: {
      data: doc.toJS({ maxAliasCount: 50 }) as unknown,
      locate: (path, target) => {
        const offset = locateOffset(doc, path, target);
        const pos = position(offset);
        return pos.line === undefined || pos.column === undefined ? undefined : { line: pos.line, column: pos.column };
      },
    },
  };
}

function locateOffset(doc: Document, path: readonly PathSegment[], target: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let fallback: number | undefined = rangeStart(node);
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return fallback;
      const keyStart = rangeStart(pair.key);
      if (last && target === 'key') return keyStart ?? fallback;
      fallback = keyStart ?? fallback;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) return fallback;
    } else {
      return fallback;
    }
  }
  return rangeStart(node) ?? fallback;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
