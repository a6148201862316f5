import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXmlReferences, readDocument, readXmlGeneral } from '../../src/em/parse/document.js';
import { readPlainXml, type PlainXmlOptions } from '../../src/em/parse/plain-xml.js';
import { generateBackups } from '../../src/simulator/generate.js';
import { StoredBackup, Views } from '../../src/simulator/model.js';
import { xmlRenderer } from '../../src/simulator/xml.js';
import { fixture } from './fixtures.js';

const LIST_ITEMS = new Set(['RestorePoint', 'Ref', 'Link']);
const FULL: PlainXmlOptions = { listItems: LIST_ITEMS, decode: decodeXmlReferences };
const LINKLESS: PlainXmlOptions = { ...FULL, rawElement: 'Links' };

const XML_FIXTURES = readdirSync(new URL('../fixtures/em/', import.meta.url)).filter((name) => name.endsWith('.xml'));
const REFUSED_FIXTURES = new Set(['billion-laughs.xml', 'external-entity.xml']);

/**
 * The one property that matters: whatever the one-pass reader accepts, the general path accepts
 * too and reads into the same tree. What it gives up on costs time only.
 */
function expectSameAsGeneral(doc: string): boolean {
  let accepted = false;
  for (const [options, skipLinks] of [
    [FULL, false],
    [LINKLESS, true],
  ] as const) {
    const plain = readPlainXml(doc, options);
    if (plain === undefined) continue;
    accepted = true;
    const general = readXmlGeneral(doc, { skipLinks });
    expect({ rootName: plain.rootName, root: plain.root }, doc).toEqual({
      rootName: general.rootName,
      root: general.root,
    });
  }
  return accepted;
}

/** The XML bodies the simulator answers with: restore-point lists, entities, references, errors, a logon session. */
function simulatorBodies(): string[] {
  const [backup, other] = generateBackups({
    count: 2,
    pointsPerBackup: 4,
    seed: 'plain',
    now: Date.UTC(2026, 0, 15, 12),
  }).map((b) => new StoredBackup(b));
  const views = new Views('https://em.example:9398/api', 'mssql');
  const entities = backup!.points().map((p) => views.restorePointEntity(backup!, p));
  const refs = backup!.points().map((p) => views.restorePointRef(backup!, p));
  return [
    xmlRenderer.entityList('RestorePoints', entities),
    xmlRenderer.entityList('RestorePoints', entities.slice(0, 1)),
    xmlRenderer.refList(refs),
    xmlRenderer.entity(views.backupEntity(backup!)),
    xmlRenderer.entityList('Backups', [views.backupEntity(backup!), views.backupEntity(other!)]),
    xmlRenderer.ref(views.backupRef(backup!)),
    xmlRenderer.logonSession(views.logonSession('0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3', 'EM01\\svc')),
    xmlRenderer.error(500, 'Something <went> & "wrong"'),
  ];
}

describe('readPlainXml', () => {
  it.each(XML_FIXTURES.filter((name) => !REFUSED_FIXTURES.has(name)))(
    'reads %s in one pass, as the general path does',
    (name) => {
      expect(expectSameAsGeneral(fixture(name))).toBe(true);
    },
  );

  it.each([...REFUSED_FIXTURES])('leaves %s (a DOCTYPE) to the general path, which refuses it', (name) => {
    expect(readPlainXml(fixture(name), FULL)).toBeUndefined();
    expect(() => readDocument(fixture(name), 'application/xml')).toThrow(/DOCTYPE/);
  });

  it('reads the bodies the simulator sends', () => {
    const bodies = simulatorBodies();
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(expectSameAsGeneral(body)).toBe(true);
  });

  it.each([
    [
      'namespaces, declaration and whitespace',
      '<?xml version="1.0"?>\n<p:A xmlns="u" xmlns:p="v" p:b=" 1 " c="">\n  <B>  t  x </B><C/><D></D><E k="1"/><F k="1">txt</F><F>2</F>\n</p:A>\n',
    ],
    ['one list item becomes a list', '<A><RestorePoint UID="u"><Links><Link Rel="Up"/></Links></RestorePoint></A>'],
    ['a list-item root', '<RestorePoint a="1"><Ref/></RestorePoint>'],
    ['references decoded after trimming', '<A b=" &amp;&#32;x "> &lt;&#x41;&gt; &quot;&apos;&unknown; </A>'],
    ['attribute quoting', `<A b='x>y' c="it's"/>`],
    ['repeated elements', '<A><B/><B></B><B>x</B><B k="v"/></A>'],
    ['whitespace-only text', '<A><B a="1">  </B><C>\n\t</C></A>'],
    ['tab and newline inside tags', '<A\n\tb="1"\n/>'],
    ['a links element with attributes', '<A><RestorePoint><Links n="1"><Link/></Links></RestorePoint></A>'],
    ['links holding text', '<A><R><Links> x <Link a="1">y</Link></Links></R></A>'],
    ['nested links', '<A><R><Links><Links><Link/></Links></Links></R></A>'],
    ['root named Links', '<Links><Link a="1"/></Links>'],
  ])('matches the general path: %s', (_what, doc) => {
    expect(expectSameAsGeneral(doc)).toBe(true);
  });

  it.each([
    ['a comment', '<A><!-- c --><B>1</B></A>'],
    ['CDATA', '<A><![CDATA[x]]></A>'],
    ['a DOCTYPE', '<!DOCTYPE A><A/>'],
    ['a processing instruction', '<A><?pi x?></A>'],
    ['mixed content', '<A>t<B/></A>'],
    ['text after a child', '<A><B/>t</A>'],
    ['a carriage return in a value', '<A>a\r\nb</A>'],
    ['a carriage return in an attribute', '<A b="a\r\nb"/>'],
    ['__proto__', '<A><__proto__>1</__proto__></A>'],
    ['constructor', '<A><x:constructor>1</x:constructor></A>'],
    ['a name outside ASCII', '<A><Bé>1</Bé></A>'],
    ['truncation', '<A><B>1</B>'],
    ['a wrong closing tag', '<A><B>1</C></A>'],
    ['a closing tag longer than its opening one', '<A><B>1</BC></A>'],
    ['two roots', '<A/><B/>'],
    ['text outside the root', '<A/>x'],
    ['an unquoted attribute', '<A b=1/>'],
    ['attributes without space between them', '<A b="1"c="2"/>'],
    ['`<` in an attribute', '<A b="<"/>'],
    ['an empty document', '   '],
  ])('gives up on %s', (_what, doc) => {
    expect(readPlainXml(doc, FULL)).toBeUndefined();
    expect(readPlainXml(doc, LINKLESS)).toBeUndefined();
  });

  it('reads generated plain documents as the general path does', () => {
    const name = fc.constantFrom('A', 'B', 'p:B', 'RestorePoint', 'Ref', 'Link', 'Links', 'UID', 'x.y', 'b_c', 'Name');
    const value = fc
      .stringMatching(/^[ a-z0-9&#;<>"'\t\n]{0,10}$/)
      .map((v) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
    const attributes = fc.array(
      fc.tuple(
        fc.constantFrom('Href', 'p:Type', 'Name', 'UID', 'xmlns', 'xmlns:p', 'a-b'),
        value,
        fc.constantFrom('"', "'"),
      ),
      { maxLength: 3 },
    );
    const element: fc.Memo<string> = fc.memo((depth) =>
      fc
        .tuple(
          name,
          attributes,
          depth > 1 ? fc.oneof(value, fc.array(element(depth - 1), { maxLength: 4 })) : value,
          fc.constantFrom('', ' ', '\n  '),
        )
        .map(([tag, attrs, content, space]) => {
          const open = `<${tag}${attrs.map(([n, v, q]) => ` ${n}=${q}${v}${q}`).join('')}`;
          if (typeof content === 'string')
            return content === '' && attrs.length % 2 === 0 ? `${open}/>` : `${open}>${content}</${tag}${space}>`;
          return `${open}>${content.map((child) => `${space}${child}`).join('')}${space}</${tag}>`;
        }),
    );
    fc.assert(
      fc.property(element(4), fc.boolean(), (root, declared) => {
        const doc = `${declared ? '<?xml version="1.0" encoding="utf-8"?>\n' : ''}${root}\n`;
        expect(expectSameAsGeneral(doc), doc).toBe(true);
      }),
      { numRuns: Number(process.env.PLAIN_XML_RUNS ?? 1000) },
    );
  });

  it('never accepts what the general path reads differently, on mutated EM bodies', () => {
    const seeds = [...XML_FIXTURES.filter((name) => !REFUSED_FIXTURES.has(name)).map(fixture), ...simulatorBodies()];
    const pieces = [
      '<',
      '>',
      '/',
      '"',
      "'",
      '=',
      ' ',
      '\n',
      '\r',
      '&amp;',
      '&#x41;',
      '<!-- c -->',
      '<![CDATA[x]]>',
      'x',
      ':',
      'p:',
      '<Link/>',
      '</Links>',
      '<Links>',
      '<B>t</B>',
      'Ref',
    ];
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.nat(pieces.length - 1), fc.boolean()), {
          minLength: 1,
          maxLength: 4,
        }),
        (seedIndex, edits) => {
          let doc = seeds[seedIndex]!;
          for (const [at, cut, piece, insert] of edits) {
            const pos = at % (doc.length + 1);
            doc =
              doc.slice(0, pos) +
              (insert ? pieces[piece]! : '') +
              doc.slice(Math.min(doc.length, pos + (insert ? 0 : cut + 1)));
          }
          const general = (() => {
            try {
              return readXmlGeneral(doc, {});
            } catch {
              return undefined;
            }
          })();
          const plain = readPlainXml(doc, FULL);
          if (plain !== undefined) {
            expect(general, doc).toBeDefined();
            expect({ rootName: plain.rootName, root: plain.root }, doc).toEqual({
              rootName: general!.rootName,
              root: general!.root,
            });
          }
          expectSameAsGeneral(doc);
        },
      ),
      { numRuns: Number(process.env.PLAIN_XML_RUNS ?? 3000) },
    );
  });
});
