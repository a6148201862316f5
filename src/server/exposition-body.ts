/**
 * Encodes an exposition given in parts (see ExpositionPart). Stable parts keep their bytes, and
 * their compressed bytes, from one scrape to the next, so at 10,000 backups a scrape compresses the
 * few hundred kilobytes that changed instead of 12 MB.
 *
 * The gzip body is one member: each part is compressed as raw deflate ending in a sync flush (byte
 * aligned, no final block, no reference to earlier parts), and such pieces form a valid deflate
 * stream when concatenated, as pigz does; an empty final block, the CRC-32 and the size close it.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { ExpositionPart } from '../metrics/exposition.js';

const deflateRaw = promisify(zlib.deflateRaw);
const gzip = promisify(zlib.gzip);

/** zlib.crc32 exists from Node.js 20.15 / 22.2; without it the whole body is gzipped at once. */
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

// ID1 ID2, deflate, no flags, no mtime, no extra flags, OS unknown (RFC 1952).
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** BFINAL=1, fixed Huffman, end of block: ends the deflate stream. */
const FINAL_EMPTY_BLOCK = [0x03, 0x00];

interface Encoded {
  bytes: Buffer;
  /** Per level. */
  deflated: Map<number, Promise<Buffer>>;
}

const encoded = new WeakMap<ExpositionPart, Encoded>();

function encodedOf(part: ExpositionPart): Encoded {
  let e = encoded.get(part);
  if (e === undefined) {
    e = { bytes: Buffer.from(part.text, 'utf8'), deflated: new Map() };
    if (part.stable) encoded.set(part, e);
  }
  return e;
}

function deflated(e: Encoded, level: number): Promise<Buffer> {
  let pending = e.deflated.get(level);
  if (pending === undefined) {
    // On the thread pool: a scrape that must compress everything afresh does not block other requests.
    pending = deflateRaw(e.bytes, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    e.deflated.set(level, pending);
    pending.catch(() => e.deflated.delete(level));
  }
  return pending;
}

/** The exposition as bytes, in order; write them one after the other. */
export function identityChunks(parts: readonly ExpositionPart[]): Buffer[] {
  const out: Buffer[] = [];
  for (const part of parts) if (part.text !== '') out.push(encodedOf(part).bytes);
  return out;
}

/** The exposition as a gzip body (RFC 1952), in chunks to write one after the other. */
export async function gzipChunks(parts: readonly ExpositionPart[], level: number): Promise<Buffer[]> {
  const nonEmpty = parts.filter((p) => p.text !== '');
  const all = nonEmpty.map(encodedOf);
  if (crc32 === undefined) return [await gzip(Buffer.concat(all.map((e) => e.bytes)), { level })];
  const pieces = await Promise.all(all.map((e) => deflated(e, level)));
  let crc = 0;
  let size = 0;
  for (const e of all) {
    crc = crc32(e.bytes, crc);
    size += e.bytes.length;
  }
  const trailer = Buffer.alloc(10);
  trailer.set(FINAL_EMPTY_BLOCK, 0);
  trailer.writeUInt32LE(crc >>> 0, 2);
  trailer.writeUInt32LE(size % 2 ** 32, 6);
  return [GZIP_HEADER, ...pieces, trailer];
}
