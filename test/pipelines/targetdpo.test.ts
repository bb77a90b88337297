import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RunContext } from '../../lib/context.ts';
import { readProblems } from '../../readers/index.ts';
import { ExecPool } from '../../lib/sandbox/pool.ts';
import { lcsLengthDP } from '../../lib/code/lcs.ts';
import { levenshteinDP } from '../../lib/code/levenshtein.ts';
import type { Generator } from '../../lib/generators/types.ts';
import { readManifest } from '../../lib/manifest.ts';
import { pullThrough } from '../../lib/pull.ts';
import { compose } from '../../lib/pipeline.ts';
import type { FocalPair, Problem } from '../../lib/schemas.ts';
import type { OperatorFunction } from 'rxjs';
import { targetdpo } from '../../pipelines/targetdpo.ts';
import { collect, FIXTURES, readShardRows, tmp } from '../helpers.ts';

const CLI = new URL('../../bin/structflow.js', import.meta.url).pathname;
const lines = (s: string) => s.replace(/\n$/, '').split('\n');

describe('structflow run targetdpo', function () {
  this.timeout(300_000);

  it('writes focal pairs whose D+/D− and distances check out independently and whose sides re-check', async () => {
    const out = tmp();
    const input = join(FIXTURES, 'apps.jsonl');
    execFileSync(
      'node',
      [
        CLI,
        'run',
        'targetdpo',
        '--input',
        input,
        '--out',
        out,
        '--test-timeout',
        '0.5',
        '--quiet',
        '--tokenizer',
        join(FIXTURES, 'tiny-model'),
      ],
      { stdio: 'pipe' },
    );
    const m = readManifest(out);
    const rows = await readShardRows(out);
    expect(rows.length).to.be.greaterThan(20);
    for (const col of [
      'chosen_code',
      'rejected_code',
      'chosen_diff_lines',
      'rejected_diff_lines',
      'rejected_mask',
      'prompt',
      'chosen',
      'rejected',
    ]) {
      expect(m.schema.map((c) => c.name)).to.include(col);
    }
    for (const r of rows) {
      const c = lines(r.chosen_code as string);
      const w = lines(r.rejected_code as string);
      const plus = Array.from(r.chosen_diff_lines as Iterable<number>);
      const minus = Array.from(r.rejected_diff_lines as Iterable<number>);
      // what is left of both sides is one common subsequence of the DP's maximum length
      const keptC = c.filter((_, i) => !plus.includes(i + 1));
      const keptW = w.filter((_, i) => !minus.includes(i + 1));
      expect(keptC).to.deep.equal(keptW);
      expect(keptC.length).to.equal(lcsLengthDP(c, w));
      expect(minus.length).to.be.within(1, 20);
      expect(r.edit_distance).to.equal(levenshteinDP(r.chosen_code as string, r.rejected_code as string));
      const mask = Array.from(r.rejected_mask as Iterable<number>);
      expect(mask).to.have.length(r.rejected_tokens as number);
      expect(mask.some((x) => x === 1)).to.equal(true);
    }
    // curriculum order, as the trainer consumes it: keys (lines of the chosen program) never decrease,
    // every pair comes once per epoch, and each shard's manifest entry has its key range
    const keys = rows.map((r) => r.curriculum_key as number);
    expect(keys).to.deep.equal([...keys].sort((a, b) => a - b));
    for (const r of rows) expect(r.curriculum_key).to.equal(lines(r.chosen_code as string).length);
    const firsts = rows.filter((r) => r.curriculum_epoch === 0);
    expect(rows.length).to.equal(3 * firsts.length);
    expect(firsts.length).to.equal(m.counts.focal!.out);
    expect([m.shards[0]!.curriculum_key_min, m.shards.at(-1)!.curriculum_key_max]).to.deep.equal([
      keys[0],
      keys.at(-1),
    ]);
    const problems = new Map(
      (await collect(readProblems(new RunContext(), input))).map((p) => [p.problem_id, p]),
    );
    const pool = new ExecPool({ limits: { test_cpu_s: 2 } });
    try {
      const verdicts = await Promise.all(
        firsts.map(async (r) => {
          const tests = problems.get(r.problem_id as string)!.tests;
          const [c, w] = await Promise.all([
            pool.run({ id: 'c', code: r.chosen_code as string, tests }),
            pool.run({ id: 'w', code: r.rejected_code as string, tests }),
          ]);
          return `${c.verdict}/${w.verdict}`;
        }),
      );
      // a failing version answers wrong or raises (the paper's runtime errors), and says which it did
      expect(verdicts.filter((v) => v !== 'pass/fail' && v !== 'pass/error')).to.deep.equal([]);
      expect(verdicts.map((v, i) => `${v.split('/')[1]}=${String(firsts[i]!.rejected_verdict)}`)).to.satisfy(
        (xs: string[]) => xs.every((x) => x.split('=')[0] === x.split('=')[1]),
      );
      expect(new Set(verdicts)).to.deep.equal(new Set(['pass/fail', 'pass/error']));
    } finally {
      await pool.close();
    }
  });
});

describe('the targetdpo pipeline with a model: refinement chains', function () {
  this.timeout(300_000);

  it('pairs the final passing version with the earlier failing one, once per problem', async () => {
    // a stand-in model: its first answer prints something extra, its second is the reference program
    const answered = new Map<string, number>();
    const generator: Generator = {
      name: 'stand-in',
      model: 'm',
      continues: true,
      generate: async (req) => {
        const round = (answered.get(req.target.target_id) ?? 0) + 1;
        answered.set(req.target.target_id, round);
        const ref = req.target.middle;
        return [{ text: (round === 1 ? 'print("extra")\n' + ref : ref) + '```', origin: 'stand-in' }];
      },
    };
    const ctx = new RunContext();
    const { op } = compose(targetdpo, { 'test-timeout': 0.5, 'no-cache': true }, { given: { generator } });
    const pairs = await collect(
      pullThrough(
        readProblems(ctx, join(FIXTURES, 'apps.jsonl')),
        op(ctx) as OperatorFunction<Problem, FocalPair>,
      ),
    );
    await ctx.dispose();
    const refine = ctx.counter('refine');
    expect(refine.in).to.equal(ctx.counter('programs').passed); // one chain per problem with a passing reference
    expect(new Set(pairs.map((p) => p.problem_id)).size).to.equal(pairs.length);
    expect(pairs.length).to.be.greaterThan(15);
    for (const p of pairs) {
      expect(p.rejected_code).to.equal('print("extra")\n' + p.chosen_code);
      expect(Array.from(p.rejected_diff_lines)).to.deep.equal([1]);
      expect(Array.from(p.chosen_diff_lines)).to.deep.equal([]);
      expect([p.chosen_origin, p.rejected_origin]).to.deep.equal(['stand-in round 2', 'stand-in round 1']);
    }
  });
});
