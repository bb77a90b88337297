import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { RunContext } from '../../lib/context.ts';
import { detectFormat, readProblems } from '../../readers/index.ts';
import { parquetLite, parquetWasm } from '../../lib/shards.ts';
import type { Column } from '../../lib/arrow.ts';
import { collect, FIXTURES, tmp } from '../helpers.ts';

const appsRow = {
  problem_id: 7,
  question: 'Add.',
  solutions: JSON.stringify(['print(sum(map(int, input().split())))']),
  input_output: JSON.stringify({ inputs: [['1 2', '']], outputs: [['3']] }),
  difficulty: 'introductory',
  url: 'u',
  starter_code: '',
};
const humanEvalRow = {
  task_id: 'HumanEval/0',
  prompt: 'def add(a, b):\n    """Add."""\n',
  canonical_solution: '    return a + b\n',
  test: 'def check(candidate):\n    assert candidate(1, 2) == 3\n',
  entry_point: 'add',
};
const mbppRow = {
  task_id: 11,
  text: 'Write a function to add.',
  code: 'def add(a, b):\n    return a + b',
  test_list: ['assert add(1, 2) == 3'],
  test_setup_code: '',
};

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('dataset readers', () => {
  it('detect APPS, HumanEval and MBPP rows from their columns', () => {
    expect(detectFormat(appsRow)).to.equal('apps');
    expect(detectFormat(humanEvalRow)).to.equal('humaneval');
    expect(detectFormat(mbppRow)).to.equal('mbpp');
    expect(detectFormat({ foo: 1 })).to.equal(undefined);
  });

  it('read APPS rows from gzip JSONL, joining list-valued stdio tests with newlines', async () => {
    const dir = tmp();
    const path = join(dir, 'apps.jsonl.gz');
    writeFileSync(path, gzipSync(jsonl([appsRow])));
    const [p] = await collect(readProblems(new RunContext(), path));
    expect(p).to.deep.include({
      problem_id: '7',
      source: 'apps',
      solutions: ['print(sum(map(int, input().split())))'],
    });
    expect(p!.tests).to.deep.equal({ kind: 'stdio', inputs: ['1 2\n'], outputs: ['3'] });
  });

  it('read HumanEval (solution = prompt + canonical solution, tests call check) and MBPP rows', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'he.jsonl'), jsonl([humanEvalRow]));
    writeFileSync(join(dir, 'mbpp.jsonl'), jsonl([mbppRow]));
    const [he] = await collect(readProblems(new RunContext(), join(dir, 'he.jsonl')));
    expect(he!.solutions).to.deep.equal([humanEvalRow.prompt + humanEvalRow.canonical_solution]);
    // the prompt is the trusted context (its helpers are the dataset's); only the entry point is the program's
    expect(he!.tests).to.deep.equal({
      kind: 'assert',
      code: humanEvalRow.test + '\n\ncheck(add)\n',
      context: humanEvalRow.prompt,
      entry_points: ['add'],
    });
    const [mb] = await collect(readProblems(new RunContext(), join(dir, 'mbpp.jsonl')));
    // the question names no function: MBPP's prompt shows the asserts after it
    expect(mb).to.deep.include({
      problem_id: '11',
      question: 'Write a function to add.\nYour code should pass these tests:\nassert add(1, 2) == 3',
    });
    // the functions the reference defines come from the program; its imports (none here) are the judge's
    expect(mb!.tests).to.deep.equal({
      kind: 'assert',
      code: 'assert add(1, 2) == 3\n',
      context: '',
      entry_points: ['add'],
    });
  });

  it('read the APPS folder layout, call-based problems included', async () => {
    const root = tmp();
    const d = join(root, 'train', '0042');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'question.txt'), 'Q');
    writeFileSync(join(d, 'solutions.json'), JSON.stringify(['def f(x):\n    return x\n']));
    writeFileSync(
      join(d, 'input_output.json'),
      JSON.stringify({ fn_name: 'f', inputs: [[1]], outputs: [1] }),
    );
    writeFileSync(join(d, 'starter_code.py'), 'def f(x):\n    ');
    writeFileSync(join(d, 'metadata.json'), JSON.stringify({ difficulty: 'interview', url: 'x' }));
    const [p] = await collect(readProblems(new RunContext(), root));
    expect(p).to.deep.include({
      problem_id: 'train/0042',
      starter_code: 'def f(x):\n    ',
      difficulty: 'interview',
    });
    expect(p!.tests).to.deep.equal({ kind: 'call', fn_name: 'f', inputs: [[1]], outputs: [1] });
  });

  it('read the same rows from Parquet (both writers) and Arrow IPC', async () => {
    const dir = tmp();
    const table = tableFromArrays({
      task_id: ['HumanEval/0'],
      prompt: [humanEvalRow.prompt],
      canonical_solution: [humanEvalRow.canonical_solution],
      test: [humanEvalRow.test],
      entry_point: ['add'],
    });
    const columns = Object.keys(humanEvalRow).map((name) => ({ name, type: 'string' }) as Column<unknown>);
    await parquetWasm.write(table, join(dir, 'zstd.parquet'), columns);
    await parquetLite.write(table, join(dir, 'gzip.parquet'), columns);
    writeFileSync(join(dir, 'he.arrow'), tableToIPC(table, 'file'));
    for (const f of ['zstd.parquet', 'gzip.parquet', 'he.arrow']) {
      const [p] = await collect(readProblems(new RunContext(), join(dir, f)));
      expect(p, f).to.deep.include({ problem_id: 'HumanEval/0', source: 'humaneval' });
    }
  });

  it('send unreadable and invalid rows to the rejects with their line, and go on', async () => {
    const dir = tmp();
    const path = join(dir, 'mixed.jsonl');
    const bad = { ...appsRow, problem_id: 8, input_output: '{"inputs": [1], "outputs": []}' };
    writeFileSync(path, jsonl([appsRow]) + '{not json\n' + jsonl([bad, { ...appsRow, problem_id: 9 }]));
    const ctx = new RunContext(join(dir, 'rejects.jsonl'));
    const ps = await collect(readProblems(ctx, path));
    expect(ps.map((p) => p.problem_id)).to.deep.equal(['7', '9']);
    expect(ctx.counter('read')).to.include({ in: 4, passed: 2, rejected: 2 });
    expect(ctx.counter('read').reasons).to.deep.equal({ unreadable_row: 1, invalid_record: 1 });
  });

  it('name the columns when the layout cannot be told', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.jsonl'), jsonl([{ foo: 1 }]));
    let err: Error | undefined;
    try {
      await collect(readProblems(new RunContext(), join(dir, 'x.jsonl')));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/columns: foo.*--input-format/);
  });

  it('read the bundled fixtures: 35 APPS-style problems, stdio and call-based', async () => {
    const ps = await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')));
    expect(ps).to.have.length(35);
    expect(new Set(ps.map((p) => p.tests.kind))).to.deep.equal(new Set(['stdio', 'call']));
    expect(ps.every((p) => p.solutions.length >= 2)).to.equal(true);
  });
});
