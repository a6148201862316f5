import { describe, expect, it } from 'vitest';
import { ParseError, parseRestorePoints } from '../../src/em/index.js';
import { JSON_CT, XML, fixture } from './fixtures.js';

const RP1 = 'urn:veeam:RestorePoint:a1b2c3d4-1111-4aaa-8bbb-0123456789ab';
const RP2 = 'urn:veeam:RestorePoint:a1b2c3d4-2222-4aaa-8bbb-0123456789ab';

function parseFailure(body: string, contentType: string): ParseError {
  try {
    parseRestorePoints(body, contentType);
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return err as ParseError;
  }
  throw new Error('expected a ParseError');
}

describe('parseRestorePoints: entity representation', () => {
  it('reads BackupDateUTC from XML entities, not the minute-precision Name', () => {
    expect(parseRestorePoints(fixture('restore-points-entity.xml'), XML)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1, 27, 110) },
      { uid: RP2, timeMs: Date.UTC(2025, 5, 6, 1, 0, 44, 300) },
    ]);
  });

  it('reads EM 12 PascalCase JSON', () => {
    expect(parseRestorePoints(fixture('restore-points-entity-v12.json'), JSON_CT)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1, 27, 110) },
      { uid: RP2, timeMs: Date.UTC(2025, 5, 6, 1, 0, 44, 300) },
    ]);
  });

  it('reads EM 13 camelCase JSON', () => {
    expect(parseRestorePoints(fixture('restore-points-entity-v13.json'), JSON_CT)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2026, 5, 16, 6, 33, 10, 659) },
      { uid: RP2, timeMs: Date.UTC(2026, 5, 17, 6, 30, 2) },
    ]);
  });

  it('falls back to the Name when BackupDateUTC is null or the 1753 "unset" sentinel, tolerating null fields', () => {
    expect(parseRestorePoints(fixture('restore-points-nulls-v12.json'), JSON_CT)).toEqual([
      { uid: '', timeMs: Date.UTC(2025, 5, 5, 1, 1) },
      { uid: RP2, timeMs: Date.UTC(2023, 10, 3, 16, 25, 35, 920) },
    ]);
  });

  it('reads a single RestorePoint entity as the root', () => {
    const body = `<RestorePoint xmlns="http://www.veeam.com/ent/v1.0" UID="${RP1}" Name="x"><BackupDateUTC>2025-06-05T01:01:27Z</BackupDateUTC></RestorePoint>`;
    expect(parseRestorePoints(body, XML)).toEqual([{ uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1, 27) }]);
  });

  it('ignores namespace prefixes on elements and attributes', () => {
    const body = `<v:RestorePoints xmlns:v="http://www.veeam.com/ent/v1.0"><v:RestorePoint v:UID="${RP1}"><v:BackupDateUTC>2025-06-05T01:01:27Z</v:BackupDateUTC></v:RestorePoint></v:RestorePoints>`;
    expect(parseRestorePoints(body, XML)).toEqual([{ uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1, 27) }]);
  });

  it('keeps every point of a large list', () => {
    const one = (i: number) =>
      `<RestorePoint UID="urn:veeam:RestorePoint:${i}"><Links><Link Rel="Up" Type="BackupReference" Name="b"/></Links><BackupDateUTC>2025-01-01T00:00:${String(i % 60).padStart(2, '0')}Z</BackupDateUTC></RestorePoint>`;
    const body = `<RestorePoints>${Array.from({ length: 5000 }, (_, i) => one(i)).join('')}</RestorePoints>`;
    const points = parseRestorePoints(body, XML);
    expect(points).toHaveLength(5000);
    expect(points[4999]).toEqual({ uid: 'urn:veeam:RestorePoint:4999', timeMs: Date.UTC(2025, 0, 1, 0, 0, 4999 % 60) });
  });
});

describe('parseRestorePoints: reference representation', () => {
  it('parses SQL Server style Ref Names from XML', () => {
    expect(parseRestorePoints(fixture('restore-points-refs.xml'), XML)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1) },
      { uid: 'urn:veeam:RestorePoint:a1b2c3d4-3333-4aaa-8bbb-0123456789ab', timeMs: Date.UTC(2025, 4, 27, 12, 55) },
      { uid: 'urn:veeam:RestorePoint:a1b2c3d4-4444-4aaa-8bbb-0123456789ab', timeMs: Date.UTC(2024, 11, 31, 0, 5) },
    ]);
  });

  it('parses EM 12 JSON Refs', () => {
    expect(parseRestorePoints(fixture('restore-points-refs-v12.json'), JSON_CT)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2025, 5, 5, 1, 1) },
    ]);
  });

  it('parses EM 13 JSON refs with PostgreSQL style names', () => {
    expect(parseRestorePoints(fixture('restore-points-refs-v13.json'), JSON_CT)).toEqual([
      { uid: RP1, timeMs: Date.UTC(2023, 10, 3, 16, 25, 35, 920) },
      { uid: RP2, timeMs: Date.UTC(2023, 10, 4, 16, 25, 35) },
    ]);
  });
});

describe('parseRestorePoints: query results', () => {
  it('reads Entities.RestorePoints from an XML QueryResult', () => {
    expect(parseRestorePoints(fixture('restore-points-query-result.xml'), XML)).toEqual([
      { uid: RP2, timeMs: Date.UTC(2025, 5, 6, 1, 0, 44, 300) },
    ]);
  });

  it('reads the doubly nested Entities.RestorePoints.RestorePoints from JSON, past the null slots', () => {
    expect(parseRestorePoints(fixture('restore-points-query-result-v12.json'), JSON_CT)).toEqual([
      { uid: RP2, timeMs: Date.UTC(2025, 5, 6, 1, 0, 44, 300) },
    ]);
  });

  it('reads Refs from a query result without entities', () => {
    const body = '<QueryResult><Refs><Ref UID="u1" Name="Jun  5 2025  1:01AM"/></Refs></QueryResult>';
    expect(parseRestorePoints(body, XML)).toEqual([{ uid: 'u1', timeMs: Date.UTC(2025, 5, 5, 1, 1) }]);
  });
});

describe('parseRestorePoints: empty lists', () => {
  it.each([
    ['self-closing XML list', fixture('restore-points-empty.xml'), XML],
    ['empty XML references', fixture('restore-points-empty-refs.xml'), XML],
    ['XML list with only whitespace and a comment', '<RestorePoints>\n  <!-- none -->\n</RestorePoints>', XML],
    ['JSON null list', '{"RestorePoints":null}', JSON_CT],
    ['JSON null list inside its wrapper', '{"RestorePoints":{"RestorePoints":null}}', JSON_CT],
    ['JSON query result whose Refs are null', '{"Refs":null,"Entities":null,"PagingInfo":null}', JSON_CT],
    [
      'XML query result with an empty entity list',
      '<QueryResult><Entities><RestorePoints/></Entities></QueryResult>',
      XML,
    ],
    ['JSON empty list', '{"restorePoints":[]}', JSON_CT],
    ['JSON empty refs', '{"Refs":[]}', JSON_CT],
    ['JSON query result with nulls', '{"Refs":null,"Entities":{"RestorePoints":null},"PagingInfo":null}', JSON_CT],
  ])('%s -> []', (_label, body, contentType) => {
    expect(parseRestorePoints(body, contentType)).toEqual([]);
  });
});

describe('parseRestorePoints: a body that holds no list is a parse failure, never zero points', () => {
  it.each([
    ['a bare JSON null', 'null', JSON_CT, /unexpected JSON null/],
    ['a bare JSON array', '[]', JSON_CT, /unexpected JSON array/],
    ['a JSON string', '"RestorePoints"', JSON_CT, /unexpected JSON string/],
    [
      'an XML QueryResult with neither Entities nor Refs',
      '<QueryResult><PagingInfo PagesCount="1"/></QueryResult>',
      XML,
      /neither Entities nor Refs/,
    ],
    [
      'an XML QueryResult answering for another type',
      '<QueryResult><Entities><Backups/></Entities></QueryResult>',
      XML,
      /Entities without RestorePoints/,
    ],
    [
      'a JSON QueryResult with neither Entities nor Refs',
      '{"PagingInfo":{"PagesCount":1}}',
      JSON_CT,
      /without RestorePoints or Refs/,
    ],
    [
      'a JSON QueryResult whose Entities is a string',
      '{"Entities":"none","Refs":null}',
      JSON_CT,
      /Entities is not an object \(found string\)/,
    ],
    ['a JSON wrapper without its list', '{"RestorePoints":{}}', JSON_CT, /without a RestorePoints list/],
    [
      'a JSON wrapper whose list is a number',
      '{"RestorePoints":{"RestorePoints":0}}',
      JSON_CT,
      /is not a list \(found number\)/,
    ],
  ])('%s', (_label, body, contentType, message) => {
    expect(() => parseRestorePoints(body, contentType)).toThrow(ParseError);
    expect(() => parseRestorePoints(body, contentType)).toThrow(message);
  });
});

describe('parseRestorePoints: content type', () => {
  it('matches the media type case-insensitively and sniffs when EM sends none', () => {
    const xml = fixture('restore-points-entity.xml');
    expect(parseRestorePoints(xml, 'Application/XML; charset=UTF-8')).toHaveLength(2);
    expect(parseRestorePoints(xml, '')).toHaveLength(2);
    expect(parseRestorePoints('\uFEFF' + fixture('restore-points-refs-v12.json'), '')).toHaveLength(1);
  });

  it('refuses bodies that are neither XML nor JSON', () => {
    expect(parseFailure(fixture('garbage.html'), 'text/html').message).toMatch(/unexpected content type "text\/html"/);
  });
});

describe('parseRestorePoints: failures name the problem', () => {
  it('fails the whole body when one point has no readable time, naming the point', () => {
    const body = '{"Refs":[{"UID":"u1","Name":"Jun  5 2025  1:01AM"},{"UID":"u2","Name":"yesterday"}]}';
    expect(parseFailure(body, JSON_CT).message).toBe('restore point #2 (u2): cannot read a time from Name "yesterday"');
  });

  it('fails on a present but unreadable BackupDateUTC instead of guessing from the Name', () => {
    const body = '{"RestorePoints":[{"UID":"u1","Name":"Jun  5 2025  1:01AM","BackupDateUTC":"05/06/2025 01:01"}]}';
    expect(parseFailure(body, JSON_CT).message).toMatch(/BackupDateUTC "05\/06\/2025 01:01" is not an RFC 3339 time/);
  });

  it('fails on a point with neither date nor name', () => {
    expect(parseFailure('{"RestorePoints":[{"UID":"u1"}]}', JSON_CT).message).toMatch(
      /#1 \(u1\): neither BackupDateUTC nor Name/,
    );
  });

  it('fails on list items that are not objects', () => {
    expect(parseFailure('{"RestorePoints":[null]}', JSON_CT).message).toBe('restore point #1 is not an object');
  });

  it('fails on truncated XML rather than counting the points before the cut', () => {
    const body = fixture('restore-points-entity.xml');
    const cut = body.indexOf('<RestorePoint ', body.indexOf('</RestorePoint>'));
    expect(parseFailure(body.slice(0, cut + 40), XML).message).toMatch(/^malformed XML/);
    expect(parseFailure(body.slice(0, body.lastIndexOf('</RestorePoints>')), XML).message).toMatch(/^malformed XML/);
  });

  it('fails on truncated or malformed JSON', () => {
    const body = fixture('restore-points-entity-v12.json');
    expect(parseFailure(body.slice(0, body.length / 2), JSON_CT).message).toMatch(/^malformed JSON/);
    expect(parseFailure('{"RestorePoints":[}', JSON_CT).message).toMatch(/^malformed JSON/);
  });

  it('fails on empty bodies', () => {
    expect(parseFailure('', XML).message).toBe('empty body');
    expect(parseFailure('  \n', JSON_CT).message).toBe('empty body');
  });

  it('fails on garbage, with a short message even for a huge body', () => {
    const huge = `<RestorePoints><RestorePoint Name="${'x'.repeat(1_000_000)}"`;
    const message = parseFailure(huge, XML).message;
    expect(message).toMatch(/^malformed XML/);
    expect(message.length).toBeLessThan(250);
    expect(parseFailure('not json at all', JSON_CT).message.length).toBeLessThan(250);
    expect(parseFailure('garbage', XML).message).toMatch(/^malformed XML/);
  });

  it('reports an EM Error document with its message', () => {
    expect(parseFailure(fixture('error-500.xml'), XML).message).toBe(
      'EM sent an Error document: Object reference not set to an instance of an object.',
    );
    expect(parseFailure(fixture('error-400.json'), JSON_CT).message).toBe(
      'EM sent an Error document: Node [root] does not exist.',
    );
  });

  it('names an unexpected root or unexpected keys', () => {
    expect(parseFailure('<Backups/>', XML).message).toMatch(/unexpected XML root <Backups>/);
    expect(parseFailure('{"Backups":[],"Links":null}', JSON_CT).message).toBe(
      'JSON without RestorePoints or Refs (keys: Backups, Links)',
    );
    expect(parseFailure('"text"', JSON_CT).message).toMatch(/unexpected JSON string/);
    expect(parseFailure('{"RestorePoints":"x"}', JSON_CT).message).toMatch(
      /RestorePoints is not a list \(found string\)/,
    );
  });

  it('refuses XML names that would pollute prototypes', () => {
    expect(() => parseRestorePoints('<RestorePoints><constructor/></RestorePoints>', XML)).toThrow(ParseError);
  });
});

describe('parseRestorePoints: hostile XML', () => {
  it('refuses billion laughs at once, without expanding it', () => {
    const started = performance.now();
    const error = parseFailure(fixture('billion-laughs.xml'), XML);
    expect(performance.now() - started).toBeLessThan(100);
    expect(error.message).toMatch(/DOCTYPE/);
    expect(error.message.length).toBeLessThan(100);
  });

  it('refuses external entities', () => {
    const error = parseFailure(fixture('external-entity.xml'), XML);
    expect(error.message).toMatch(/DOCTYPE/);
    expect(error.message).not.toMatch(/root:/);
  });

  it('refuses a DOCTYPE hidden after the root start too', () => {
    expect(parseFailure('<RestorePoints><!doctype x [<!ENTITY a "b">]></RestorePoints>', XML).message).toMatch(
      /DOCTYPE/,
    );
  });

  it('leaves undeclared entity references as literal text', () => {
    const body = '<EntityReferences><Ref UID="&xxe;" Name="Jun  5 2025  1:01AM"/></EntityReferences>';
    expect(parseRestorePoints(body, XML)).toEqual([{ uid: '&xxe;', timeMs: Date.UTC(2025, 5, 5, 1, 1) }]);
  });

  it('decodes the predefined entities and character references EM uses', () => {
    const body =
      '<EntityReferences><Ref UID="a&amp;b&#x3C;&#62;&quot;&apos;&lt;" Name="Jun&#32; 5 2025  1:01AM"/></EntityReferences>';
    expect(parseRestorePoints(body, XML)).toEqual([{ uid: 'a&b<>"\'<', timeMs: Date.UTC(2025, 5, 5, 1, 1) }]);
  });
});
