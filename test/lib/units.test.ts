import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { expect } from 'chai';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunContext } from '../../lib/context.ts';
import { readProblemUnits as readUnits } from '../../readers/index.ts';
import type { InputUnit } from '../../lib/units.ts';
import type { Problem } from '../../lib/schemas.ts';
import { appsRow, collect, FIXTURES, tmp } from '../helpers.ts';
import { gzipSync } from 'node:zlib';

const row = appsRow;
const write = (path: string, from: number, to: number) =>
  writeFileSync(path, Array.from({ length: to - from }, (_, k) => row(from + k)).join('\n') + '\n');

/** Reads every unit, skipping those whose index is in `skip`; returns keys and the problems read. */
async function walk(ctx: RunContext, input: string, size: number, skip = new Set<number>()) {
  const keys: string[] = [];
  const ids: string[][] = [];
  let i = 0;
  for await (const u of readUnits(ctx, input, { unitSize: size })) {
    keys.push(u.key);
    if (skip.has(i++)) {
      await u.skip();
      ids.push([]);
    } else ids.push((await collect(u.problems())).map((p) => `${p.problem_id}@${p.problem_index}`));
  }
  return { keys, ids };
}

describe('input units', () => {
  it('cut each file into units of N rows, numbering problems across files', async () => {
    const dir = tmp();
    write(join(dir, 'a.jsonl'), 0, 5);
    write(join(dir, 'b.jsonl'), 5, 7);
    const { ids } = await walk(new RunContext(), dir, 2);
    expect(ids).to.deep.equal([['p0@0', 'p1@1'], ['p2@2', 'p3@3'], ['p4@4'], ['p5@5', 'p6@6']]);
  });

  it('a skipped unit is passed by without counting, and the next unit starts at its own row', async () => {
    const dir = tmp();
    write(join(dir, 'a.jsonl'), 0, 6);
    const ctx = new RunContext();
    const { ids } = await walk(ctx, dir, 2, new Set([1]));
    expect(ids).to.deep.equal([['p0@0', 'p1@1'], [], ['p4@4', 'p5@5']]);
    expect(ctx.counter('read').in).to.equal(4);
  });

  it('a unit left half read does not shift the next one', async () => {
    const dir = tmp();
    write(join(dir, 'a.jsonl'), 0, 4);
    const seen: string[] = [];
    for await (const u of readUnits(new RunContext(), dir, { unitSize: 2 })) {
      for await (const p of u.problems()) {
        seen.push(p.problem_id);
        break;
      }
    }
    expect(seen).to.deep.equal(['p0', 'p2']);
  });

  it('keys are stable, stay put when a file is added after, and change with the file or the unit size', async () => {
    const dir = tmp();
    const a = join(dir, 'a.jsonl');
    write(a, 0, 4);
    const first = (await walk(new RunContext(), dir, 2)).keys;
    expect(first).to.have.length(2);
    expect(new Set(first).size).to.equal(2);
    expect((await walk(new RunContext(), dir, 2)).keys).to.deep.equal(first);
    write(join(dir, 'b.jsonl'), 4, 5);
    const grown = (await walk(new RunContext(), dir, 2)).keys;
    expect(grown.slice(0, 2)).to.deep.equal(first);
    expect(grown).to.have.length(3);
    expect((await walk(new RunContext(), dir, 3)).keys[0]).to.not.equal(first[0]);
    utimesSync(a, new Date(), new Date(Date.now() + 5000)); // rewritten: same rows or not, its units are redone
    expect((await walk(new RunContext(), dir, 2)).keys[0]).to.not.equal(first[0]);
  });

  it('with a partition, a unit holds only the rank’s rows of its slice', async () => {
    const dir = tmp();
    write(join(dir, 'a.jsonl'), 0, 6);
    const got: string[][] = [];
    const units: InputUnit<Problem>[] = [];
    for await (const u of readUnits(new RunContext(), dir, {
      unitSize: 3,
      partition: { rank: 1, world: 2 },
    })) {
      units.push(u);
      got.push((await collect(u.problems())).map((p) => p.problem_id));
    }
    expect(got).to.deep.equal([['p1'], ['p3', 'p5']]);
    expect(units.map((u) => u.first)).to.deep.equal([0, 3]);
  });

  it('with a limit, only the first N rows of the whole input are read, across files and ranks', async () => {
    const dir = tmp();
    write(join(dir, 'a.jsonl'), 0, 4);
    write(join(dir, 'b.jsonl'), 4, 9);
    write(join(dir, 'c.jsonl'), 9, 12);
    const ids = async (opts: { limit: number; partition?: { rank: number; world: number } }) => {
      const ctx = new RunContext();
      const got: string[][] = [];
      for await (const u of readUnits(ctx, dir, { unitSize: 3, ...opts }))
        got.push((await collect(u.problems())).map((p) => p.problem_id));
      return { got, read: ctx.stages.get('read')!.in };
    };
    expect(await ids({ limit: 6 })).to.deep.equal({
      got: [['p0', 'p1', 'p2'], ['p3'], ['p4', 'p5']],
      read: 6,
    });
    expect(await ids({ limit: 4 })).to.deep.equal({ got: [['p0', 'p1', 'p2'], ['p3']], read: 4 }); // b never opened
    expect((await ids({ limit: 5, partition: { rank: 1, world: 2 } })).got).to.deep.equal([
      ['p1'],
      ['p3'],
      [],
    ]); // p4 is rank 0's
  });
});

describe('a damaged input file', () => {
  it('stops every rank, not only the one whose position the damage falls on', async () => {
    const path = join(tmp(), 'cut.jsonl.gz');
    const gz = gzipSync(Array.from({ length: 40 }, (_, i) => row(i)).join('\n') + '\n');
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)));
    for (const rank of [0, 1]) {
      const err = await (async () => {
        for await (const u of readUnits(new RunContext(), path, { partition: { rank, world: 2 } }))
          await collect(u.problems());
      })().then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(err, `rank ${rank}`).to.include(`${path} is damaged`).and.include('--allow-partial-input');
    }
  });
});

describe('countRows: the total that progress shows, where it is cheap to know', () => {
  it('counts JSON lines (gzip ones decompressed) and Parquet rows; no total for JSON arrays or a cut-off gzip', async () => {
    const { countRows } = await import('../../lib/units.ts');
    expect(await countRows(join(FIXTURES, 'apps.jsonl'))).to.equal(35);
    expect(
      await countRows(`${join(FIXTURES, 'apps.jsonl')},${join(FIXTURES, 'codecontests.parquet')}`),
    ).to.equal(37);
    const dir = tmp();
    const gz = join(dir, 'a.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'apps.jsonl'))));
    expect(await countRows(gz)).to.equal(35);
    const cut = join(dir, 'cut.jsonl.gz');
    writeFileSync(cut, readFileSync(gz).subarray(0, 2000));
    expect(await countRows(cut)).to.equal(undefined);
    const array = join(dir, 'b.json.gz');
    writeFileSync(array, gzipSync('[{}, {}]'));
    expect(await countRows(array)).to.equal(undefined);
  });
});

describe('checkInputFiles: a file that cannot hold dataset rows stops the run before it starts', () => {
  it('passes real inputs (JSON lines plain and gzip, a JSON array, Parquet, Arrow, an APPS folder)', async () => {
    const { checkInputFiles } = await import('../../lib/units.ts');
    const dir = tmp();
    const gz = join(dir, 'a.jsonl.gz');
    writeFileSync(gz, gzipSync(row(1) + '\n'));
    const array = join(dir, 'b.json');
    writeFileSync(array, '[\n  ' + row(2) + '\n]\n');
    const arrow = join(dir, 'c.arrow');
    writeFileSync(arrow, tableToIPC(tableFromArrays({ problem_id: ['p1'] }), 'file'));
    const apps = join(dir, 'apps', 'train', '0001');
    mkdirSync(apps, { recursive: true });
    writeFileSync(join(apps, 'question.txt'), 'Q');
    const inputs = [join(FIXTURES, 'apps.jsonl'), join(FIXTURES, 'codecontests.parquet'), gz, array, arrow];
    await checkInputFiles([...inputs, join(dir, 'apps')].join(','));
  });

  it('names the file and what --input takes: README.md, a CSV, a .parquet that is not Parquet, a Git LFS pointer', async () => {
    const { checkInputFiles } = await import('../../lib/units.ts');
    const dir = tmp();
    const csv = join(dir, 'rows.jsonl');
    writeFileSync(csv, 'a,b\n1,2\n');
    const fake = join(dir, 'rows.parquet');
    writeFileSync(fake, row(1) + '\n');
    const lfs = join(dir, 'lfs.parquet');
    writeFileSync(lfs, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
    const readme = join(dir, 'README.md');
    writeFileSync(readme, '# StructFlow\n\nA dataflow framework.\n');
    const cases: [string, RegExp][] = [
      [readme, /its first line is not a JSON object \("# StructFlow"\)/],
      [csv, /its first line is not a JSON object \("a,b"\)/],
      [fake, /not a readable Parquet file: /],
      [lfs, /it is a Git LFS pointer/],
    ];
    for (const [path, why] of cases) {
      const err = await checkInputFiles(path).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(err, path).to.match(why).and.include(`${path} is not a dataset file: `);
      expect(err).to.include('--input takes .jsonl, .jsonl.gz, .json, .parquet or .arrow files');
    }
    // with --input-format, a damaged first line of a .jsonl is one reject like any other, not a stop
    await checkInputFiles(csv, 'apps');
    expect(await checkInputFiles(readme, 'apps').catch((e: Error) => e.message)).to.include('README.md');
  });
});
