import zlib, { constants, crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { textPart, type ExpositionPart } from '../../src/metrics/exposition.js';
import { gzipChunks, identityChunks } from '../../src/server/exposition-body.js';

const line = (i: number) =>
  `veeam_em_backup_restore_points{em="em01",backup_id="${i}",backup_name="Bäckup ${i} \\"x\\""} ${i % 30}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => line(from + k)).join('');

const textOf = (p: ExpositionPart) => p.bytes.toString('utf8');

function parts(): ExpositionPart[] {
  return [
    textPart('# HELP x y\n# TYPE x gauge\n', true),
    textPart(lines(0, 4000), true),
    textPart('', true),
    textPart(lines(4000, 4100), false),
    textPart(lines(4100, 8000), true),
  ];
}

describe('encoding an exposition given in parts', () => {
  it('writes the parts as UTF-8 bytes in order, skipping empty ones', () => {
    const p = parts();
    const chunks = identityChunks(p);
    expect(chunks).toHaveLength(4);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(p.map(textOf).join(''));
    expect(identityChunks(p)[0]).toBe(chunks[0]); // stable parts keep their bytes
  });

  it('builds one gzip member whose deflate stream, CRC and size cover the whole text', async () => {
    const p = parts();
    const text = p.map(textOf).join('');
    const body = Buffer.concat(await gzipChunks(p, 1));
    expect(gunzipSync(body).toString('utf8')).toBe(text);
    // One member: the raw deflate stream between header and trailer ends in a final block.
    expect([...body.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
    const inflated = inflateRawSync(body.subarray(10, body.length - 8), { finishFlush: constants.Z_FINISH });
    expect(inflated.toString('utf8')).toBe(text);
    expect(body.readUInt32LE(body.length - 8)).toBe(crc32(Buffer.from(text, 'utf8')));
    expect(body.readUInt32LE(body.length - 4)).toBe(Buffer.byteLength(text));
    // Nearly as small as compressing the text at once.
    expect(body.length).toBeLessThan(1.2 * zlib.gzipSync(text, { level: 1 }).length);
  });

  it('reuses the compressed bytes of stable parts and compresses fresh ones each time', async () => {
    const p = parts();
    const first = await gzipChunks(p, 1);
    const again = await gzipChunks([...p.slice(0, 3), textPart(lines(4000, 4050), false), p[4]!], 1);
    expect(again[1]).toBe(first[1]);
    expect(again[again.length - 2]).toBe(first[first.length - 2]);
    expect(gunzipSync(Buffer.concat(again)).toString('utf8')).toBe(
      [textOf(p[0]!), textOf(p[1]!), lines(4000, 4050), textOf(p[4]!)].join(''),
    );
  });

  it('compresses a small exposition at once, as parts would lose the label sets the families share', async () => {
    const small: ExpositionPart[] = [
      textPart(lines(0, 100), true),
      textPart(lines(0, 100).replace(/restore_points/g, 'rpo_seconds'), true),
    ];
    const body = Buffer.concat(await gzipChunks(small, 1));
    expect(gunzipSync(body).toString('utf8')).toBe(small.map(textOf).join(''));
    const apart = small.map((x) => zlib.deflateRawSync(x.bytes, { level: 1 }).length).reduce((a, b) => a + b, 0);
    expect(body.length).toBeLessThan(apart);
  });

  it('encodes an empty exposition as a valid empty gzip body', async () => {
    expect(gunzipSync(Buffer.concat(await gzipChunks([], 1))).length).toBe(0);
  });
});
