import type { ApiRootView, ItemView, LinkView, QueryResultView, Renderer, SessionView } from './model.js';

const DECL = '<?xml version="1.0" encoding="utf-8"?>\n';
const NS = 'xmlns="http://www.veeam.com/ent/v1.0"';
const NS_XSD = 'xmlns:xsd="http://www.w3.org/2001/XMLSchema"';
const NS_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const ROOT_NS = ` ${NS} ${NS_XSD} ${NS_XSI}`;

// Characters XML 1.0 cannot carry at all. EM's serializer would fail on them; the simulator drops
// them so a backup name with odd bytes still yields a well-formed document.
/* eslint-disable no-control-regex -- control characters are what it matches */
const INVALID =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/* eslint-enable no-control-regex */
const ATTR_SPECIAL = /[&<>"\t\n\r]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};
const replaceEntity = (c: string): string => ENTITIES[c] ?? c;

// Nearly every value (GUIDs, hrefs, dates) needs no escaping; one test keeps large lists cheap.
// eslint-disable-next-line no-control-regex
const ANY_SPECIAL = /[&<>"\u0000-\u001f\ud800-\udfff\ufffe\uffff]/;

/** Attribute value, safe inside double quotes; whitespace as character references so it survives normalisation. */
export function escAttr(s: string): string {
  if (!ANY_SPECIAL.test(s)) return s;
  return s.replace(INVALID, '').replace(ATTR_SPECIAL, replaceEntity);
}

export function escText(s: string): string {
  if (!ANY_SPECIAL.test(s)) return s;
  return s.replace(INVALID, '').replace(TEXT_SPECIAL, replaceEntity);
}

const attr = (name: string, value: string | undefined): string =>
  value === undefined ? '' : ` ${name}="${escAttr(value)}"`;

// Real servers emit Link attributes as Href Name Type Rel and leave out absent ones.
function links(out: string[], ls: LinkView[], ind: string): void {
  if (ls.length === 0) {
    out.push(`${ind}<Links />\n`);
    return;
  }
  out.push(`${ind}<Links>\n`);
  const inner = ind + '  ';
  for (const l of ls) {
    out.push(
      `${inner}<Link${attr('Href', l.href)}${attr('Name', l.name)}${attr('Type', l.type)}${attr('Rel', l.rel)} />\n`,
    );
  }
  out.push(`${ind}</Links>\n`);
}

// References: UID Name Href Type.
function ref(out: string[], tag: string, it: ItemView, ind: string, rootNs = ''): void {
  out.push(
    `${ind}<${tag}${rootNs}${attr('UID', it.uid)}${attr('Name', it.name)}${attr('Href', it.href)}${attr('Type', it.type)}>\n`,
  );
  links(out, it.links, ind + '  ');
  out.push(`${ind}</${tag}>\n`);
}

// Entities: Href Type Name UID; links first, then the type's own elements.
function entity(out: string[], it: ItemView, ind: string, rootNs = ''): void {
  let extra = '';
  for (const [k, v] of it.attributes ?? []) extra += attr(k, v);
  out.push(
    `${ind}<${it.type}${rootNs}${attr('Href', it.href)}${attr('Type', it.type)}${attr('Name', it.name)}${attr('UID', it.uid)}${extra}>\n`,
  );
  const inner = ind + '  ';
  links(out, it.links, inner);
  for (const [k, v] of it.fields ?? []) if (v !== null) out.push(`${inner}<${k}>${escText(v)}</${k}>\n`);
  out.push(`${ind}</${it.type}>\n`);
}

function list(root: string, items: ItemView[], each: (out: string[], it: ItemView) => void): string {
  if (items.length === 0) return `${DECL}<${root}${ROOT_NS} />\n`;
  const out = [`${DECL}<${root}${ROOT_NS}>\n`];
  for (const it of items) each(out, it);
  out.push(`</${root}>\n`);
  return out.join('');
}

function queryResult(q: QueryResultView): string {
  const out = [`${DECL}<QueryResult${ROOT_NS}>\n`];
  if (q.format === 'refs') {
    if (q.items.length === 0) out.push('  <Refs />\n');
    else {
      out.push('  <Refs>\n');
      for (const it of q.items) ref(out, 'Ref', it, '    ');
      out.push('  </Refs>\n');
    }
  } else if (q.items.length === 0) {
    out.push(`  <Entities>\n    <${q.list} />\n  </Entities>\n`);
  } else {
    out.push(`  <Entities>\n    <${q.list}>\n`);
    for (const it of q.items) entity(out, it, '      ');
    out.push(`    </${q.list}>\n  </Entities>\n`);
  }
  const p = q.paging;
  out.push(`  <PagingInfo PagesCount="${p.pagesCount}" PageSize="${p.pageSize}" PageNum="${p.pageNum}">\n`);
  links(out, p.links, '    ');
  out.push('  </PagingInfo>\n</QueryResult>\n');
  return out.join('');
}

function session(out: string[], s: SessionView, ind: string, rootNs = ''): void {
  out.push(`${ind}<LogonSession${rootNs}${attr('Href', s.href)} Type="LogonSession">\n`);
  const inner = ind + '  ';
  links(out, s.links, inner);
  out.push(`${inner}<UserName>${escText(s.userName)}</UserName>\n`);
  out.push(`${inner}<SessionId>${escText(s.sessionId)}</SessionId>\n`);
  out.push(`${ind}</LogonSession>\n`);
}

export const xmlRenderer: Renderer = {
  contentType: 'application/xml; charset=utf-8',

  refList: (items) => list('EntityReferences', items, (out, it) => ref(out, 'Ref', it, '  ')),

  ref(it) {
    const out = [DECL];
    ref(out, 'EntityRef', it, '', ROOT_NS);
    return out.join('');
  },

  entity(it) {
    const out = [DECL];
    entity(out, it, '', ROOT_NS);
    return out.join('');
  },

  entityList: (root, items) => list(root, items, (out, it) => entity(out, it, '  ')),

  queryResult,

  apiRoot(v: ApiRootView) {
    const out = [`${DECL}<EnterpriseManager ${NS_XSD} ${NS_XSI} ${NS}>\n`];
    links(out, v.links, '  ');
    out.push('  <SupportedVersions>\n');
    for (const ver of v.versions) {
      out.push(`    <SupportedVersion${attr('Name', ver.name)}>\n`);
      links(out, ver.links, '      ');
      out.push('    </SupportedVersion>\n');
    }
    out.push('  </SupportedVersions>\n</EnterpriseManager>\n');
    return out.join('');
  },

  logonSession(s) {
    const out = [DECL];
    session(out, s, '', ROOT_NS);
    return out.join('');
  },

  logonSessions(ss) {
    if (ss.length === 0) return `${DECL}<LogonSessions${ROOT_NS} />\n`;
    const out = [`${DECL}<LogonSessions${ROOT_NS}>\n`];
    for (const s of ss) session(out, s, '  ');
    out.push('</LogonSessions>\n');
    return out.join('');
  },

  // Attributes before the namespace declarations, as in captured error bodies.
  error: (status, message) =>
    `${DECL}<Error${attr('Message', message)} StatusCode="${status}" ${NS} ${NS_XSD} ${NS_XSI}>\n` +
    `  <FirstChanceExceptionMessage>${escText(message)}</FirstChanceExceptionMessage>\n</Error>\n`,

  // Unquoted attribute, stray '<' and no closing tags: every XML parser and validator rejects it.
  malformed: () => `${DECL}<EntityReferences ${NS}>\n  <Ref UID=urn:veeam:Backup Name="<<broken\n`,
};
