import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripComments } from '../../lib/code/blocks.ts';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';
import { formatPython } from '../../lib/code/format.ts';
import { readManifest } from '../../lib/manifest.ts';
import { collect, FIXTURES, readParquetFile, readShardRows, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const structflow = (...args: string[]) => execFileSync('node', [CLI, ...args], { stdio: 'pipe' }).toString();

describe('structflow run structurecoder', function () {
  this.timeout(120_000);

  it('writes FIM targets of the fixtures as shards whose counts add up, through the CLI', async () => {
    const out = tmp();
    structflow(
      'run',
      'structurecoder',
      '--input',
      join(FIXTURES, 'apps.jsonl'),
      '--out',
      out,
      '--until',
      'fim',
      '--rows-per-shard',
      '50',
      '--quiet',
      '--overwrite',
    );
    const m = readManifest(out);
    expect(m.shards.length).to.equal(Math.ceil(m.rows / 50));
    const rows = await readShardRows(out);
    expect(rows).to.have.length(m.rows);
    for (const col of [
      'problem_id',
      'solution_index',
      'kind',
      'block_type',
      'depth',
      'start_line',
      'end_line',
      'prefix',
      'middle',
      'suffix',
      'fim_prompt',
      'chat_prompt',
    ]) {
      expect(m.schema.map((c) => c.name)).to.include(col);
    }

    // every target spells the comment-free formatted code of its solution, and its lines are that range
    const problems = new Map(
      (await collect(readProblems(new RunContext(), join(FIXTURES, 'apps.jsonl')))).map((p) => [
        p.problem_id,
        p,
      ]),
    );
    for (const r of rows) {
      const source = problems.get(r.problem_id as string)!.solutions[r.solution_index as number]!;
      const code = stripComments(formatPython(source));
      expect(`${r.prefix}${r.middle}${r.suffix}`).to.equal(code);
      const lines = code.split('\n').slice((r.start_line as number) - 1, r.end_line as number);
      // a block's middle is its lines; the full target's middle is the whole program, final newline included
      expect(r.kind === 'full' ? lines.join('\n') + '\n' : lines.join('\n')).to.equal(r.middle);
    }
    // one full target per problem, except sf-0035, held back for its several valid answers
    expect(rows.filter((r) => r.kind === 'full')).to.have.length(problems.size - 1);
    expect(rows.some((r) => r.problem_id === 'sf-0035')).to.equal(false);
    expect(new Set(rows.map((r) => r.block_type))).to.deep.equal(
      new Set(['if', 'for', 'while', 'def', 'full']),
    );

    // nothing lost: every stage balances, and the rejects file holds exactly the rejected records
    for (const [stage, c] of Object.entries(m.counts)) expect(c.in, stage).to.equal(c.passed + c.rejected);
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects).to.have.length(m.rejects.rows);
    expect(m.counts.fim!.out).to.equal(m.rows);
    const py2 = rejects.find((r) => r.id === 'sf-0001/2');
    expect(py2).to.include({ stage: 'format', reason: 'unparsable' });
    expect(rejects.find((r) => r.id === 'sf-0019/2')).to.include({ stage: 'format', reason: 'unparsable' });
  });

  it('stops after any stage with --until, and refuses to replace a run made with other settings unless asked', () => {
    const out = tmp();
    const input = join(FIXTURES, 'apps.jsonl');
    structflow('run', 'structurecoder', '--input', input, '--out', out, '--until', 'format', '--quiet');
    const m = readManifest(out);
    expect(m.schema.map((c) => c.name)).to.deep.equal(['problem_id', 'solution_index', 'code']);
    expect(Object.keys(m.counts)).to.deep.equal(['read', 'expect', 'solutions', 'format']);
    let err = '';
    try {
      structflow('run', 'structurecoder', '--input', input, '--out', out, '--quiet');
    } catch (e) {
      err = String((e as { stderr: Buffer }).stderr);
    }
    expect(err).to.match(/other settings \(differ in until\).*--overwrite/);
    expect(existsSync(join(out, 'part-00000.parquet'))).to.equal(true);
    expect(readManifest(out).until).to.equal('format'); // the finished run is untouched
    structflow(
      'run',
      'structurecoder',
      '--input',
      input,
      '--out',
      out,
      '--until',
      'split',
      '--overwrite',
      '--quiet',
    );
    expect(readManifest(out).until).to.equal('split');
  });

  it('--until label keeps only reference solutions that pass in the sandbox, with their verdicts', async () => {
    const out = tmp();
    structflow(
      'run',
      'structurecoder',
      '--input',
      join(FIXTURES, 'apps.jsonl'),
      '--out',
      out,
      '--until',
      'label',
      '--quiet',
    );
    const m = readManifest(out);
    expect(m.schema.map((c) => c.name)).to.deep.equal([
      'problem_id',
      'solution_index',
      'code',
      'verdict',
      'test_results',
    ]);
    const rows = await readParquetFile(join(out, m.shards[0]!.file));
    expect(rows.every((r) => r.verdict === 'pass')).to.equal(true);
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // the deliberately broken fixture solutions (third of these problems) raise on their tests
    const failed = rejects.filter((r) => r.stage === 'label').map((r) => `${r.id}:${r.reason}`);
    for (const id of ['sf-0002/2', 'sf-0014/2', 'sf-0020/2', 'sf-0025/2', 'sf-0027/2'])
      expect(failed).to.include(`${id}:verdict_error`);
    // sf-0035 has several valid answers: its second reference prints another pair, so the passing
    // first one is held back and the problem gives no targets
    expect(failed).to.include('sf-0035/1:verdict_fail');
    expect(failed).to.include('sf-0035/0:multiple_valid_outputs');
    expect(m.counts.label!.stats.problems_multiple_valid_outputs).to.equal(1);
    expect(m.counts.label!.in).to.equal(m.counts.label!.passed + m.counts.label!.rejected);
    expect(m.counts.label!.passed).to.equal(m.rows);
  });

  it('--checkers: a problem with several valid answers is judged by its checker and goes on', async () => {
    const out = tmp();
    const args = ['--input', join(FIXTURES, 'apps.jsonl'), '--out', out, '--until', 'label', '--quiet'];
    structflow('run', 'structurecoder', ...args, '--checkers', join(FIXTURES, 'checkers'));
    const m = readManifest(out);
    expect(m.counts.checkers!.stats.with_checker).to.equal(1);
    expect(m.counts.label!.stats.problems_multiple_valid_outputs).to.equal(undefined);
    const rows = await readParquetFile(join(out, m.shards[0]!.file));
    const sf35 = rows.filter((r) => r.problem_id === 'sf-0035').map((r) => r.solution_index);
    expect(sf35).to.deep.equal([0, 1]);
  });

  it('runs through generate and check: both a right and a wrong candidate for most targets, verdicts from real runs, cached', async () => {
    const out = tmp();
    const args = [
      'run',
      'structurecoder',
      '--input',
      join(FIXTURES, 'apps.jsonl'),
      '--out',
      out,
      '--test-timeout',
      '0.5',
      '--quiet',
      '--until',
      'check',
    ];
    structflow(...args);
    const m = readManifest(out);
    const rows = await readShardRows(out);
    expect(m.counts.check!.in).to.equal(m.counts.generate!.out);
    expect(rows).to.have.length(m.counts.check!.out);
    const verdicts = new Map<string, Set<string>>();
    for (const r of rows) {
      expect(r.verdict).to.be.oneOf([
        'pass',
        'fail',
        'error',
        'timeout',
        'memory',
        'output_limit',
        'compile_error',
      ]);
      const v = verdicts.get(r.target_id as string) ?? new Set<string>();
      v.add(r.verdict as string);
      verdicts.set(r.target_id as string, v);
    }
    const both = [...verdicts.values()].filter((v) => v.has('pass') && v.has('fail')).length;
    expect(both / verdicts.size).to.be.at.least(0.6);
    const checks = Object.entries(m.counts.check!.stats)
      .filter(([k]) => k.startsWith('verdict_'))
      .reduce((a, [, n]) => a + n, 0);
    expect(checks).to.equal(rows.length); // every candidate's verdict was counted from a run
    expect(m.counts.generate!.stats.cache_misses).to.equal(verdicts.size);
    structflow(...args.slice(0, -2), '--overwrite', '--until', 'generate');
    const again = readManifest(out).counts.generate!.stats;
    expect(again.cache_hits).to.equal(verdicts.size);
    expect(again.cache_misses ?? 0).to.equal(0); // a counter never hit is absent
  });

  it('explains a bad option', () => {
    let err = '';
    try {
      structflow('run', 'structurecoder', '--input', 'x', '--out', tmp(), '--until', 'train');
    } catch (e) {
      err = String((e as { stderr: Buffer }).stderr);
    }
    expect(err).to.match(/--until must be one of expect\|format\|label\|split\|fim/);
  });

  it('prints the blocks of one file as JSON lines', () => {
    const lines = structflow('blocks', join(FIXTURES, 'example.py'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).to.have.keys(['type', 'start_line', 'end_line', 'depth']);
    expect(lines.map((b) => b.type)).to.include.members(['def', 'for', 'if', 'while']);
  });
});

describe('structflow run structurecoder to curriculum-ordered pairs', function () {
  this.timeout(300_000);

  it('writes pairs whose chosen passes and rejected fails when re-run, in curriculum order, with TRL columns', async () => {
    const out = tmp();
    const input = join(FIXTURES, 'apps.jsonl');
    structflow(
      'run',
      'structurecoder',
      '--input',
      input,
      '--out',
      out,
      '--test-timeout',
      '0.5',
      '--quiet',
      '--rows-per-shard',
      '200',
    );
    const m = readManifest(out);
    const rows = await readShardRows(out);
    expect(rows.length).to.equal(m.rows);
    expect(m.counts.curriculum!.out).to.equal(3 * m.counts.pair!.out);
    for (const col of [
      'prompt',
      'chosen',
      'rejected',
      'curriculum_key',
      'chosen_middle',
      'rejected_middle',
      'edit_distance',
    ]) {
      expect(m.schema.map((c) => c.name)).to.include(col);
    }
    // order: keys never decrease, across shards too; each shard's manifest entry has its key range
    const keys = rows.map((r) => r.curriculum_key as number);
    expect(keys).to.deep.equal([...keys].sort((a, b) => a - b));
    let at = 0;
    for (const s of m.shards) {
      const ks = keys.slice(at, (at += s.rows));
      expect([s.curriculum_key_min, s.curriculum_key_max]).to.deep.equal([Math.min(...ks), Math.max(...ks)]);
    }
    // the recorded distance is the code-point Levenshtein distance (checked by the plain DP)
    const { levenshteinDP } = await import('../../lib/code/levenshtein.ts');
    for (const r of rows.slice(0, 50))
      expect(r.edit_distance).to.equal(levenshteinDP(r.chosen as string, r.rejected as string));

    // re-run every distinct pair in the sandbox: chosen passes, rejected fails
    const problems = new Map(
      (await collect(readProblems(new RunContext(), input))).map((p) => [p.problem_id, p]),
    );
    // model-free pairs teach only the fix: the chosen side is the golden code, the reference solution itself
    const { formatPython } = await import('../../lib/code/format.ts');
    const { stripComments } = await import('../../lib/code/blocks.ts');
    for (const r of rows) {
      expect(r.chosen_origin).to.equal('golden');
      const solution = problems.get(r.problem_id as string)!.solutions[r.solution_index as number]!;
      let golden = stripComments(formatPython(solution));
      if (!golden.endsWith('\n')) golden += '\n';
      expect(`${r.prefix}${r.chosen}${r.suffix}`).to.equal(golden);
    }
    expect(m.counts.pair!.stats.chosen_golden).to.equal(m.counts.pair!.out);
    const { ExecPool } = await import('../../lib/sandbox/pool.ts');
    const pool = new ExecPool({ limits: { test_cpu_s: 2 } });
    const distinct = new Map(rows.map((r) => [`${r.target_id}#${r.chosen_index}#${r.rejected_index}`, r]));
    try {
      const checks = await Promise.all(
        [...distinct.values()].map(async (r) => {
          const tests = problems.get(r.problem_id as string)!.tests;
          const program = (mid: unknown) => `${r.prefix}${mid}${r.suffix}`;
          const [c, w] = await Promise.all([
            pool.run({ id: 'c', code: program(r.chosen), tests }),
            pool.run({ id: 'w', code: program(r.rejected), tests }),
          ]);
          return [c.verdict, w.verdict];
        }),
      );
      expect(checks.filter(([c, w]) => c !== 'pass' || w !== 'fail')).to.deep.equal([]);
    } finally {
      await pool.close();
    }
  });
});
