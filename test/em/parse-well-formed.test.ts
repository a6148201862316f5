import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/em/parse/parse-error.js';
import { xmlProblem } from '../../src/em/parse/well-formed.js';
import { fixture } from './fixtures.js';

const VALID_FIXTURES = [
  'restore-points-entity.xml',
  'restore-points-refs.xml',
  'restore-points-empty.xml',
  'restore-points-empty-refs.xml',
  'restore-points-query-result.xml',
  'backup-entity.xml',
  'logon-session.xml',
  'error-500.xml',
];

describe('xmlProblem', () => {
  it.each(VALID_FIXTURES)('accepts %s', (name) => {
    expect(xmlProblem(fixture(name))).toBeUndefined();
  });

  it.each([
    '<a/>',
    '<?xml version="1.0"?>\n<!-- c --><a x="1" y = \'2>\' ><b>t &amp; u > v</b><![CDATA[ <x> ]]><c/><?pi x?></a>\n<!-- end -->\n',
    '<p:a xmlns:p="u"><p:b p:c="d"></p:b></p:a>',
    '<a\n  x="1"\n/>',
  ])('accepts well-formed %j', (doc) => {
    expect(xmlProblem(doc)).toBeUndefined();
  });

  it.each([
    ['', /no root element/],
    ['<?xml version="1.0"?>', /no root element/],
    ['<a>', /<a> is never closed/],
    ['<a><b></a>', /expected <\/b>, found <\/a>/],
    ['<a><b>x</Foo></a>', /expected <\/b>, found <\/Foo>/],
    ['<a></a></a>', /without an opening tag|text outside|second root/],
    ['<a/><a/>', /second root element/],
    ['junk<a/>', /text outside the root element/],
    ['<a/>junk', /text outside the root element/],
    ['<a x=1/>', /malformed attributes in <a>/],
    ['<a x="1"y="2"/>', /malformed attributes in <a>/],
    ['<a x="<"/>', /malformed attributes in <a>/],
    ['<a x="1', /malformed attributes/],
    ['<a>x < y</a>', /malformed tag/],
    ['<a></a', /malformed closing tag/],
    ['<a><!-- x</a>', /unterminated comment/],
    ['<a><![CDATA[ x</a>', /unterminated CDATA/],
    ['<?xml version="1.0"', /unterminated processing instruction/],
    ['<!DOCTYPE a><a/>', /unexpected <! markup/],
    ['<a><!ENTITY x "y"></a>', /unexpected <! markup/],
  ])('rejects %j', (doc, expected) => {
    expect(new ParseError(xmlProblem(doc) ?? '').message).toMatch(expected);
  });

  it.each(VALID_FIXTURES)('rejects every truncation of %s', (name) => {
    const doc = fixture(name).trimEnd();
    for (let cut = 0; cut < doc.length; cut++) {
      const problem = xmlProblem(doc.slice(0, cut));
      if (problem === undefined)
        throw new Error(`accepted ${name} cut at ${cut}: ${JSON.stringify(doc.slice(Math.max(0, cut - 30), cut))}`);
    }
  });

  it('accepts generated restore-point lists and rejects their truncations', () => {
    const attr = fc.stringMatching(/^[^<&"]{0,12}$/);
    const point = fc.record({ uid: attr, name: attr, date: attr, links: fc.nat(3) });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 6 }), fc.nat(), (points, cutSeed) => {
        const body = points
          .map(
            (p) =>
              `<RestorePoint UID="${p.uid}" Name="${p.name}"><Links>${'<Link Rel="Up" Name="n"/>'.repeat(p.links)}</Links><BackupDateUTC>${p.date}</BackupDateUTC></RestorePoint>`,
          )
          .join('\n');
        const doc = `<?xml version="1.0" encoding="utf-8"?>\n<RestorePoints xmlns="http://www.veeam.com/ent/v1.0">${body}</RestorePoints>`;
        expect(xmlProblem(doc)).toBeUndefined();
        expect(xmlProblem(doc.slice(0, cutSeed % doc.length))).toBeDefined();
      }),
    );
  });
});
