/**
 * A fast well-formedness check for the XML EM sends. fast-xml-parser accepts truncated and
 * mis-nested documents without complaint (a cut-off list would silently lose restore points), and
 * its own validator costs twice the parse. Since `<` cannot occur in XML text or attribute values,
 * jumping from one `<` to the next visits every piece of markup; only tags, attributes and nesting
 * are checked, which is what catches truncation and corruption. DOCTYPEs are refused before this.
 */

import { quote } from './parse-error.js';

const TAG_NAME = /[^\s/>=<"'!?]+/y;
// Whitespace is required before each attribute; values are quoted and free of `<`.
const ATTRIBUTE = /\s+[^\s=/>"'<]+\s*=\s*(?:"[^"<]*"|'[^'<]*')/y;
const TAG_END = /\s*(\/?)>/y;
const CLOSING_TAG = /<\/([^\s/>=<"'!?]+)\s*>/y;

/**
 * What is wrong with the document, or undefined when it is well-formed. Tag names are EM's text and
 * are quoted through `quote()`, so the answer is meant for a ParseError.
 */
export function xmlProblem(text: string): string | undefined {
  const open: string[] = [];
  let rootSeen = false;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? text.length : lt;
    if (open.length === 0 && hasNonSpace(text, i, textEnd)) return `text outside the root element at offset ${i}`;
    if (lt < 0) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 0x3f /* ? */) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) return 'unterminated processing instruction';
      i = end + 2;
    } else if (next === 0x21 /* ! */) {
      if (text.startsWith('!--', lt + 1)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) return 'unterminated comment';
        i = end + 3;
      } else if (text.startsWith('![CDATA[', lt + 1) && open.length > 0) {
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) return 'unterminated CDATA section';
        i = end + 3;
      } else {
        return `unexpected <! markup at offset ${lt}`;
      }
    } else if (next === 0x2f /* / */) {
      CLOSING_TAG.lastIndex = lt;
      const m = CLOSING_TAG.exec(text);
      if (!m) return `malformed closing tag at offset ${lt}`;
      const expected = open.pop();
      if (expected !== m[1]) {
        return expected === undefined
          ? `closing tag </${quote(m[1] ?? '', 40)}> without an opening tag`
          : `expected </${quote(expected, 40)}>, found </${quote(m[1] ?? '', 40)}>`;
      }
      i = CLOSING_TAG.lastIndex;
    } else {
      if (open.length === 0 && rootSeen) return `second root element at offset ${lt}`;
      TAG_NAME.lastIndex = lt + 1;
      const name = TAG_NAME.exec(text)?.[0];
      if (name === undefined) return `malformed tag at offset ${lt}`;
      let j = TAG_NAME.lastIndex;
      for (;;) {
        ATTRIBUTE.lastIndex = j;
        if (!ATTRIBUTE.test(text)) break;
        j = ATTRIBUTE.lastIndex;
      }
      TAG_END.lastIndex = j;
      const end = TAG_END.exec(text);
      if (!end) return `malformed attributes in <${quote(name, 40)}> at offset ${lt}`;
      if (end[1] !== '/') open.push(name);
      rootSeen = true;
      i = TAG_END.lastIndex;
    }
  }
  if (open.length > 0) return `<${quote(open[open.length - 1] ?? '', 40)}> is never closed (truncated?)`;
  if (!rootSeen) return 'no root element';
  return undefined;
}

function hasNonSpace(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return true;
  }
  return false;
}
