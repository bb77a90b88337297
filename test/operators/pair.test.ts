import { expect } from 'chai';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import type { CheckedCandidate, Verdict } from '../../lib/schemas.ts';
import { STDIO_INSTRUCTION } from '../../lib/code/prompts.ts';
import { pair } from '../../operators/pair.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stubProblem, tmp } from '../helpers.ts';

const problem = stubProblem();

function cands(target: string, list: [string, Verdict][]): CheckedCandidate[] {
  return list.map(([candidate, verdict], i) => ({
    problem,
    problem_id: 'p',
    solution_index: 0,
    target_id: target,
    kind: 'fim',
    block_type: 'if',
    depth: 1,
    start_line: 2,
    end_line: 3,
    prefix: 'a = 1\n',
    middle: 'if a:\n    b = 2',
    suffix: '\nprint(b)\n',
    question: 'Q',
    starter_code: '',
    fim_prompt: '',
    chat_prompt: '',
    gen_start: 'if',
    prompt_family: 'qwen',
    candidate_index: i,
    candidate,
    generator: 'test',
    origin: 'test',
    verdict,
    error: '',
  }));
}

const run = (xs: CheckedCandidate[], mode?: 'paper' | 'reference', chosen?: 'golden') => {
  const ctx = new RunContext();
  const opts = { ...(mode ? { mode } : {}), ...(chosen ? { chosen } : {}) };
  return lastValueFrom(of(...xs).pipe(pair(ctx, opts), toArray())).then((pairs) => ({
    pairs,
    ctx,
  }));
};

describe('pair', () => {
  it('pairs every wrong (fail) candidate with its nearest right one, the first on a tie; errors are not used', async () => {
    const { pairs } = await run(
      cands('t1', [
        ['if a:\n    b = 2', 'pass'],
        ['if a:\n    b = 3', 'fail'],
        ['if a:\n    b = 22', 'pass'],
        ['if a:\n    c = 2', 'fail'],
        ['if a:\n    b = 2\n', 'pass'], // a duplicate of the first once newlines are trimmed
        ['if a:\n    b = x', 'error'],
      ]),
    );
    expect(pairs.map((p) => [p.chosen_index, p.rejected_index, p.edit_distance])).to.deep.equal([
      [0, 1, 1], // b = 2 and b = 22 are both at distance 1 from b = 3: the first wins
      [0, 3, 1],
    ]);
    expect(pairs[0]).to.include({
      chosen: 'if a:\n    b = 2',
      rejected: 'if a:\n    b = 3',
      curriculum_key: 2,
      test_kind: 'stdio',
    });
    // the training question of a stdio problem ends with the stdin instruction, as the trainer's does
    expect(pairs[0]!.prompt).to.equal(
      `<|fim_prefix|># Q\n# ${STDIO_INSTRUCTION}\n\na = 1\n<|fim_suffix|>\nprint(b)\n<|fim_middle|>`,
    );
  });

  it('with edits of the golden middle, the chosen side is the golden middle even when a rewrite is nearer', async () => {
    const golden = 'if a:\n    b = 2\n    c = 3';
    const origins = ['rewrite', 'golden', 'constant_tweak', 'constant_tweak'];
    const { pairs, ctx } = await run(
      cands('t', [
        ['if (a):\n    b = 2\n    c = 3', 'pass'], // a rewrite, nearer to the second wrong one
        [golden, 'pass'],
        ['if a:\n    b = 2\n    c = 4', 'fail'],
        ['if (a):\n    b = 2\n    c = 4', 'fail'],
      ]).map((c, i) => ({ ...c, middle: golden, origin: origins[i]! })),
      'paper',
      'golden',
    );
    expect(pairs.map((p) => [p.chosen, p.chosen_origin, p.rejected_index])).to.deep.equal([
      [golden, 'golden', 2],
      [golden, 'golden', 3],
    ]);
    // the second pair's sides differ in two places, the parentheses and the constant: counted
    expect(ctx.counter('pair').stats).to.include({
      chosen_golden: 2,
      rejected_constant_tweak: 2,
      multi_region: 1,
    });
    const none = await run(
      cands('u', [
        ['if (a):\n    b = 2', 'pass'],
        ['if a:\n    b = 3', 'fail'],
      ]),
      'paper',
      'golden',
    );
    expect(none.ctx.counter('pair').reasons).to.deep.equal({ no_golden_pass: 1 });
  });

  it('in reference mode makes one pair per target, from the first wrong candidate', async () => {
    const { pairs } = await run(
      cands('t', [
        ['x', 'fail'],
        ['y', 'pass'],
        ['z', 'fail'],
      ]),
      'reference',
    );
    expect(pairs.map((p) => p.rejected_index)).to.deep.equal([0]);
  });

  it('drops targets without a right or a wrong candidate, counted by reason, and keeps targets apart', async () => {
    const { pairs, ctx } = await run([
      ...cands('only-right', [
        ['a', 'pass'],
        ['b', 'pass'],
      ]),
      ...cands('only-wrong', [
        ['a', 'fail'],
        ['b', 'timeout'],
      ]),
      ...cands('both', [
        ['a', 'pass'],
        ['b', 'fail'],
      ]),
    ]);
    expect(pairs.map((p) => p.target_id)).to.deep.equal(['both']);
    expect(ctx.counter('pair')).to.include({ in: 3, passed: 1, rejected: 2, out: 1 });
    expect(ctx.counter('pair').reasons).to.deep.equal({ no_wrong: 1, no_right: 1 });
  });

  it('--rejected-sides admits runtime errors; a target with none says what its candidates were', async () => {
    const list: [string, Verdict][] = [
      ['if a:\n    b = 2', 'pass'],
      ['if a:\n    b = x', 'error'],
      ['if a:\n    b = y', 'error'],
      ['while a:\n    b = 2', 'timeout'],
    ];
    const dir = tmp();
    const ctx = new RunContext(join(dir, 'rejects.jsonl'));
    const none = await lastValueFrom(of(...cands('t', list)).pipe(pair(ctx), toArray()));
    await ctx.dispose();
    expect(none).to.deep.equal([]);
    const [r] = readFileSync(join(dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(r).to.include({ reason: 'no_wrong' });
    expect(r.detail).to.equal(
      'no distinct candidate is a rejected side (fail): 1 passed, 2 raised, 1 timed out',
    );
    const ctx2 = new RunContext();
    const pairs = await lastValueFrom(
      of(...cands('t', list)).pipe(pair(ctx2, { rejected: 'fail,error' }), toArray()),
    );
    expect(pairs.map((p) => [p.rejected_middle, p.rejected_verdict])).to.deep.equal([
      ['if a:\n    b = x', 'error'],
      ['if a:\n    b = y', 'error'],
    ]);
    expect(ctx2.counter('pair').stats.pairs_rejecting_error).to.equal(2);
  });
});
