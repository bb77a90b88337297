import type { OperatorFunction } from 'rxjs';
import type { RunContext } from '../lib/context.ts';
import { Problem, RawSolution } from '../lib/schemas.ts';
import { Rejected, stage } from '../lib/stage.ts';

/**
 * One record per reference solution of a problem, numbered by its position in the problem's
 * original list. A problem without solutions is rejected (`no_solutions`).
 *
 * @example
 * pullThrough(problems, pipe(solutions(ctx), format(ctx)))
 */
export function solutions(ctx: RunContext): OperatorFunction<Problem, RawSolution> {
  return stage(
    ctx,
    { name: 'solutions', input: Problem, output: RawSolution, id: (p) => p.problem_id },
    () => (p) => {
      if (p.solutions.length === 0)
        throw new Rejected('no_solutions', 'the problem has no reference solution');
      return p.solutions.map((code, solution_index) => ({
        problem: p,
        problem_id: p.problem_id,
        solution_index,
        code,
      }));
    },
  );
}
