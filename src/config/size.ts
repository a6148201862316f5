/**
 * Byte sizes as Prometheus writes them (`body_size_limit`): an integer and a unit, every unit a power
 * of 1024 whether written KB or KiB, e.g. `512KiB`, `32MiB`, `1GB`.
 */

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
};

const SIZE_RE = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB)$/;
const HINT = 'use an integer and a unit (B, KiB, MiB, GiB; KB, MB, GB mean the same), e.g. 32MiB';

/** Bytes for a size such as `32MiB`; throws an Error with a fix-it hint otherwise. */
export function parseByteSize(text: string): number {
  const match = SIZE_RE.exec(text.trim());
  if (match === null) throw new Error(`not a valid size "${text}": ${HINT}`);
  const bytes = Number(match[1]) * UNITS[match[2]!]!;
  if (!Number.isSafeInteger(bytes)) throw new Error(`size "${text}" is too large`);
  return bytes;
}
