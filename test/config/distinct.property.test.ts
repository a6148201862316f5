import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';

/**
 * The rules that compare entries (distinct em labels, distinct backups within an EM) against a model
 * written here from their documented meaning: IDs compare as bare lower-case GUIDs, a name defaults to
 * the URL host, and an entry that failed for another reason still counts when its own value is valid.
 */

const GUIDS = [
  '0f7d1c2b-3a4e-4b5f-8c6d-7e8f90a1b2c3',
  '7b6a400c-452c-41d1-bb81-ea682e89492d',
  '2d1e0f3a-9b8c-4d7e-a6f5-0e1d2c3b4a59',
] as const;

type Entry =
  | { kind: 'bare'; guid: number; urn: boolean; upper: boolean }
  | {
      kind: 'mapping';
      guid: number;
      urn: boolean;
      upper: boolean;
      rpo: 'none' | 'valid' | 'invalid';
      unknownKey: boolean;
    }
  | { kind: 'invalid' };

type Em = {
  host: 'em01' | 'EM01' | 'em02' | 'bad';
  name: 'none' | 'a' | 'b' | 'em01' | 'empty' | 'number';
  entries: Entry[];
};

const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ kind: fc.constant('bare' as const), guid: fc.nat(2), urn: fc.boolean(), upper: fc.boolean() }),
  fc.record({
    kind: fc.constant('mapping' as const),
    guid: fc.nat(2),
    urn: fc.boolean(),
    upper: fc.boolean(),
    rpo: fc.constantFrom('none' as const, 'valid' as const, 'invalid' as const),
    unknownKey: fc.boolean(),
  }),
  fc.constant({ kind: 'invalid' as const }),
);

const emArb: fc.Arbitrary<Em> = fc.record({
  host: fc.constantFrom('em01' as const, 'EM01' as const, 'em02' as const, 'bad' as const),
  name: fc.constantFrom(
    'none' as const,
    'a' as const,
    'b' as const,
    'em01' as const,
    'empty' as const,
    'number' as const,
  ),
  entries: fc.array(entryArb, { minLength: 1, maxLength: 5 }),
});

function idText(entry: { guid: number; urn: boolean; upper: boolean }): string {
  const id = `${entry.urn ? 'urn:veeam:Backup:' : ''}${GUIDS[entry.guid]}`;
  return entry.upper ? id.toUpperCase() : id;
}

function entryYaml(entry: Entry): string {
  if (entry.kind === 'invalid') return 'not-a-guid';
  if (entry.kind === 'bare') return idText(entry);
  const rpo = { none: '', valid: ', rpo: 2h', invalid: ', rpo: 2x' }[entry.rpo];
  return `{ id: ${idText(entry)}${rpo}${entry.unknownKey ? ', colour: blue' : ''} }`;
}

function configYaml(ems: readonly Em[]): string {
  let text = 'enterpriseManagers:\n';
  for (const em of ems) {
    text += `  - url: ${em.host === 'bad' ? 'not a url' : `https://${em.host}:9398`}\n`;
    const name = { none: undefined, a: 'a', b: 'b', em01: 'em01', empty: "''", number: '5' }[em.name];
    if (name !== undefined) text += `    name: ${name}\n`;
    text += '    username: svc\n    password: x\n    backups:\n';
    for (const entry of em.entries) text += `      - ${entryYaml(entry)}\n`;
  }
  return text;
}

/** The duplicate issues the rules must raise, in file order. */
function expectedDuplicates(ems: readonly Em[]): Array<[path: string, message: string]> {
  const out: Array<[string, string]> = [];
  const firstWithName = new Map<string, number>();
  ems.forEach((em, i) => {
    const explicit = em.name === 'a' || em.name === 'b' || em.name === 'em01';
    const name = explicit ? em.name : em.host === 'bad' ? undefined : em.host.toLowerCase();
    if (name !== undefined) {
      const first = firstWithName.get(name);
      if (first === undefined) firstWithName.set(name, i);
      else {
        const clash = `duplicate Enterprise Manager name "${name}": enterpriseManagers[${first}] has it too, and the name is the em label`;
        out.push(
          explicit
            ? [`enterpriseManagers[${i}].name`, clash]
            : [`enterpriseManagers[${i}].url`, `${clash}; set a distinct name`],
        );
      }
    }
    const firstWithId = new Map<number, number>();
    em.entries.forEach((entry, j) => {
      if (entry.kind === 'invalid') return;
      const first = firstWithId.get(entry.guid);
      if (first === undefined) {
        firstWithId.set(entry.guid, j);
        return;
      }
      const path = `enterpriseManagers[${i}].backups[${j}]${entry.kind === 'mapping' ? '.id' : ''}`;
      out.push([
        path,
        `duplicate backup ${GUIDS[entry.guid]}: already listed at enterpriseManagers[${i}].backups[${first}]`,
      ]);
    });
  });
  return out;
}

describe('rules across entries, against a model', () => {
  it('raise exactly the duplicates of valid values, at their key paths, beside every other error', () => {
    fc.assert(
      fc.property(fc.array(emArb, { minLength: 1, maxLength: 4 }), (ems) => {
        const result = parseConfigText(configYaml(ems), 'config.yaml', {});
        const issues = result.ok ? [] : result.issues;
        const duplicates = issues.filter((issue) => issue.message.startsWith('duplicate '));
        expect(duplicates.map((issue) => [issue.path, issue.message])).toEqual(expectedDuplicates(ems));
        // Every issue is placed, and the config is accepted exactly when nothing is wrong.
        for (const issue of issues) expect(issue.line, issue.path).toBeDefined();
        const wrong = ems.some(
          (em) =>
            em.host === 'bad' ||
            em.name === 'empty' ||
            em.name === 'number' ||
            em.entries.some(
              (e) => e.kind === 'invalid' || (e.kind === 'mapping' && (e.rpo === 'invalid' || e.unknownKey)),
            ),
        );
        expect(result.ok).toBe(!wrong && duplicates.length === 0);
      }),
      { numRuns: 150 },
    );
  });
});
