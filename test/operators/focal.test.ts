import { expect } from 'chai';
import { join } from 'node:path';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunContext } from '../../lib/context.ts';
import { loadTokenizer } from '../../lib/generators/onnx.ts';
import type { CheckedCandidate, Verdict } from '../../lib/schemas.ts';
import { tokenSpans } from '../../lib/code/token-spans.ts';
import { focal } from '../../operators/focal.ts';
import { FIXTURES, fullTarget, stubProblem } from '../helpers.ts';

const tokenizer = loadTokenizer(join(FIXTURES, 'tiny-model'));
const problem = stubProblem();
const GOLDEN = 'n = int(input())\ntotal = 0\nfor i in range(n):\n    total += i\nprint(total)\n';

function variants(list: [string, Verdict][]): CheckedCandidate[] {
  return list.map(([candidate, verdict], i) => ({
    ...fullTarget(problem, GOLDEN),
    candidate_index: i,
    candidate,
    generator: 'test',
    origin: 'test',
    verdict,
    error: '',
  }));
}

async function run(list: [string, Verdict][], opts = {}) {
  const ctx = new RunContext();
  const out = await lastValueFrom(of(...variants(list)).pipe(focal(ctx, { tokenizer, ...opts }), toArray()));
  return { out, reasons: ctx.counter('focal').reasons };
}

describe('focal (Target-DPO)', () => {
  it('diffs the reference against a failing variant: D+/D− lines and the mask of the D− tokens', async () => {
    const bad = GOLDEN.replace('total += i', 'total -= i');
    const { out } = await run([
      [GOLDEN, 'pass'],
      [bad, 'fail'],
    ]);
    const p = out[0]!;
    expect([p.chosen_diff_lines, p.rejected_diff_lines]).to.deep.equal([[4], [4]]);
    expect(p.chosen_code).to.equal(GOLDEN);
    expect(p.rejected_code).to.equal(bad);
    const { spans } = tokenSpans(tokenizer, bad);
    const masked = spans
      .filter((_, i) => p.rejected_mask![i])
      .map(([s, e]) => bad.slice(s, e))
      .join('');
    expect(masked).to.include('total -= i');
    expect(masked).to.not.include('print');
    expect(p.rejected_mask).to.have.length(p.rejected_tokens!);
  });

  it('without a tokenizer: the D− lines only, no masks or token counts of a tokenizer nobody named', async () => {
    const bad = GOLDEN.replace('total += i', 'total -= i');
    const ctx = new RunContext();
    const [p] = await lastValueFrom(
      of(...variants([[bad, 'fail']])).pipe(focal(ctx, { tokenizer: undefined }), toArray()),
    );
    expect(p!.rejected_diff_lines).to.deep.equal([4]);
    expect([p!.rejected_mask, p!.chosen_tokens, p!.rejected_tokens]).to.deep.equal([null, null, null]);
    expect(ctx.counter('focal').stats.masks_left_to_the_trainer).to.equal(1);
  });

  it('drops pairs by each filter, with its reason', async () => {
    const commented = await run([[GOLDEN.replace('print(total)', '# note\nprint(total)'), 'fail']]);
    expect(commented.reasons).to.deep.equal({ dminus_empty_or_comments: 1 });
    const reformatted = await run([[GOLDEN.replace('total += i', 'total  +=  i'), 'fail']]);
    expect(reformatted.reasons).to.deep.equal({ same_syntax_tree: 1 });
    const long = await run([[GOLDEN + 'x = 1\n'.repeat(21), 'fail']]);
    expect(long.reasons).to.deep.equal({ dminus_too_long: 1 });
    const tokens = await run([[GOLDEN.replace('total += i', 'total -= i'), 'fail']], { maxTokens: 5 });
    expect(tokens.reasons).to.deep.equal({ too_many_tokens: 1 });
    const none = await run([
      [GOLDEN, 'pass'],
      ['print(1)\n', 'timeout'],
      ['print(1\n', 'compile_error'],
    ]);
    expect(none.reasons).to.deep.equal({ no_failing_variant: 1 });
  });

  it("a runtime error is a failing version, as in the paper; `rejected: 'fail'` keeps wrong answers only, and the reject says what the versions were", async () => {
    const raising = GOLDEN.replace('total += i', 'total += j');
    const timing = GOLDEN.replace('range(n)', 'iter(int, 1)');
    const list: [string, Verdict][] = [
      [GOLDEN, 'pass'],
      [raising, 'error'],
      [timing, 'timeout'],
    ];
    const byDefault = await run(list);
    expect(byDefault.out.map((p) => [p.rejected_code, p.rejected_verdict])).to.deep.equal([
      [raising, 'error'],
    ]);
    const ctx = new RunContext();
    const out = await lastValueFrom(
      of(...variants(list)).pipe(focal(ctx, { tokenizer, rejected: 'fail' }), toArray()),
    );
    expect(out).to.deep.equal([]);
    expect(ctx.counter('focal').reasons).to.deep.equal({ no_failing_variant: 1 });
    const withTimeouts = await run(list.slice(2), { rejected: 'fail,error,timeout' });
    expect(withTimeouts.out.map((p) => p.rejected_verdict)).to.deep.equal(['timeout']);
  });

  it('never picks a deletion (an empty D−) while another failing variant changes a line', async () => {
    const deleted = GOLDEN.replace('    total += i\n', '    pass\n').replace('    pass\n', '');
    const noLoop = GOLDEN.replace('for i in range(n):\n    total += i\n', '');
    const changed = GOLDEN.replace('range(n)', 'range(n - 1)');
    for (let seed = 0; seed < 8; seed++) {
      const { out } = await run(
        [
          [GOLDEN, 'pass'],
          [noLoop, 'fail'],
          [deleted, 'fail'],
          [changed, 'fail'],
        ],
        { seed },
      );
      expect(out.map((p) => p.rejected_code)).to.deep.equal([changed]);
    }
    const only = await run([[noLoop, 'fail']]);
    expect(only.reasons).to.deep.equal({ dminus_empty_or_comments: 1 });
  });

  it('picks the rejected version among the failing ones with its seed', async () => {
    const list: [string, Verdict][] = [1, 2, 3, 4, 5, 6].map((k) => [
      GOLDEN.replace('total = 0', `total = ${k}`),
      'fail',
    ]);
    const picks = new Set<string>();
    for (let seed = 0; seed < 12; seed++) picks.add((await run(list, { seed })).out[0]!.rejected_code);
    expect(picks.size).to.be.greaterThan(1);
    expect((await run(list, { seed: 3 })).out[0]!.rejected_code).to.equal(
      (await run(list, { seed: 3 })).out[0]!.rejected_code,
    );
  });

  it('rejects the nearest miss: the most tests passed, then no unbound name, then the smallest edit, whatever the seed', async () => {
    const far = GOLDEN.replace('total = 0', 'total = 100').replace('print(total)', 'print(total + 1)');
    const near = GOLDEN.replace('total = 0', 'total = 1');
    const unbound = GOLDEN.replace('total += i', 'total += j');
    const make = (rows: [string, string, number][]) =>
      rows.map(([candidate, error, passed_tests], i) => ({
        ...variants([[candidate, error ? 'error' : 'fail']])[0]!,
        candidate_index: i,
        error,
        passed_tests,
      }));
    const pick = async (rows: [string, string, number][], seed: number) => {
      const ctx = new RunContext();
      const out = await lastValueFrom(of(...make(rows)).pipe(focal(ctx, { seed }), toArray()));
      return { code: out[0]!.rejected_code, stats: ctx.counter('focal').stats };
    };
    for (let seed = 0; seed < 6; seed++) {
      // more tests passed wins over a smaller edit
      expect(
        (
          await pick(
            [
              [near, '', 0],
              [far, '', 2],
            ],
            seed,
          )
        ).code,
      ).to.equal(far);
      // an unbound name loses to a wrong answer that passed as many tests, however small its edit
      const u = await pick(
        [
          [unbound, "NameError: name 'j' is not defined", 0],
          [far, '', 0],
        ],
        seed,
      );
      expect(u.code).to.equal(far);
      expect(u.stats.unbound_name_rejected).to.equal(undefined);
      // then the smallest edit
      expect(
        (
          await pick(
            [
              [far, '', 1],
              [near, '', 1],
            ],
            seed,
          )
        ).code,
      ).to.equal(near);
    }
    // an unbound name alone is still a rejected side, and counted so
    const only = await pick([[unbound, "NameError: name 'j' is not defined", 0]], 0);
    expect(only.stats.unbound_name_rejected).to.equal(1);
  });
});
