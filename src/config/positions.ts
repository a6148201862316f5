import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Document,
  type LineCounter,
  type Node,
  type YAMLError,
} from 'yaml';
import type { KeyPath } from './path.js';

export interface Position {
  line: number;
  column: number;
}

/**
 * Where a key path sits in the YAML source. A path that leaves the document (a missing key) points
 * at the deepest node that exists, i.e. the mapping that lacks the key.
 */
export function locate(doc: Document, lines: LineCounter, path: KeyPath, atKey = false): Position | undefined {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let complete = true;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node) && typeof segment === 'string') {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (pair === undefined) {
        complete = false;
        break;
      }
      keyNode = pair.key as Node;
      // `key:` with nothing after it has no value worth pointing at; the key is.
      node = isEmptyValue(pair.value) ? keyNode : pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      keyNode = undefined;
      node = node.items[segment];
    } else {
      complete = false;
      break;
    }
  }
  const target = complete && atKey && keyNode !== undefined ? keyNode : node;
  const range = (target as Node | null | undefined)?.range;
  if (range === undefined || range === null) return undefined;
  const { line, col } = lines.linePos(range[0]);
  return { line, column: col };
}

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  return (
    isScalar(value) &&
    value.value === null &&
    value.range !== undefined &&
    value.range !== null &&
    value.range[0] === value.range[1]
  );
}

/**
 * Where a YAML syntax error starts. yaml reports an unclosed quote or flow collection (`[`, `{`) where it
 * gave up, often the end of the file; the reader needs the line that opened it. Returns the offset of
 * that opening, and what it was, or undefined when the error is not of that kind.
 */
export function unclosedOpening(doc: Document, error: YAMLError): { offset: number; what: string } | undefined {
  const at = error.pos[0];
  const kind = /quote/i.test(error.message) ? 'quote' : /^Flow (sequence|map)/.test(error.message) ? 'flow' : undefined;
  if (kind === undefined) return undefined;
  let found: { offset: number; what: string } | undefined;
  visit(doc, {
    Node(_, node) {
      const range = node.range;
      if (range === undefined || range === null || !(range[0] < at && at <= range[2])) return;
      let what: string | undefined;
      if (kind === 'quote' && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) {
        what = 'the quoted value';
      } else if (kind === 'flow' && (isSeq(node) || isMap(node)) && node.flow === true) {
        what = isSeq(node) ? 'the [ list' : 'the { mapping';
      }
      // The innermost opening wins: it starts last.
      if (what !== undefined && (found === undefined || range[0] > found.offset)) found = { offset: range[0], what };
    },
  });
  return found;
}

/** A YAML syntax error placed where the reader should look, with its message. */
export interface PlacedYamlError {
  message: string;
  offset: number;
}

/**
 * YAML syntax errors as a reader needs them: an unclosed quote or bracket at the line that opened it
 * (the message says where it is still open), and without the errors yaml made up inside it, which
 * were misread because of it and only distract.
 */
export function placeYamlErrors(problems: readonly YAMLError[], lines: LineCounter, doc?: Document): PlacedYamlError[] {
  const openings = problems.map((problem) => (doc === undefined ? undefined : unclosedOpening(doc, problem)));
  const unclosed = openings.flatMap((opening, i) =>
    opening === undefined ? [] : [[opening.offset, problems[i]!.pos[0]] as const],
  );
  const insideUnclosed = (offset: number) => unclosed.some(([start, end]) => start < offset && offset < end);
  return problems.flatMap((problem, i) => {
    const opening = openings[i];
    if (opening === undefined)
      return insideUnclosed(problem.pos[0]) ? [] : [{ message: problem.message, offset: problem.pos[0] }];
    const openUntil = lines.linePos(problem.pos[0]).line;
    return [
      {
        message: `${problem.message} (${opening.what} that starts here is still open at line ${openUntil})`,
        offset: opening.offset,
      },
    ];
  });
}
