import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { fileBytes, type Damage } from '../../lib/decompress.ts';
import { FIXTURES, tmp } from '../helpers.ts';

/** The bytes of a file as `fileBytes` gives them to a reader that takes `ms` per chunk, and the damage. */
async function slowly(path: string, ms: number) {
  const chunks: Buffer[] = [];
  let damage: Damage | undefined;
  for await (const c of fileBytes(path)) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (Buffer.isBuffer(c)) chunks.push(c);
    else damage = c.damage;
  }
  return { bytes: Buffer.concat(chunks), damage };
}

/** What zcat recovers of a damaged gzip file: everything that decompresses. */
const zcat = (path: string) => gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH });

describe('fileBytes: plain or gzip bytes, and where a gzip file is damaged', () => {
  it('a reader slower than gunzip gets every complete line before a cut, as zcat does', async () => {
    // the fixtures three times over, cut at 13 places; read slowly, a failed gunzip stream dropped the
    // output it still held (20 of 24 complete lines kept)
    const gz = gzipSync(readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').repeat(3));
    const path = join(tmp(), 'cut.jsonl.gz');
    for (let i = 1; i < 40; i += 3) {
      const cut = gz.subarray(0, Math.floor((gz.length * i) / 40) + 7);
      writeFileSync(path, cut);
      const { bytes, damage } = await slowly(path, 2);
      const all = zcat(path);
      const lines = all.subarray(0, all.lastIndexOf(10) + 1);
      expect(bytes.subarray(0, lines.length).equals(lines), `cut at ${i}/40`).to.equal(true);
      expect(all.subarray(0, bytes.length).equals(bytes)).to.equal(true);
      expect(damage).to.deep.equal({
        reason: 'unexpected end of file',
        cut: true,
        at: cut.length,
        size: cut.length,
      });
    }
  });

  it('a whole file comes out whole; one whose data fails its checksum is damaged, not cut', async () => {
    const text = readFileSync(join(FIXTURES, 'apps.jsonl'));
    const dir = tmp();
    const whole = join(dir, 'whole.jsonl.gz');
    writeFileSync(whole, gzipSync(text));
    expect(await slowly(whole, 0)).to.deep.equal({ bytes: text, damage: undefined });
    const plain = join(dir, 'plain.jsonl');
    writeFileSync(plain, text);
    expect(await slowly(plain, 0)).to.deep.equal({ bytes: text, damage: undefined });
    const bad = Buffer.from(gzipSync(text));
    bad[bad.length - 8]! ^= 0xff; // the CRC-32 of the trailer
    const crc = join(dir, 'crc.jsonl.gz');
    writeFileSync(crc, bad);
    const { damage } = await slowly(crc, 0);
    expect(damage).to.deep.include({ reason: 'incorrect data check', cut: false });
  });
});
