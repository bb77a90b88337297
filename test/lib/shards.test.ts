import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Column } from '../../lib/arrow.ts';
import { parquetLite, parquetWasm, writeShards } from '../../lib/shards.ts';
import { readParquetFile, tmp } from '../helpers.ts';

interface Row {
  id: string;
  n: number;
  text: string;
  ok: boolean;
  lines: number[];
}

const COLUMNS: Column<Row>[] = [
  { name: 'id', type: 'string' },
  { name: 'n', type: 'int32' },
  { name: 'text', type: 'string' },
  { name: 'ok', type: 'bool' },
  { name: 'lines', type: 'int32_list' },
];

const rows: Row[] = Array.from({ length: 2503 }, (_, i) => ({
  id: `r${i}`,
  n: i * 7 - 100,
  text: i % 11 === 0 ? 'é😀 "quoted"\nline' : `row ${i}`,
  ok: i % 3 === 0,
  lines: Array.from({ length: i % 4 }, (_, k) => k + i),
}));

async function* gen() {
  yield* rows;
}

for (const engine of [parquetWasm, parquetLite]) {
  describe(`sharded Parquet sink (${engine.name})`, () => {
    it('writes part-NNNNN files of the configured size that an independent reader reads back equal', async () => {
      const dir = tmp();
      const shards = await writeShards(gen(), { dir, columns: COLUMNS, rowsPerShard: 1000, engine });
      expect(shards.map((s) => [s.file, s.rows])).to.deep.equal([
        ['part-00000.parquet', 1000],
        ['part-00001.parquet', 1000],
        ['part-00002.parquet', 503],
      ]);
      expect(readdirSync(dir).sort()).to.deep.equal(shards.map((s) => s.file)); // no temporary file left
      const back: Row[] = [];
      for (const s of shards) {
        const buf = readFileSync(join(dir, s.file));
        expect(s.sha256).to.equal(createHash('sha256').update(buf).digest('hex'));
        expect(s.bytes).to.equal(buf.length);
        for (const r of await readParquetFile(join(dir, s.file))) {
          // parquetjs-lite writes a list as a bare repeated field: an empty list reads back as null
          const lines = engine === parquetLite && r.lines === null ? [] : r.lines;
          back.push({ ...(r as unknown as Row), lines: Array.from(lines as Iterable<number>) });
        }
      }
      expect(back).to.deep.equal(rows);
    });

    it('names the column of a value of the wrong type', async () => {
      async function* bad() {
        yield { ...rows[0]!, n: 'seven' as unknown as number };
      }
      let err: Error | undefined;
      try {
        await writeShards(bad(), { dir: tmp(), columns: COLUMNS, engine });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.equal('column n: expected int32, got string');
    });
  });
}
