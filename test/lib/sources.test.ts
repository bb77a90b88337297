import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { RunContext } from '../../lib/context.ts';
import { isBadRow, readParquet, type RowOrError } from '../../lib/sources.ts';
import { readProblems } from '../../readers/index.ts';
import { collect, FIXTURES, tmp, venvPython } from '../helpers.ts';

/** Parquet files written by pyarrow (an independent writer), one per codec × data page version × dictionary. */
const WRITE = `
import sys, pyarrow as pa, pyarrow.parquet as pq
out = sys.argv[1]
t = pa.table({
    "id": pa.array([1, 2, 3], pa.int64()),
    "question": ["Add two numbers.", "Ünïcödé — ✓", "x" * 5000],
    "solutions": [["print(1)", "print(2)"], [], ["s"]],
    "meta": [{"difficulty": "easy", "n": 1}, {"difficulty": "hard", "n": 2}, {"difficulty": None, "n": 3}],
})
for codec in ["NONE", "SNAPPY", "GZIP", "ZSTD", "BROTLI", "LZ4"]:
    for version in ["1.0", "2.0"]:
        for dictionary in [True, False]:
            pq.write_table(t, f"{out}/{codec}-{version}-{dictionary}.parquet", compression=codec,
                           data_page_version=version, use_dictionary=dictionary, row_group_size=2)
bad = pa.table({"id": [1, 2], "question": pa.array([b"fine", b"\\xff\\xfe not utf-8"], pa.binary())})
pq.write_table(bad, f"{out}/bad-utf8.parquet")
`;

const rows = (got: RowOrError[]) => got.map((r) => (isBadRow(r) ? r : r.row));

describe('reading files as the field writes them', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = tmp();
    execFileSync(venvPython(), ['-c', WRITE, dir]);
  });

  it('Parquet from pyarrow: every codec, data pages v1 and v2, with and without dictionaries, nested lists and structs', async () => {
    const want = [
      {
        id: 1,
        question: 'Add two numbers.',
        solutions: ['print(1)', 'print(2)'],
        meta: { difficulty: 'easy', n: 1 },
      },
      { id: 2, question: 'Ünïcödé — ✓', solutions: [], meta: { difficulty: 'hard', n: 2 } },
      { id: 3, question: 'x'.repeat(5000), solutions: ['s'], meta: { difficulty: null, n: 3 } },
    ];
    let files = 0;
    for (const codec of ['NONE', 'SNAPPY', 'GZIP', 'ZSTD', 'BROTLI', 'LZ4']) {
      for (const version of ['1.0', '2.0']) {
        for (const dictionary of ['True', 'False']) {
          const got = await collect(readParquet(join(dir, `${codec}-${version}-${dictionary}.parquet`)));
          expect(rows(got), `${codec} v${version} dictionary=${dictionary}`).to.deep.equal(want);
          expect(got.map((r) => r.where.split('#')[1])).to.deep.equal(['0', '1', '2']);
          files++;
        }
      }
    }
    expect(files).to.equal(24);
  });

  it('a Parquet value that is not UTF-8 makes its row bad (named), not U+FFFD in the output', async () => {
    const got = await collect(readParquet(join(dir, 'bad-utf8.parquet')));
    expect(rows(got)[0]).to.deep.equal({ id: 1, question: 'fine' });
    expect(got[1]).to.deep.equal({
      where: `${join(dir, 'bad-utf8.parquet')}#1`,
      error: 'column question is not valid UTF-8',
    });
  });

  it('a file that is not Parquet is one bad row naming the file', async () => {
    const path = join(dir, 'text.parquet');
    writeFileSync(path, 'just some text, not Parquet at all\n');
    const got = await collect(readParquet(path));
    expect(got).to.have.length(1);
    expect(got[0]!.where).to.equal(path);
    expect((got[0] as { error: string }).error).to.match(/^not a readable Parquet file: /);
  });

  it('a truncated .jsonl.gz stops the read naming the file, the lines kept and those lost; allowed, the rows before the cut go on', async () => {
    const lines = readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n').slice(0, 6);
    const gz = gzipSync(lines.join('\n') + '\n');
    const path = join(dir, 'cut.jsonl.gz');
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const whole = gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH });
    const complete = whole.toString().split('\n').length - 1; // what zcat recovers
    expect(complete).to.be.within(1, 5);
    const stopped = await collect(readProblems(new RunContext(), path)).catch((e: Error) => e.message);
    expect(stopped).to.be.a('string');
    expect(stopped).to.include(`${path} is damaged within its first ${readFileSync(path).length} of`);
    expect(stopped).to.include(`the ${complete} complete lines before the damage were read`);
    expect(stopped).to.include(`line ${complete + 1} and every row after it are lost`);
    expect(stopped).to.include('--allow-partial-input');

    const rejects = join(dir, 'cut-rejects.jsonl');
    const ctx = new RunContext(rejects);
    const problems = await collect(readProblems(ctx, path, { allowPartialInput: true }));
    ctx.close();
    expect(problems.map((p) => p.problem_id)).to.deep.equal(
      lines.slice(0, complete).map((l) => (JSON.parse(l) as { problem_id: string }).problem_id),
    );
    const read = ctx.counter('read');
    expect(read.in).to.equal(complete + 1);
    expect(read.rejected).to.equal(1);
    const [reject] = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(reject).to.include({ stage: 'read', reason: 'damaged_file', id: `${path}:${complete + 1}` });
    expect(reject!.detail).to.match(/\(unexpected end of file\)/);
  });

  it('a JSON line that is not UTF-8 is a reject with its position; the other rows go on', async () => {
    const [a, b] = readFileSync(join(FIXTURES, 'apps.jsonl'), 'utf8').trim().split('\n');
    const bad = Buffer.from(a!.replace('"question": "', '"question": "\u0000MARK'));
    const at = bad.indexOf('\u0000MARK');
    bad[at] = 0xff; // one byte that is never UTF-8
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, Buffer.concat([bad, Buffer.from('\n' + b! + '\n')]));
    const ctx = new RunContext();
    const problems = await collect(readProblems(ctx, path));
    expect(problems.map((p) => p.problem_id)).to.deep.equal([
      (JSON.parse(b!) as { problem_id: string }).problem_id,
    ]);
    expect(ctx.counter('read').reasons).to.deep.equal({ unreadable_row: 1 });
  });
});
