/**
 * Fuzzing the EM body parsers. Whatever EM (or whatever answers in its place) sends, the parsers
 * either return well-formed values or throw their documented ParseError, and they do it in time
 * linear in the body size.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackupMetadata, RestorePoint } from '../../src/domain.js';
import { ParseError, parseBackupEntity, parseRestorePoints } from '../../src/em/index.js';
import { EmSimulator, type SimBackup } from '../../src/simulator/index.js';

const XML = 'application/xml; charset=utf-8';
const JSON_CT = 'application/json; charset=utf-8';
const FIXTURES = fileURLToPath(new URL('../fixtures/em/', import.meta.url));

interface Body {
  label: string;
  body: string;
  contentType: string;
}

type Parser = (body: string, contentType: string) => unknown;

function contentTypeOf(file: string): string {
  if (file.endsWith('.xml')) return XML;
  if (file.endsWith('.json')) return JSON_CT;
  return 'text/html';
}

const fixtureBodies: Body[] = readdirSync(FIXTURES)
  .sort()
  .map((file) => ({ label: file, body: readFileSync(join(FIXTURES, file), 'utf8'), contentType: contentTypeOf(file) }));

// ---------------------------------------------------------------------------------------------
// What the parsers promise

function checkRestorePoints(points: unknown): void {
  expect(Array.isArray(points)).toBe(true);
  const list = points as RestorePoint[];
  expect(Number.isInteger(list.length) && list.length >= 0).toBe(true);
  for (const p of list) {
    expect(typeof p.uid).toBe('string');
    // Finite and a whole number of milliseconds: NaN or Infinity would reach the exposition.
    expect(Number.isSafeInteger(p.timeMs), `timeMs ${p.timeMs}`).toBe(true);
  }
}

function checkBackup(meta: unknown): void {
  const m = meta as BackupMetadata;
  for (const key of ['id', 'name', 'platform', 'backupType', 'backupServer', 'repository'] as const) {
    expect(typeof m[key], key).toBe('string');
  }
  expect(m.name.trim()).not.toBe('');
}

/** Runs one parser on one body: a result that keeps the promises, or a short ParseError. */
function outcome(parse: Parser, body: string, contentType: string): 'value' | 'ParseError' {
  let result: unknown;
  try {
    result = parse(body, contentType);
  } catch (err) {
    if (!(err instanceof ParseError)) {
      throw new Error(
        `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a ParseError`,
      );
    }
    // Messages quote at most short excerpts: a megabyte body must not become a megabyte log line.
    expect(err.message.length).toBeLessThan(600);
    // eslint-disable-next-line no-control-regex -- no control character may reach a log line
    expect(err.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    return 'ParseError';
  }
  if (parse === parseRestorePoints) checkRestorePoints(result);
  else checkBackup(result);
  return 'value';
}

function checkBoth(body: string, contentType: string): void {
  outcome(parseRestorePoints, body, contentType);
  outcome(parseBackupEntity, body, contentType);
}

// ---------------------------------------------------------------------------------------------
// Bodies the simulator renders, over real HTTPS, in every representation it speaks

const BACKUP_ID = '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3';
const simulatorBodies: Body[] = [];

function fetchBody(url: string, ca: string, options: { method?: string; headers?: Record<string, string> }) {
  return new Promise<{ status: number; body: string; contentType: string; token?: string }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const token = res.headers['x-restsvcsessionid'];
        resolve({
          status: res.statusCode ?? 0,
          body,
          contentType: res.headers['content-type'] ?? '',
          ...(typeof token === 'string' ? { token } : {}),
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const backups: SimBackup[] = [
    {
      id: BACKUP_ID,
      name: 'SQL & Exchange <prod> "FS01"',
      repository: "Tenant's ]]> repo",
      restorePoints: [
        Date.UTC(2025, 5, 5, 1, 1, 27, 110),
        Date.UTC(2024, 1, 29, 23, 59, 59, 999),
        Date.UTC(2025, 0, 1),
      ],
    },
  ];
  const sim = new EmSimulator({ users: [{ username: 'u', password: 'p' }], backups });
  const { url, caPem } = await sim.start();
  try {
    for (const accept of ['application/xml', 'application/json']) {
      const logon = await fetchBody(`${url}/api/sessionMngr/?v=latest`, caPem, {
        method: 'POST',
        headers: { accept, authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
      });
      const headers = { accept, 'x-restsvcsessionid': logon.token ?? '' };
      for (const style of ['v12', 'v13'] as const) {
        if (accept === 'application/xml' && style === 'v13') continue;
        sim.setJsonStyle(style);
        for (const names of ['mssql', 'postgres'] as const) {
          sim.setNameStyle(names);
          for (const path of [
            `/api/backups/${BACKUP_ID}/restorePoints?format=Entity`,
            `/api/backups/${BACKUP_ID}/restorePoints`,
            `/api/backups/${BACKUP_ID}?format=Entity`,
            `/api/backups/${BACKUP_ID}`,
          ]) {
            const got = await fetchBody(`${url}${path}`, caPem, { headers });
            expect(got.status, path).toBe(200);
            simulatorBodies.push({
              label: `${accept} ${style} ${names} ${path}`,
              body: got.body,
              contentType: got.contentType,
            });
          }
        }
      }
    }
  } finally {
    await sim.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// Mutations

const INSERTS = [
  '<',
  '>',
  '&',
  '&amp',
  '&#0;',
  '&#x110000;',
  '&#xD800;',
  '&lol;',
  ']]>',
  '<![CDATA[',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '"',
  "'",
  '=',
  '/>',
  '</RestorePoint>',
  '<RestorePoint>',
  '<RestorePoint/>',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '💾',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  'null',
  'true',
  '1e999',
  '-1e999',
  '9007199254740993',
  '-0',
  'NaN',
  '"__proto__":{"x":1},',
  '"constructor":null,',
  '<__proto__>x</__proto__>',
  '<constructor/>',
  '"BackupDateUTC":null,',
  '"BackupDateUTC":"garbage",',
  '"BackupDateUTC":1e308,',
  '"Name":[],',
  ' BackupDateUTC="0000-00-00T00:00:00Z"',
  ' BackupDateUTC="9999-12-31T23:59:60.9999999+23:59"',
  '<BackupDateUTC>2025-02-29T00:00:00Z</BackupDateUTC>',
  '<BackupDateUTC>1753-01-01T00:00:00Z</BackupDateUTC>',
  '<Name>Feb 30 2025 13:00PM</Name>',
  '<Name>0001-01-01 00:00:00</Name>',
  '<BackupDateUTC><a/></BackupDateUTC>',
];

const ODD_DATES = [
  '',
  ' ',
  '0',
  '-1',
  '1e999',
  'NaN',
  'Infinity',
  'null',
  '2025-13-01T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2024-02-29T24:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.9999999Z',
  '2025-06-05T01:01:27.110+99:99',
  '2025-06-05T01:01:27-23:59',
  '2025-06-05T01:01:60Z',
  '1753-01-01T00:00:00Z',
  '0001-01-01T00:00:00',
  '2025-06-05 01:01:27.123456789012345678901234567890',
  'Jun  5 2025  1:01AM',
  'Jun 31 2025 12:00PM',
  'Feb 29 2023  1:01AM',
  'Jan  1 0000 12:00AM',
  'xyz@Jun  5 2025  1:01AM',
  '٢٠٢٥-٠٦-٠٥T01:01:27Z',
  '2025-06-05T01:01:27Z\u0000',
  '+275760-09-13T00:00:00Z',
];

type Mutation = (s: string) => string;

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const at = (s: string, f: number): number => Math.floor(f * (s.length + 1));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // byte flip: one character replaced by an arbitrary code unit
  fc.tuple(position, fc.integer({ min: 0, max: 0xffff })).map(([p, c]): Mutation => (s) => {
    const i = Math.min(at(s, p), Math.max(0, s.length - 1));
    return s.slice(0, i) + String.fromCharCode(c) + s.slice(i + 1);
  }),
  // truncation, as a dropped connection leaves it
  position.map(
    (p): Mutation =>
      (s) =>
        s.slice(0, at(s, p)),
  ),
  // insertion of markup, entities, JSON tokens, odd values
  fc.tuple(position, fc.constantFrom(...INSERTS)).map(
    ([p, x]): Mutation =>
      (s) =>
        s.slice(0, at(s, p)) + x + s.slice(at(s, p)),
  ),
  // a region repeated: duplicate elements, attributes and keys
  fc.tuple(position, position, fc.integer({ min: 2, max: 4 })).map(([a, b, n]): Mutation => (s) => {
    const [i, j] = [at(s, a), at(s, b)].sort((x, y) => x - y) as [number, number];
    return s.slice(0, j) + s.slice(i, j).repeat(n - 1) + s.slice(j);
  }),
  // a region removed
  fc.tuple(position, position).map(([a, b]): Mutation => (s) => {
    const [i, j] = [at(s, a), at(s, b)].sort((x, y) => x - y) as [number, number];
    return s.slice(0, i) + s.slice(j);
  }),
  // the case of every key changed (EM's JSON keys are matched case-insensitively; XML names are not)
  fc.constantFrom<Mutation>(
    (s) => s.replace(/"(\w+)":/g, (_, k: string) => `"${k.toUpperCase()}":`),
    (s) => s.replace(/"(\w+)":/g, (_, k: string) => `"${k.toLowerCase()}":`),
    (s) => s.replace(/<(\/?)(\w+)/g, (_, slash: string, k: string) => `<${slash}${k.toLowerCase()}`),
    (s) => s.replace(/ (\w+)=/g, (_, k: string) => ` ${k.toUpperCase()}=`),
  ),
  // a date or name value replaced by an odd one
  fc.tuple(fc.constantFrom(...ODD_DATES), fc.boolean()).map(
    ([d, json]): Mutation =>
      (s) =>
        json
          ? s.replace(
              /("(?:backupDateUTC|BackupDateUTC|name|Name)":)"[^"]*"/,
              (_, k: string) => `${k}${JSON.stringify(d)}`,
            )
          : s.replace(
              /((?:BackupDateUTC|Name)="|<BackupDateUTC>)[^"<]*/,
              (_, k: string) => `${k}${d.replace(/[<&"]/g, '')}`,
            ),
  ),
  // values replaced by huge numbers and nulls
  fc
    .tuple(
      fc.constantFrom('null', '1e400', '-1e400', '123456789012345678901234567890', '[]', '{}', '""', 'true'),
      position,
    )
    .map(([v, p]): Mutation => (s) => {
      let n = 0;
      const target = at(s, p) % 7;
      return s.replace(/:\s*"[^"]*"/g, (whole) => (n++ === target ? `:${v}` : whole));
    }),
  // a region nested deep inside extra elements or arrays
  fc
    .tuple(position, position, fc.integer({ min: 1, max: 3_000 }), fc.boolean())
    .map(([a, b, depth, json]): Mutation => (s) => {
      const [i, j] = [at(s, a), at(s, b)].sort((x, y) => x - y) as [number, number];
      const [open, close] = json ? ['['.repeat(depth), ']'.repeat(depth)] : ['<n>'.repeat(depth), '</n>'.repeat(depth)];
      return s.slice(0, i) + open + s.slice(i, j) + close + s.slice(j);
    }),
);

const mutations = fc.array(mutation, { minLength: 1, maxLength: 6 });

const CONTENT_TYPES = [XML, JSON_CT, '', 'text/html', 'application/xml+json', 'text/plain'];

// ---------------------------------------------------------------------------------------------

describe('parser fuzzing: mutated real bodies', () => {
  it('has the fixtures and the simulator bodies to start from, and they parse cleanly', () => {
    expect(fixtureBodies.length).toBeGreaterThanOrEqual(15);
    expect(simulatorBodies).toHaveLength(24);
    const points = simulatorBodies.filter((b) => b.label.includes('restorePoints'));
    for (const b of points) expect(parseRestorePoints(b.body, b.contentType), b.label).toHaveLength(3);
    for (const b of simulatorBodies.filter((x) => !x.label.includes('restorePoints'))) {
      expect(parseBackupEntity(b.body, b.contentType).name, b.label).toBe('SQL & Exchange <prod> "FS01"');
    }
  });

  it('returns sound values or throws ParseError, for any mutation of a fixture', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtureBodies),
        mutations,
        fc.constantFrom(...CONTENT_TYPES, null),
        (seed, muts, ct) => {
          const body = muts.reduce((s, m) => m(s), seed.body);
          checkBoth(body, ct ?? seed.contentType);
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('returns sound values or throws ParseError, for any mutation of a body the simulator rendered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...simulatorBodies), mutations, (seed, muts) => {
        checkBoth(
          muts.reduce((s, m) => m(s), seed.body),
          seed.contentType,
        );
      }),
      { numRuns: 1_500 },
    );
  });

  it('reads exactly the points of a mutated JSON body whose dates are all valid or all refused', () => {
    // Structural JSON mutations through the tree: keys in any case, extra keys, nulls, wrappers.
    const date = fc.date({
      min: new Date(Date.UTC(1900, 0, 1)),
      max: new Date(Date.UTC(9999, 11, 31)),
      noInvalidDate: true,
    });
    const key = (name: string) =>
      fc.constantFrom(name, name.toLowerCase(), name.toUpperCase(), name[0]!.toLowerCase() + name.slice(1));
    const point = fc.record({
      k: key('BackupDateUTC'),
      d: date,
      extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 20 }), key('RestorePoints'), (pts, listKey) => {
        const items = pts.map((p) => {
          // Extra keys first, so a colliding key cannot overwrite the date.
          const item: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(p.extra))
            if (k.toLowerCase() !== 'backupdateutc' && k.toLowerCase() !== 'name') item[k] = v;
          item[p.k] = p.d.toISOString();
          return item;
        });
        const body = JSON.stringify({ [listKey]: items });
        const parsed = parseRestorePoints(body, JSON_CT);
        expect(parsed.map((p) => p.timeMs)).toEqual(pts.map((p) => p.d.getTime()));
      }),
      { numRuns: 300 },
    );
  });
});

describe('parser fuzzing: random bodies', () => {
  it('returns sound values or throws ParseError for arbitrary text', () => {
    const unit = fc.constantFrom<'grapheme' | 'binary' | 'grapheme-ascii'>('grapheme', 'binary', 'grapheme-ascii');
    const body = unit.chain((u) => fc.string({ unit: u, maxLength: 400 }));
    fc.assert(
      fc.property(body, fc.constantFrom(...CONTENT_TYPES), (b, ct) => checkBoth(b, ct)),
      { numRuns: 2_000 },
    );
  });

  it('returns sound values or throws ParseError for arbitrary JSON, bare and under the keys EM uses', () => {
    const wrap = fc.constantFrom(
      (v: unknown) => v,
      (v: unknown) => ({ RestorePoints: v }),
      (v: unknown) => ({ restorePoints: { restorePoints: v } }),
      (v: unknown) => ({ Refs: v }),
      (v: unknown) => ({ Entities: { RestorePoints: { RestorePoints: v } } }),
      (v: unknown) => ({ RestorePoints: [v] }),
      (v: unknown) => ({ RestorePoints: [{ BackupDateUTC: v, Name: v }] }),
      (v: unknown) => ({ Name: v, Links: v, UID: v }),
      (v: unknown) => ({ StatusCode: 500, Message: v }),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), wrap, fc.constantFrom(JSON_CT, ''), (v, w, ct) =>
        checkBoth(JSON.stringify(w(v)), ct),
      ),
      { numRuns: 2_000 },
    );
  });

  it('returns sound values or throws ParseError for random XML-like trees, escaped or not', () => {
    const names = fc.constantFrom(
      'RestorePoints',
      'RestorePoint',
      'EntityReferences',
      'Ref',
      'EntityRef',
      'Backup',
      'QueryResult',
      'Entities',
      'Refs',
      'Links',
      'Link',
      'BackupDateUTC',
      'Name',
      'UID',
      'Error',
      'x:RestorePoint',
      'a',
      '__proto__',
      'constructor',
      '#text',
      'n-1',
      'é',
    );
    const raw = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...ODD_DATES), fc.constantFrom(...INSERTS));
    const attr = fc.tuple(
      fc.constantFrom(
        'Name',
        'UID',
        'BackupDateUTC',
        'Href',
        'Type',
        'Rel',
        'Message',
        'name',
        '__proto__',
        'xmlns',
        'x:y',
      ),
      raw,
    );
    const { node } = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        raw,
        fc
          .tuple(names, fc.array(attr, { maxLength: 4 }), fc.array(tie('node'), { maxLength: 5 }), fc.boolean())
          .map(([n, attrs, children, escape]) => {
            const a = attrs
              .map(
                ([k, v]) =>
                  ` ${k}="${escape ? v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;') : v}"`,
              )
              .join('');
            return children.length === 0 ? `<${n}${a}/>` : `<${n}${a}>${children.join('')}</${n}>`;
          }),
      ),
    }));
    fc.assert(
      fc.property(node, fc.constantFrom(XML, ''), (b, ct) => checkBoth(b, ct)),
      { numRuns: 2_000 },
    );
  });

  it('survives nesting far deeper than any parser stack: XML and JSON, arrays, objects and #text', () => {
    const depth = 100_000;
    const cases: Array<[string, string]> = [
      [`<RestorePoints>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</RestorePoints>`, XML],
      [`<RestorePoints>${'<a>'.repeat(depth)}</RestorePoints>`, XML],
      [`<Backup Name="x">${'<Links>'.repeat(depth)}${'</Links>'.repeat(depth)}</Backup>`, XML],
      [`{"RestorePoints":${'['.repeat(depth)}${']'.repeat(depth)}}`, JSON_CT],
      [`{"RestorePoints":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`, JSON_CT],
      [
        `{"RestorePoints":[{"BackupDateUTC":${'{"#text":'.repeat(depth)}"2025-01-01T00:00:00Z"${'}'.repeat(depth)}}]}`,
        JSON_CT,
      ],
      [`{"Name":${'{"#text":'.repeat(depth)}"x"${'}'.repeat(depth)}}`, JSON_CT],
      [`{"Name":"x","Links":${'{"Link":'.repeat(depth)}[]${'}'.repeat(depth)}}`, JSON_CT],
    ];
    for (const [body, ct] of cases) {
      expect(() => checkBoth(body, ct), body.slice(0, 40)).not.toThrow();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Linear time

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeOf(work: () => void): number {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started);
}

const FACTOR = 8;
/** Each side of a comparison runs at least this long, so timer resolution and JIT noise stay small. */
const MIN_SAMPLE_NS = 4e6;

/**
 * How much more one body FACTOR times as large costs than FACTOR bodies of the base size: the same
 * number of bytes either way, so a linear parser scores about 1 and a quadratic one about FACTOR.
 * Both sides are measured alternately in one run, and the median of several rounds is taken, so
 * machine speed and load cancel out and no absolute time is ever compared.
 */
function superlinearity(
  parse: (body: string) => void,
  generate: (bytes: number) => string,
  baseBytes: number,
  rounds = 5,
): number {
  const small = generate(baseBytes);
  const large = generate(baseBytes * FACTOR);
  const smallBatch = (): void => {
    for (let i = 0; i < FACTOR; i++) parse(small);
  };
  // Warm the JIT up on both shapes, then size the samples.
  for (let i = 0; i < 2; i++) {
    smallBatch();
    parse(large);
  }
  const reps = Math.max(1, Math.ceil(MIN_SAMPLE_NS / Math.max(timeOf(smallBatch), 1)));
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const tSmall = timeOf(() => {
      for (let k = 0; k < reps; k++) smallBatch();
    });
    const tLarge = timeOf(() => {
      for (let k = 0; k < reps; k++) parse(large);
    });
    ratios.push(tLarge / Math.max(tSmall, 1));
  }
  return median(ratios);
}

/** Linear parsers score about 1; quadratic ones about FACTOR (8). Half-way leaves room for garbage collection. */
const LINEAR_BOUND = 4;

const tolerant =
  (parse: Parser, contentType: string) =>
  (body: string): void => {
    try {
      parse(body, contentType);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
    }
  };

/** `count` copies of `unit`, so that the body is about `bytes` long. */
const fill = (unit: string, bytes: number): string => unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));
const DATE = 'BackupDateUTC="2025-01-01T00:00:00Z"';

const SHAPES: Array<{ name: string; parse: Parser; contentType: string; body: (bytes: number) => string }> = [
  {
    name: 'XML nested deep',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints>${fill('<a>', n / 2)}${fill('</a>', (n / 2) * (4 / 3))}</RestorePoints>`,
  },
  {
    name: 'XML opened deep, never closed',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints>${fill('<a>', n)}`,
  },
  {
    name: 'XML long attribute value',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint UID="${fill('a', n)}" ${DATE}/></RestorePoints>`,
  },
  {
    name: 'XML unterminated attribute value',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint UID="${fill('a', n)}</RestorePoints>`,
  },
  {
    name: 'XML long attribute name without value',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint ${fill('a', n)}/></RestorePoints>`,
  },
  {
    name: 'XML many attributes',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint ${fill('a="x" ', n)}${DATE}/></RestorePoints>`,
  },
  {
    name: 'XML many restore points',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints>${fill(`<RestorePoint ${DATE}/>`, n)}</RestorePoints>`,
  },
  {
    name: 'XML long text',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint ${DATE}><UID>${fill('a', n)}</UID></RestorePoint></RestorePoints>`,
  },
  {
    name: 'XML many character references',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint UID="${fill('&#60;&amp;', n)}" ${DATE}/></RestorePoints>`,
  },
  {
    name: 'XML many stray <',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints>${fill('<', n)}</RestorePoints>`,
  },
  {
    name: 'XML many > in a value',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint UID="${fill('>', n)}" ${DATE}/></RestorePoints>`,
  },
  {
    name: 'XML many CDATA sections',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) =>
      `<RestorePoints><RestorePoint ${DATE}><UID>${fill('<![CDATA[x]]>', n)}</UID></RestorePoint></RestorePoints>`,
  },
  {
    name: 'XML many unterminated comments',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints>${fill('<!--', n)}</RestorePoints>`,
  },
  {
    name: 'XML whitespace inside a tag',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint${fill(' ', n)}x</RestorePoint></RestorePoints>`,
  },
  {
    name: 'XML long date fraction',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<RestorePoints><RestorePoint BackupDateUTC="2025-01-01T00:00:00.${fill('1', n)}Z"/></RestorePoints>`,
  },
  {
    name: 'XML long Name of @',
    parse: parseRestorePoints,
    contentType: XML,
    body: (n) => `<EntityReferences><Ref Name="${fill('@', n)}"/></EntityReferences>`,
  },
  {
    name: 'XML backup with many links',
    parse: parseBackupEntity,
    contentType: XML,
    body: (n) =>
      `<Backup Name="x"><Links>${fill('<Link Rel="Up" Type="RepositoryReference" Name="r"/>', n)}</Links></Backup>`,
  },
  {
    name: 'XML backup with a long name',
    parse: parseBackupEntity,
    contentType: XML,
    body: (n) => `<Backup Name="${fill('&lt;b', n)}"/>`,
  },
  {
    name: 'JSON nested arrays',
    parse: parseRestorePoints,
    contentType: JSON_CT,
    body: (n) => `{"RestorePoints":${fill('[', n / 2)}${fill(']', n / 2)}}`,
  },
  {
    name: 'JSON nested objects',
    parse: parseRestorePoints,
    contentType: JSON_CT,
    body: (n) => `{"RestorePoints":[${fill('{"a":', n / 2)}1${fill('}', n / 10)}]}`,
  },
  {
    name: 'JSON nested #text',
    parse: parseRestorePoints,
    contentType: JSON_CT,
    body: (n) => `{"RestorePoints":[{"BackupDateUTC":${fill('{"#text":', n / 2)}""${fill('}', n / 18)}}]}`,
  },
  {
    name: 'JSON many keys',
    parse: parseRestorePoints,
    contentType: JSON_CT,
    body: (n) =>
      JSON.stringify({
        RestorePoints: [Object.fromEntries(Array.from({ length: Math.floor(n / 12) }, (_, i) => [`k${i}`, 1]))],
      }),
  },
  {
    name: 'JSON many points',
    parse: parseRestorePoints,
    contentType: JSON_CT,
    body: (n) =>
      JSON.stringify({
        RestorePoints: Array.from({ length: Math.floor(n / 40) }, () => ({ BackupDateUTC: '2025-01-01T00:00:00Z' })),
      }),
  },
  {
    name: 'JSON backup with many keys',
    parse: parseBackupEntity,
    contentType: JSON_CT,
    body: (n) =>
      JSON.stringify({
        ...Object.fromEntries(Array.from({ length: Math.floor(n / 12) }, (_, i) => [`k${i}`, 1])),
        name: 'x',
      }),
  },
  {
    name: 'JSON backup with many links',
    parse: parseBackupEntity,
    contentType: JSON_CT,
    body: (n) =>
      JSON.stringify({
        Name: 'x',
        Links: Array.from({ length: Math.floor(n / 60) }, () => ({
          Rel: 'Up',
          Type: 'RepositoryReference',
          Name: 'r',
        })),
      }),
  },
];

describe('parser cost is linear in the body size', () => {
  const BASE_BYTES = 16 * 1024;

  it('the measure tells a quadratic parser from a linear one', () => {
    // Calibration: without this, a measure that always reads ~1 would pass every shape below.
    const quadratic = (body: string): void => {
      // Scans the rest of the body again every 64 characters, as a naive tokenizer might.
      for (let i = 0; i < body.length; i += 64) if (body.indexOf('\u0001', i >> 1) >= 0) throw new Error('unreachable');
    };
    expect(superlinearity(quadratic, (n) => fill('<a>', n), BASE_BYTES)).toBeGreaterThan(LINEAR_BOUND);
  });

  for (const shape of SHAPES) {
    it(shape.name, () => {
      const parse = tolerant(shape.parse, shape.contentType);
      const score = superlinearity(parse, shape.body, BASE_BYTES);
      expect(
        score,
        `${shape.name}: one ${FACTOR}x body cost ${score.toFixed(2)}x as much as ${FACTOR} small ones`,
      ).toBeLessThan(LINEAR_BOUND);
    });
  }
});
