import { pipe, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import type { RunContext } from '../lib/context.ts';
import { groupAdjacent } from '../lib/group.ts';
import { CheckedCandidate, ProblemScore } from '../lib/schemas.ts';
import { stage } from '../lib/stage.ts';

/**
 * One row per evaluated problem from its checked samples (those of one target, adjacent): how many were drawn,
 * how many passed every test, the verdict counts, and the samples themselves (program, verdict, first error),
 * so that every number of an evaluation can be checked again. pass@k follows from `n` and `correct`.
 *
 * @example
 * pipe(generate(ctx, { generator }), check(ctx, { pool }), score(ctx))
 */
export function score(ctx: RunContext): OperatorFunction<CheckedCandidate, ProblemScore> {
  const run = stage(
    ctx,
    {
      name: 'score',
      input: z.array(CheckedCandidate).min(1),
      output: ProblemScore,
      id: (g) => g[0]!.problem_id,
    },
    (stats) => (group) => {
      const p = group[0]!.problem;
      const verdicts: Record<string, number> = {};
      for (const c of group) verdicts[c.verdict] = (verdicts[c.verdict] ?? 0) + 1;
      const correct = verdicts.pass ?? 0;
      stats.stat(correct > 0 ? 'solved' : 'unsolved');
      // evalplus's split: samples right on the original tests, and those of them the added tests catch
      const split = group.some((c) => c.base_pass !== undefined);
      const correctBase = group.filter((c) => c.base_pass).length;
      if (split && correctBase > 0) stats.stat('solved_base');
      for (let i = correct; i < correctBase; i++) stats.observe('caught_by_plus', p.problem_id);
      return [
        {
          problem_id: p.problem_id,
          problem_index: p.problem_index ?? 0,
          source: p.source,
          difficulty: p.difficulty ?? '',
          n: group.length,
          correct,
          ...(split ? { correct_base: correctBase } : {}),
          verdicts,
          samples: group.map((c) => ({ program: c.candidate, verdict: c.verdict, error: c.error })),
        },
      ];
    },
  );
  return pipe(
    groupAdjacent((c: CheckedCandidate) => c.target_id),
    run,
  );
}
