import type { z } from 'zod';
import type { KeyPath } from './path.js';

/** Just enough of zod's schema definitions to walk from a key path to the mapping it names. */
interface SchemaLike {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, SchemaLike>;
      element?: SchemaLike;
      innerType?: SchemaLike;
      in?: SchemaLike;
      out?: SchemaLike;
      options?: SchemaLike[];
    };
  };
}

/** The concrete schemas behind optional/default/transform/union wrappers. */
function concrete(schema: SchemaLike): SchemaLike[] {
  const def = schema._zod.def;
  if (def.innerType !== undefined) return concrete(def.innerType);
  if (def.type === 'pipe') return [def.in, def.out].filter((s) => s !== undefined).flatMap(concrete);
  if (def.type === 'union') return (def.options ?? []).flatMap(concrete);
  return [schema];
}

/** The keys a strict mapping at `path` accepts, for "unknown key" messages. */
export function knownKeysAt(schema: z.ZodType, path: KeyPath): string[] {
  let current = [schema as unknown as SchemaLike];
  for (const segment of path) {
    current = current.flatMap(concrete).flatMap((s) => {
      const def = s._zod.def;
      if (typeof segment === 'string' && def.type === 'object') return def.shape?.[segment] ?? [];
      if (typeof segment === 'number' && def.type === 'array' && def.element !== undefined) return [def.element];
      return [];
    });
  }
  const mapping = current.flatMap(concrete).find((s) => s._zod.def.type === 'object');
  return Object.keys(mapping?._zod.def.shape ?? {});
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The known key a typo most likely meant: same letters ignoring case, or at most two edits away. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const sameIgnoringCase = known.find((key) => key.toLowerCase() === lower);
  if (sameIgnoringCase !== undefined) return sameIgnoringCase;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}
